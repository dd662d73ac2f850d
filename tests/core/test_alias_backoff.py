"""The deferred-singleton alias retry backoff (catalog B17, B18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.desired.alias import backoff_seconds, defer_changes, next_retry_at, retry_due
from core.timefmt import format_time
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
