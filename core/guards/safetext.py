"""Text that is safe to show on a terminal.

Names and values come from configs and live cities that anyone may have written. A raw ESC
starts a terminal escape sequence (colours, titles, OSC 52 clipboard writes, a cleared screen);
a right-to-left override makes `evil.sh` read as `hs.live`. Every such character is shown
escaped instead, in a form that says exactly which character was there.
"""

from __future__ import annotations

import re

# Unicode's bidirectional formatting characters (UAX #9): embeddings, overrides, isolates, marks.
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Characters that end a line for some terminals and editors though they are not "\n".
LINE_BREAKS = frozenset([0x0085, 0x2028, 0x2029])


def _escape(cp: int) -> str:
    return f"\\x{cp:02x}" if cp <= 0xFF else f"\\u{cp:04x}"


_TABLE = {cp: _escape(cp) for cp in [*range(0x20), *range(0x7F, 0xA0), *BIDI, *LINE_BREAKS]}
_TABLE_KEEP_LINES = {cp: v for cp, v in _TABLE.items() if cp not in (0x0A, 0x09)}
_JSON_TABLE = {cp: f"\\u{cp:04x}" for cp in [0x7F, *range(0x80, 0xA0), *BIDI, *LINE_BREAKS]}


def printable(text: str) -> str:
    """`text` with every control, bidirectional-formatting and line-separator character shown as
    an escape (`\\x1b`, `\\u202e`); newlines and tabs too, so the result is one line."""
    return text.translate(_TABLE)


def printable_lines(text: str) -> str:
    """As `printable`, but newlines and tabs are kept: for multi-line output that citywatch laid
    out itself (each line's content may come from anywhere)."""
    return text.translate(_TABLE_KEEP_LINES)


def json_text(dumped: str) -> str:
    """JSON text (from json.dumps) with the characters JSON leaves raw but a terminal acts on
    (DEL, C1 controls, bidirectional formatting, line separators) written as \\u escapes. They can
    only occur inside JSON strings, where the escape means the same character: the JSON parses
    to the same value."""
    return dumped.translate(_JSON_TABLE)


_UNSAFE_RE = re.compile("[" + "".join(f"\\u{cp:04x}" for cp in sorted(_TABLE)) + "]")


def is_printable(text: str) -> bool:
    """True if `printable(text)` would leave `text` unchanged (one regular-expression scan)."""
    return _UNSAFE_RE.search(text) is None

