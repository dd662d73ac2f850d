"""The deferred-singleton alias retry backoff (catalog B17, B18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.desired.alias import (
    backoff_seconds,
    conflict_count,
    defer_changes,
    in_deferred_state,
    next_retry_at,
    retry_due,
)
from core.formats.timefmt import format_time
from core.world.beads import SessionBead

NOW = datetime(2026, 7, 19, 12, tzinfo=UTC)


def ago(**kw) -> str:
    return format_time(NOW - timedelta(**kw))


@pytest.mark.parametrize("count, want", [
    (0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1800),
    (64, 1800), (1000, 1800), (15237, 1800),
])
def test_backoff_doubles_then_saturates_at_thirty_minutes(count, want):
    assert backoff_seconds(count) == want


@pytest.mark.parametrize("at, count, due", [
    (ago(seconds=1), "5", False),
    (ago(minutes=31), "5", True),
    (ago(seconds=8), "15237", False),
    (ago(minutes=30, seconds=1), "15237", True),
    ("", "5", True),
    ("not-a-time", "5", True),
    (format_time(NOW + timedelta(hours=1)), "5", True),
], ids=["fresh", "window-elapsed", "livelock-throttled", "saturated-recovers", "missing", "unparseable", "future"])
def test_retry_due(at, count, due):
    assert retry_due(at, count, NOW) is due


def test_defer_changes_count_and_stamp_and_history():
    b = SessionBead("gc-1", NOW, {"alias": "mayor-1", "alias_history": "mayor-2", "pool_alias_conflict_count": "4"})
    changes = defer_changes(b, "mayor", NOW)
    assert changes == {
        "pool_alias_conflict": "mayor",
        "pool_alias_conflict_count": "5",
        "pool_alias_conflict_at": format_time(NOW),
        "alias": "",
        "alias_history": "mayor-1,mayor-2",
    }


def test_next_retry_follows_the_recorded_attempt():
    b = SessionBead("gc-1", NOW, {"pool_alias_conflict_at": format_time(NOW), "pool_alias_conflict_count": "3"})
    assert next_retry_at(b) == NOW + timedelta(minutes=2)


@pytest.mark.parametrize("text, want", [
    ("", 0), ("4", 4), (" 4 ", 4), ("+4", 4), ("-2", 0), ("0", 0), ("junk", 0), ("3_0", 0), ("\u0663", 0),
])
def test_the_conflict_count_is_read_as_go_reads_it(text, want):
    """strconv.Atoi of the trimmed value, kept only when positive (recordDeferred... and
    syncSessionBeads both read it so); Python's int() would also take `3_0` and non-ASCII digits."""
    assert conflict_count(text) == want


@pytest.mark.parametrize("text, stored", [("-2", "1"), ("junk", "1"), (" 3 ", "4"), ("", "1")])
def test_defer_changes_counts_on_from_what_go_reads(text, stored):
    b = SessionBead("gc-1", NOW, {"pool_alias_conflict_count": text})
    changes = defer_changes(b, "mayor", NOW)
    assert changes["pool_alias_conflict_count"] == stored
    assert "alias" not in changes and "alias_history" not in changes   # no alias to clear


def test_next_retry_reads_an_unreadable_count_as_no_conflict_yet():
    at = format_time(NOW)
    assert next_retry_at(SessionBead("gc-1", NOW, {"pool_alias_conflict_at": at, "pool_alias_conflict_count": "3_0"})) \
        == NOW + timedelta(seconds=30)


@pytest.mark.parametrize("md, deferred", [
    ({}, False),
    ({"pool_alias_conflict": "mayor"}, True),
    ({"pool_alias_conflict": "mayor", "alias": "mayor"}, False),   # an alias is no longer pending
    ({"pending_create_claim": "true"}, True),
    ({"state": "creating"}, True),
    ({"state": "start-pending"}, True),
    ({"state": "awake"}, False),
])
def test_in_deferred_state(md, deferred):
    assert in_deferred_state(SessionBead("gc-1", NOW, md)) is deferred
