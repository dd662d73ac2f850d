"""creatingStateIsStale (internal/session lifecycle projection): a dead `creating` bead stays
creating for a minute from its pending_create_started_at (trimmed; else its creation), then heal
wants it asleep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, session_bead

from core.formats.timefmt import format_time
from core.reconcile.lifecycle import reconciled_state

LONG_AGO = T0 - timedelta(hours=1)


@pytest.mark.parametrize(("started", "want"), [
    (format_time(T0 - timedelta(seconds=59)), "creating"),
    (f"  {format_time(T0 - timedelta(seconds=30))} ", "creating"),  # a padded stamp still anchors
    (format_time(T0 - timedelta(seconds=60)), "asleep"),
    ("", "asleep"),  # no stamp: the bead's creation an hour ago anchors
])
def test_a_dead_creating_bead_is_stale_a_minute_after_its_create_started(started, want):
    b = session_bead("gc-1", LONG_AGO, state="creating", pending_create_started_at=started)
    assert reconciled_state(b, False, T0)[0] == want
