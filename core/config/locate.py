"""Find the line of a field path (e.g. `agent[2].max_active_sessions`) in TOML source text.

tomli gives values, not positions; errors of meaning still need a line an operator can jump
to, so this scans table headers and key lines the way a reader would.
"""

from __future__ import annotations

import re
from functools import lru_cache

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.\-\"]+)\s*=")
_PATH_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def _norm(part: str) -> str:
    return part.strip().strip('"').strip("'")


def _split_dotted(key: str) -> list[str]:
    out, cur, quote = [], "", ""
    for ch in key:
        if quote:
            if ch == quote:
                quote = ""
            else:
                cur += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def parse_field_path(path: str) -> list[tuple[str, int | None]]:
    """`agent[2].env.X` -> [("agent", 2), ("env", None), ("X", None)]."""
    parts = []
    for m in _PATH_PART.finditer(path):
        parts.append((m.group(1), int(m.group(2)) if m.group(2) is not None else None))
    return parts


@lru_cache(maxsize=64)
def _entries(text: str) -> tuple[tuple[int, bool, bool, tuple[str, ...]], ...]:
    """(line, is_header, is_array_header, dotted parts) for every header and key line: the
    text is scanned once, however many fields are then located in it."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = _HEADER.match(line)
        if m:
            out.append((lineno, True, m.group(1) == "[[", tuple(_norm(p) for p in _split_dotted(m.group(2)))))
            continue
        km = _KEY.match(line)
        if km:
            out.append((lineno, False, False, tuple(_norm(p) for p in _split_dotted(km.group(1)))))
    return tuple(out)


def locate(text: str, field_path: str, prefix: tuple[str, ...] = ()) -> int | None:
    """Return the 1-based line that declares `field_path` in `text`, or the line of its
    closest enclosing table; None when nothing matches. `prefix` is prepended to every
    header (a scenario's inline `[city]` lives under `city.`)."""
    parsed = parse_field_path(field_path)
    want = list(prefix) + [p for p, _ in parsed]
    idx = {len(prefix) + i: n for i, (_, n) in enumerate(parsed) if n is not None}
    counts: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    current_ok = True  # does the current table match the indexes asked for
    best: int | None = None
    best_len = -1
    for lineno, is_header, is_array, parts in _entries(text):
        if is_header:
            hdr = parts
            if is_array:
                counts[hdr] = counts.get(hdr, -1) + 1
            current = hdr
            # check array indexes along the header path
            current_ok = True
            for i in range(1, len(hdr) + 1):
                if (i - 1) in idx and counts.get(hdr[:i], 0) != idx[i - 1]:
                    current_ok = False
                    break
            if current_ok and list(hdr) == want[: len(hdr)] and len(hdr) > best_len:
                best, best_len = lineno, len(hdr)
            continue
        if current_ok:
            full = list(current) + list(parts)
            n = min(len(full), len(want))
            if full[:n] == want[:n] and n > best_len:
                best, best_len = lineno, n
    return best


def syntax_position(message: str) -> tuple[int | None, int | None]:
    """Extract (line, col) from a tomli error message ("... (at line 3, column 7)")."""
    m = re.search(r"line (\d+), column (\d+)", message)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"at end of document", message)
    return (None, None)
