"""Events: the actions, decisions and log lines of recent steps, filterable, following new
lines until the operator scrolls up.

The log draws only the rows on screen (Textual's line API): each event line is wrapped, with a
hanging indent, to the width the panel has now, and kept wrapped until that width changes. So a
resize re-wraps every line, and travelling back through history (which shows an earlier prefix
of the same lines) costs no more than finding where the prefix ends.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.guards.safetext import printable
from core.views.event_line import EventLine
from tui.commands import bindings
from tui.faults import Guarded
from tui.filtering import matches
from tui.layout import Want
from tui.textual_internals import set_virtual_size
from tui.widgets.hanging import Hanging, hang
from tui.widgets.panel import Panel

PREFIX_ROOM = 32  # cells an event line's prefix (tick, time, kind) takes at most: a shorter line fits in one row
KIND_STYLE = {"action": "bold", "error": "bold red", "warning": "yellow", "config": "cyan", "trace": "dim",
              "event": "magenta", "step": "blue", "log": "", "note": "italic", "alarm": "bold white on dark_red", "check": "bold cyan"}


def styled(line: EventLine) -> Text:
    """A model event-log line styled by kind: tick, time, kind, text."""
    t = Text(f"{line.tick:>4} {line.render()[5:14]} ", style="dim")
    t.append(f"{line.kind:<7} ", style=KIND_STYLE.get(line.kind, ""))
    t.append(printable(line.text), style="red" if line.kind == "error" or line.text.find(": FAIL") >= 0 else "")
    return t


def hanging(t: Text, message: str) -> Hanging:
    """An event line whose message, when it wraps, continues under itself (past time and kind)."""
    return Hanging([(t, len(t.plain) - len(message))])


WRAPPED_SLACK = 256  # drawn lines kept past those shown before the gone ones are dropped


class EventLog(Guarded, ScrollView, can_focus=True):
    """The lines of the Events panel, wrapped to the current width and drawn row by row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_back('up')", "Up", show=False),
        Binding("pageup", "scroll_back('page_up')", "Page up", show=False),
        Binding("ctrl+home", "scroll_back('home')", "Top", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("G,ctrl+end", "app.follow", "Follow", show=False),
        # Home, End and g travel through time (the app's controls)
        Binding("home", "app.first", "First", show=False),
        Binding("end", "app.last", "Last", show=False),
    ] + bindings("events")

    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        overflow-y: scroll;
        overflow-x: hidden;
    }
    """

    def __init__(self, draw: Callable[[EventLine], Text], **kwargs) -> None:
        super().__init__(**kwargs)
        self.draw = draw
        self._lines: list[EventLine] = []
        # line -> width, rows. Keyed by value: a recorded step's lines are made anew each time
        # they are read (core/views/event_line.StepLines), and an EventLine names its frame.
        self._wrapped: dict[EventLine, tuple[int, list[Strip]]] = {}
        self._starts: list[int] = []  # the first row of each line
        self._rows = 0
        self._width = 0

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def row_count(self) -> int:
        """Rows the lines take at the current width."""
        return self._rows

    def set_lines(self, lines: Sequence[EventLine], follow: bool) -> None:
        """Show `lines` (oldest first); with `follow`, scroll to the newest."""
        self._lines = list(lines)
        self._layout_rows()
        if follow:
            self.scroll_end(animate=False, immediate=True)

    def rows_text(self) -> list[str]:
        """Every wrapped row as plain text (what the panel shows when scrolled through)."""
        out = []
        for ln in self._lines:
            out += [s.text for s in self._rows_of(ln)]
        return out

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 1)

    def _rows_of(self, ln: EventLine) -> list[Strip]:
        width = self._width or self._content_width()
        got = self._wrapped.get(ln)
        if got is not None and got[0] == width:
            return got[1]
        text = self.draw(ln)
        prefix = len(text.plain) - len(ln.text)
        console = self.app.console
        rows = [Strip(list(t.render(console)), t.cell_len) for t in hang(console, text, prefix, width)]
        self._wrapped[ln] = (width, rows)
        return rows

    def _height(self, ln: EventLine, width: int) -> int:
        """Rows `ln` takes: 1 when it surely fits (no need to draw it), else its wrapped rows."""
        if len(ln.text) + PREFIX_ROOM <= width:
            return 1
        return len(self._rows_of(ln))

    def _layout_rows(self) -> None:
        width = self._content_width()
        if width != self._width:
            self._width = width
            self._wrapped = {}
        # Lines long gone: forget them. A line's drawn rows hold Rich segments and Textual's strip
        # caches (a few KB), so a slack of thousands of gone lines was tens of MB on a long watch.
        if len(self._wrapped) > len(self._lines) + WRAPPED_SLACK:
            keep = set(self._lines)
            self._wrapped = {k: v for k, v in self._wrapped.items() if k in keep}
        starts, row = [], 0
        height = self._height
        for ln in self._lines:
            starts.append(row)
            row += height(ln, width)
        self._starts, self._rows = starts, row
        set_virtual_size(self, Size(width, row))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if row >= self._rows or not self._lines:
            return Strip.blank(width, style)
        i = bisect_right(self._starts, row) - 1
        strip = self._rows_of(self._lines[i])[row - self._starts[i]]
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def on_resize(self, event: events.Resize) -> None:
        follow = self.panel.follow if self.panel is not None else True
        self._layout_rows()
        if follow:
            self.scroll_end(animate=False, immediate=True)

    def action_scroll_back(self, how: str) -> None:
        panel = self.panel
        if panel is not None:
            panel.set_follow(False)
        {"up": self.scroll_up, "page_up": self.scroll_page_up, "home": self.scroll_home}[how](animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        panel = self.panel
        if panel is not None:
            panel.set_follow(False)

    @property
    def panel(self) -> EventsPanel | None:
        p = self.parent
        return p if isinstance(p, EventsPanel) else None


class EventsPanel(Panel):
    panel_id = "events"
    HELP = ("What each step did: the step itself, actions (create, start, stop, close, defer...), Gas City "
            "events, trace decisions, Gas City's log lines (kind log), what citywatch notes of an operator's step "
            "(kind note: the clock advanced, a runtime crashed, work added), config reloads and errors, loop "
            "alarms (kind alarm) and scenario checks (kind check). New lines follow at the bottom; scrolling up stops following, `f` or End resumes. "
            "Lines wrap to the panel's width, again after every resize.")

    def __init__(self) -> None:
        super().__init__("Events")
        self.follow = True
        self._shown: list[EventLine] = []
        self._pending = 0

    def compose(self) -> ComposeResult:
        yield EventLog(self.styled, id="events")

    @property
    def log_widget(self) -> EventLog:
        return self.query_one(EventLog)

    def focus_target(self):
        return self.log_widget

    def set_follow(self, on: bool) -> None:
        self.follow = on
        if on:
            self._pending = 0
            self.log_widget.scroll_end(animate=False, immediate=True)
        self._status()

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self._shown = []  # every line is judged again under the new filter

    @property
    def shown_text(self) -> list[str]:
        """The plain text of the lines on screen (the filter applied)."""
        return [self.plain(ln) for ln in self._visible()]

    def plain(self, ln: EventLine) -> str:
        """One line as plain text."""
        return ln.render()

    def styled(self, ln: EventLine) -> Text:
        """One line as it is drawn."""
        return styled(ln)

    def _visible(self) -> list[EventLine]:
        return [ln for ln in self._shown if matches(self.filter_text, (ln.kind, ln.text))]

    def show(self, lines: Sequence[EventLine]) -> None:
        lines = list(lines)
        before = len(self._shown)
        prefix = bool(self._shown) and len(lines) >= before and lines[before - 1] == self._shown[-1]
        new = len(lines) - before if prefix else len(lines)
        self._shown = lines
        self.log_widget.set_lines(self._visible(), self.follow)
        if not self.follow:
            self._pending += max(new, 0) if prefix else 0
        self._status()

    def _status(self) -> None:
        if self.follow:
            self.status("following")
        else:
            self.status(f"paused: {self._pending} new below (f: follow)")

    def wanted_height(self) -> Want:
        """At least a few lines; it takes whatever height the other panels leave."""
        return Want(6, 6, fill=True)
