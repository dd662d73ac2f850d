"""Go-style durations ("90s", "5m", "1h30m", "250ms") as used throughout Gas City's config."""

from __future__ import annotations

from core.formats.goduration import parse_go_duration
from core.formats.memo import tick_memo


class DurationError(ValueError):
    """A string that Go's time.ParseDuration would reject."""


def parse_duration(text: str) -> float:
    """Return the number of seconds in a Go duration string (surrounding blanks ignored).

    Accepts exactly what Go accepts, within time.Duration's range (about 292 years): an
    optional sign, then one or more number+unit parts, or a bare "0". Raises DurationError
    otherwise, with Go's message."""
    if not isinstance(text, str):
        raise DurationError(f"time: invalid duration {text!r}")
    ns, err = parse_go_duration(text.strip())
    if err is not None:
        raise DurationError(err)
    return ns / 1e9


def try_duration(text: str | None, default: float | None = None) -> float | None:
    """parse_duration that returns `default` for empty or unparseable input."""
    if text is None or not str(text).strip():
        return default
    try:
        return parse_duration(str(text))
    except DurationError:
        return default


@tick_memo(4096)  # a few distinct durations, rendered for every session of every board
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
