"""RFC 3339 timestamps, the form Gas City stores in bead metadata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC = timezone.utc
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
# The times Go's UnixNano can hold (int64 nanoseconds around 1970): every clock and timestamp
# citywatch models lies within them, so adding any Go duration (at most about 292 years) to one
# stays far inside what a datetime holds. A time outside is not one Gas City writes (its zero
# time, 0001-01-01, means "never").
EARLIEST = datetime(1678, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 4, 11, tzinfo=UTC)


def in_range(dt: datetime) -> bool:
    """True if `dt` lies within EARLIEST..LATEST."""
    return EARLIEST <= dt <= LATEST


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 string into an aware UTC datetime; None when empty, unparseable or
    outside EARLIEST..LATEST."""
    if not text or not isinstance(text, str):
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
    try:
        dt = dt.astimezone(UTC)
    except OverflowError:  # an offset that pushes year 1 or 9999 out of range
        return None
    return dt if in_range(dt) else None


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
