"""The exact error text Go's time.ParseDuration gives for a string it rejects.

Gas City's duration warnings embed that text ("time: unknown unit \"x\" in duration \"5x\""),
and operators grep for it, so citywatch reproduces it rather than paraphrasing.
"""

from __future__ import annotations

import re
from functools import lru_cache

_UNITS = frozenset({"ns", "us", "µs", "μs", "ms", "s", "m", "h"})
_MAX_NS = (1 << 63) - 1
_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
       "m": 60_000_000_000, "h": 3_600_000_000_000}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')  # what go_quote escapes


def go_quote(s: str) -> str:
    """Go's %q for the plain strings config values are: double quotes, backslash escapes."""
    if _NEEDS_ESCAPE.search(s) is None:  # the usual case: nothing to escape
        return '"' + s + '"'
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def duration_error(value: str) -> str | None:
    """None when `value` parses as a Go duration, else Go's error message for it."""
    return parse_go_duration(value)[1]


def parse_go_duration(value: str) -> tuple[int, str | None]:
    """(nanoseconds, None) for a valid Go duration (negative when it starts with "-"), else
    (0, Go's error message)."""
    if isinstance(value, str):
        return _parsed_duration(value)
    return _parse_go_duration(value)


@lru_cache(maxsize=4096)
def _parsed_duration(value: str) -> tuple[int, str | None]:
    # a config names a few durations, which every tick reads again for every session
    return _parse_go_duration(value)


def _leading_digits(s: str) -> tuple[str, str]:
    """The ASCII digits `s` starts with, and the rest (the scan of Go's leadingInt and
    leadingFraction)."""
    i = 0
    while i < len(s) and s[i].isascii() and s[i].isdigit():
        i += 1
    return s[:i], s[i:]


def _parse_go_duration(value: str) -> tuple[int, str | None]:
    """time.ParseDuration: signed, then one or more number-and-unit parts."""
    orig = value
    s = value
    invalid = f"time: invalid duration {go_quote(orig)}"
    if s == "":
        return 0, invalid
    negative = s[0] == "-"
    if s[0] in "+-":
        s = s[1:]
    if s == "0":
        return 0, None
    if s == "":
        return 0, invalid
    total = 0
    while s:
        if not (s[0] == "." or s[0].isdigit() and s[0].isascii()):
            return 0, invalid
        whole, s = _leading_digits(s)
        frac = ""
        if s.startswith("."):
            frac, s = _leading_digits(s[1:])
        if len(whole) > 20:  # more digits than an int64 holds: Go's leadingInt overflows
            return 0, invalid
        if not whole and not frac:
            return 0, invalid
        k = 0
        while k < len(s) and s[k] != "." and not (s[k].isascii() and s[k].isdigit()):
            k += 1
        if k == 0:
            return 0, f"time: missing unit in duration {go_quote(orig)}"
        unit, s = s[:k], s[k:]
        if unit not in _UNITS:
            return 0, f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}"
        scale = _NS[unit]
        part = int(whole or "0") * scale
        if frac:
            frac = frac[:30]  # digits past the nanosecond cannot change the result
            part += int(frac) * scale // (10 ** len(frac))
        total += part
        if total > _MAX_NS:
            return 0, invalid
    return (-total if negative else total), None


_DAY_NS = 24 * 3_600_000_000_000
_MAX_DAYS = _MAX_NS // _DAY_NS


def parse_days_duration(value: str) -> tuple[int, str | None]:
    """Gas City's parseConfigDurationWithDays: a Go duration, optionally led by a positive
    whole number of days (`7d`, `1d12h`). (nanoseconds, None) or (0, the error text)."""
    raw = value.strip()
    if raw == "":
        return 0, "empty duration"
    idx = raw.find("d")
    if idx < 0:
        return parse_go_duration(raw)
    count = raw[:idx]
    if count == "":
        return 0, "missing day count"
    if not all("0" <= c <= "9" for c in count):
        return 0, f"invalid day count {go_quote(count)}"
    days = int(count)
    if days <= 0:
        return 0, "day count must be positive"
    if days > _MAX_DAYS:
        return 0, f"day count {go_quote(count)} exceeds maximum {_MAX_DAYS}"
    rest = raw[idx + 1:]
    if rest == "":
        return days * _DAY_NS, None
    ns, err = parse_go_duration(rest)
    if err:
        return 0, err
    total = days * _DAY_NS + ns
    if total > _MAX_NS:
        return 0, "duration exceeds maximum"
    return total, None
