"""Lines that wrap with a hanging indent: continuation lines start under the first line's text.

`Hanging` is a Rich renderable of logical lines, each with the width (in cells) of its prefix
(a rule's number, a key, an event's time and kind). Wrapped at whatever width it is rendered,
the rest of a long line is indented by that prefix, so the next logical line is easy to find.
Its `str()` is the plain text, one logical line per line.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

MIN_BODY = 12  # narrower than this after the indent, a line wraps without one


def hang(console: Console, text: Text, indent: int, width: int) -> list[Text]:
    """`text` wrapped to `width` cells, its continuation lines indented by `indent` cells (the
    first `indent` characters being its prefix)."""
    if text.cell_len <= width:
        return [text]
    if indent <= 0 or width - indent < MIN_BODY:
        return list(text.wrap(console, max(width, 1)))
    head, body = text.divide([indent])
    out = []
    for i, part in enumerate(body.wrap(console, width - indent)):
        line = head.copy() if i == 0 else Text(" " * indent)
        line.append_text(part)
        out.append(line)
    return out


class Hanging:
    def __init__(self, lines: Iterable[tuple[Text, int]] = ()) -> None:
        self.lines: list[tuple[Text, int]] = list(lines)

    def add(self, text: Text, indent: int) -> None:
        self.lines.append((text, indent))

    def height(self, console: Console, width: int) -> int:
        """How many lines this takes rendered `width` cells wide."""
        return sum(len(hang(console, text, indent, width)) for text, indent in self.lines)

    def __str__(self) -> str:
        return "\n".join(t.plain for t, _ in self.lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for text, indent in self.lines:
            for line in hang(console, text, indent, width):
                line.end = "\n"
                yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((t.cell_len for t, _ in self.lines), default=0)
        return Measurement(min(widest, MIN_BODY), widest)
