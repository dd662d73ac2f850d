"""isPoolSessionSlotFreeable: TestIsPoolSessionSlotFreeable_Matrix (session_state_helpers_test.go),
its rows exactly. A drained bead, or an asleep one with an allowed sleep reason, frees its pool
slot; every other reason or state (deny by default) keeps it."""

from __future__ import annotations

import pytest
from factories import session_bead

from core.reconcile.wake_apply import _slot_freeable

ROWS = [
    ("drained-state", {"state": "drained"}, True),
    ("asleep+drained-reason", {"state": "asleep", "sleep_reason": "drained"}, True),
    ("asleep+idle", {"state": "asleep", "sleep_reason": "idle"}, True),
    ("asleep+idle-timeout", {"state": "asleep", "sleep_reason": "idle-timeout"}, True),
    ("asleep+city-stop", {"state": "asleep", "sleep_reason": "city-stop"}, True),
    ("asleep+failed-create", {"state": "asleep", "sleep_reason": "failed-create"}, True),
    ("asleep+runtime-missing", {"state": "asleep", "sleep_reason": "runtime-missing"}, True),
    ("asleep+provider-terminal-error", {"state": "asleep", "sleep_reason": "provider-terminal-error"}, True),
    ("asleep+empty-reason", {"state": "asleep", "sleep_reason": ""}, False),
    ("asleep+missing-reason", {"state": "asleep"}, False),
    ("asleep+wait-hold", {"state": "asleep", "sleep_reason": "wait-hold"}, False),
    ("asleep+context-churn", {"state": "asleep", "sleep_reason": "context-churn"}, False),
    ("asleep+unknown", {"state": "asleep", "sleep_reason": "future-reason"}, False),
    ("awake", {"state": "awake"}, False),
    ("creating", {"state": "creating"}, False),
    ("no-metadata", {}, False),
]


@pytest.mark.parametrize(("meta", "want"), [pytest.param(m, w, id=n) for n, m, w in ROWS])
def test_is_pool_session_slot_freeable_matrix(meta, want):
    assert _slot_freeable(session_bead("gc-1", **meta)) is want
