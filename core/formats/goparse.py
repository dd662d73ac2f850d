"""Parsing bead metadata the way Gas City's Go code does, so a corrupt value is rejected (or
read as Go reads it) instead of raising inside a tick.

Go's `strconv.Atoi` takes an optional sign and ASCII digits within the int64 range; Python's
`int()` also takes spaces, underscores and any Unicode digit, and raises on more than 4300
digits. Go's `time.Parse(time.RFC3339, ...)` takes exactly `2006-01-02T15:04:05[.frac]Z07:00`;
Python's `fromisoformat` takes dates alone, week dates and more, and a value with an offset
near year 1 or 9999 can overflow when it is moved to UTC. Every reader of bead metadata goes
through these functions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.formats.goduration import go_quote
from core.formats.memo import tick_memo

UTC = UTC
_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)
_ASCII_INT = re.compile(r"[+-]?[0-9]+\Z")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})\Z")
RFC3339_NANO_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"
# The instants a bead time may take: Go can represent more, Python's datetime cannot, and a
# tick adds durations to stored times (a deadline, a backoff), so both ends keep a margin.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)
TIMES_KEPT = 1 << 16  # distinct stored times kept parsed in one tick at most (a large city holds tens of thousands)


class GoParseError(ValueError):
    """A value Go's parser rejects; the message is Go's error text."""


def atoi(text: str) -> int:
    """strconv.Atoi: the integer, or GoParseError with Go's message (a value that is not a
    string at all is invalid syntax too)."""
    if not isinstance(text, str) or not _ASCII_INT.match(text):
        raise GoParseError(f"strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 19:
        raise GoParseError(f"strconv.Atoi: parsing {go_quote(text)}: value out of range")
    n = int(text)
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise GoParseError(f"strconv.Atoi: parsing {go_quote(text)}: value out of range")
    return n


def atoi_or(text: str, default: int = 0) -> int:
    """`n, err := strconv.Atoi(text)` with `default` on error (Go code that ignores the error
    reads 0)."""
    try:
        return atoi(text)
    except GoParseError:
        return default


def atoi_ignoring_error(text: str) -> int:
    """The int `n, _ := strconv.Atoi(text)` leaves: the value, 0 for invalid syntax, and the
    nearest int64 for a value out of range (Go returns it beside the error)."""
    if not isinstance(text, str) or not _ASCII_INT.match(text):
        return 0
    return max(_INT64_MIN, min(_INT64_MAX, int(text))) if len(text) < 4000 else (
        _INT64_MIN if text.startswith("-") else _INT64_MAX)


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of ASCII digits (Python's isdigit also takes `²` and `٣`)."""
    return bool(text) and text.isascii() and text.isdigit()


def digits_value(text: str) -> int | None:
    """The value of a run of ASCII digits that strconv.Atoi accepts (within int64); None for
    anything else. Instance suffixes (`worker-3`, `worker-gc-3`) are read this way."""
    if not ascii_digits(text):
        return None
    try:
        return atoi(text)
    except GoParseError:
        return None


def parse_rfc3339(text: str) -> datetime | None:
    """time.Parse(time.RFC3339Nano, text) for a non-empty value: the instant in UTC, None for
    Go's zero time (which Gas City reads as unset), GoParseError when Go rejects it. An instant
    Python cannot hold, or within a day of its limits, is also an error: the model cannot add a
    deadline to it."""
    m = _RFC3339.match(text)
    if m is None:
        raise GoParseError(f"parsing time {go_quote(text)} as {go_quote(RFC3339_NANO_LAYOUT)}: "
                           "cannot parse as RFC 3339")
    year, month, day, hour, minute, sec = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "")[:6].ljust(6, "0")
    zone = m.group(8)
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 60 + int(zone[4:6])) * (-1 if zone[0] == "-" else 1)
    if zone != "Z" and (int(zone[1:3]) > 23 or int(zone[4:6]) > 59):
        raise GoParseError(f"parsing time {go_quote(text)}: time zone offset out of range")
    if year == 1 and month == 1 and day == 1 and hour == minute == sec == 0 and not int(frac) and offset == 0:
        return None
    try:
        local = datetime(year, month, day, hour, minute, sec, int(frac), tzinfo=UTC)
        t = local - timedelta(minutes=offset)
    except (ValueError, OverflowError):
        raise GoParseError(f"parsing time {go_quote(text)}: day, month or hour out of range") from None
    if not _EARLIEST <= t <= _LATEST:
        raise GoParseError(f"parsing time {go_quote(text)}: year out of the range citywatch models")
    return t


def parse_time_or_none(text: str | None) -> datetime | None:
    """A stored time the way most of Gas City reads one (`t, err := time.Parse(...); err == nil
    && !t.IsZero()`): trimmed, None when empty, zero or unparseable, or not a string at all (a
    live store's value of the wrong type reads as unset)."""
    if not text or not isinstance(text, str):
        return None
    return _parsed_time(text)


@tick_memo(TIMES_KEPT)
def _parsed_time(text: str) -> datetime | None:
    # A tick reads the same few stored times thousands of times; a datetime is immutable, so
    # one parse per distinct string is enough.
    s = text.strip()
    if not s:
        return None
    try:
        return parse_rfc3339(s)
    except GoParseError:
        return None


def add_seconds(t: datetime, seconds: float) -> datetime:
    """t + seconds, saturating at the ends of the calendar instead of overflowing."""
    try:
        return t + timedelta(seconds=seconds)
    except ValueError:  # NaN
        return t
    except OverflowError:
        return datetime.max.replace(tzinfo=t.tzinfo) if seconds > 0 else datetime.min.replace(tzinfo=t.tzinfo)
