"""RFC 3339 timestamps, the form Gas City stores in bead metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.formats.goparse import parse_time_or_none
from core.formats.memo import tick_memo

UTC = UTC
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
    """Parse an RFC 3339 string (Go's time.RFC3339Nano form) into an aware UTC datetime; None
    when empty, unparseable, Go's zero time, which Gas City reads as unset
    (core.formats.goparse.parse_time_or_none), or outside EARLIEST..LATEST."""
    dt = parse_time_or_none(text)
    return dt if dt is not None and in_range(dt) else None


def parse_stamp(text: str) -> datetime:
    """parse_time for a stamp that is always set (one citywatch wrote itself); ValueError naming
    the text when it is not a time."""
    dt = parse_time(text)
    if dt is None:
        raise ValueError(f"not a time: {text!r}")
    return dt


@tick_memo(1 << 14)  # a board renders the same few instants for hundreds of sessions
def format_time(dt: datetime | None) -> str:
    """Format as RFC 3339 UTC with a Z, seconds precision unless sub-second parts exist: Go's
    `t.UTC().Format(time.RFC3339Nano)` (the fraction without trailing zeros, none when zero);
    "" for None."""
    if dt is None:
        return ""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0") + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_time_seconds(dt: datetime) -> str:
    """Go's `t.UTC().Format(time.RFC3339)`, the form Gas City writes most bead time stamps in:
    RFC 3339 UTC with a Z and whole seconds. A sub-second part is dropped, not rounded
    (12:00:01.9 is written 12:00:01), so the stamp never lies after `dt`."""
    return format_time(dt.replace(microsecond=0))


def seconds(td: timedelta) -> float:
    """The timedelta in seconds."""
    return td.total_seconds()
