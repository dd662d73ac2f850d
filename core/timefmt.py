"""RFC 3339 timestamps, the form Gas City stores in bead metadata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC = timezone.utc
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 string into an aware UTC datetime; None when empty or unparseable."""
    if not text:
        return None
    s = text.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    # Go writes up to nanoseconds; Python takes microseconds.
    if "." in s:
        head, _, rest = s.partition(".")
        frac = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            frac += rest[i]
            i += 1
        s = head + "." + (frac[:6].ljust(6, "0")) + rest[i:]
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_time(dt: datetime | None) -> str:
    """Format as RFC 3339 UTC with a Z, seconds precision unless sub-second parts exist."""
    if dt is None:
        return ""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0") + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(td: timedelta) -> float:
    """The timedelta in seconds."""
    return td.total_seconds()
