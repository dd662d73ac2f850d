"""Go-style durations ("90s", "5m", "1h30m", "250ms") as used throughout Gas City's config."""

from __future__ import annotations

import re

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """A string that Go's time.ParseDuration would reject."""


def parse_duration(text: str) -> float:
    """Return the number of seconds in a Go duration string.

    Accepts what Go accepts: an optional sign, then one or more number+unit parts, or a bare
    "0". Raises DurationError otherwise, with Go's wording ("invalid duration").
    """
    s = text.strip() if isinstance(text, str) else text
    if not isinstance(s, str) or not s:
        raise DurationError(f"time: invalid duration {text!r}")
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            if re.match(r"\d", s[pos:]):
                raise DurationError(f"time: missing unit in duration {text!r}")
            raise DurationError(f"time: invalid duration {text!r}")
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return sign * total


def try_duration(text: str | None, default: float | None = None) -> float | None:
    """parse_duration that returns `default` for empty or unparseable input."""
    if text is None or not str(text).strip():
        return default
    try:
        return parse_duration(str(text))
    except DurationError:
        return default


def format_duration(seconds: float) -> str:
    """Render seconds exactly as Go's time.Duration.String does, to the nanosecond: "1h30m0s",
    "45s", "2m3.456789012s"; under a second in ms, µs or ns ("500ms", "1.5µs", "250ns")."""
    ns = int(round(seconds * 1e9))
    if ns == 0:
        return "0s"
    u = abs(ns)
    if u < 1_000:
        out = f"{u}ns"
    elif u < 1_000_000:
        out = _with_fraction(u, 1_000) + "µs"
    elif u < 1_000_000_000:
        out = _with_fraction(u, 1_000_000) + "ms"
    else:
        secs = _with_fraction(u % 60_000_000_000, 1_000_000_000) + "s"
        total_m = u // 60_000_000_000
        h, m = divmod(total_m, 60)
        out = (f"{h}h{m}m" if h else f"{m}m" if m else "") + secs
    return "-" + out if ns < 0 else out


def _with_fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{frac:0{digits}d}".rstrip("0")


def short_duration(seconds: float) -> str:
    """Compact human form for tables: 45s, 3m, 2h5m, 3d."""
    s = int(abs(seconds))
    sign = "-" if seconds < 0 else ""
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{sign}{m}m{r}s" if r and m < 10 else f"{sign}{m}m"
    if s < 86400:
        h, r = divmod(s, 3600)
        return f"{sign}{h}h{r // 60}m" if r >= 60 else f"{sign}{h}h"
    return f"{sign}{s // 86400}d"
