"""The heal rule (healStatePatchWithRollback), row by row as Gas City's
TestHealStatePatchProjectsRuntimeLiveness tables it, plus the no-oscillation regression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import session_bead

from core.reconcile.heal import heal_patch
from core.world.beads import SessionBead

NOW = datetime(2026, 4, 15, 14, 0, tzinfo=UTC)
STARTUP = 60.0


def bead(md: dict[str, str], created: datetime | None = None) -> SessionBead:
    return session_bead("b1", created or NOW - timedelta(hours=1), **md)


def applied(b: SessionBead, patch: dict[str, str]) -> dict[str, str]:
    return dict(b.with_meta(patch).metadata)


CASES = [
    ("alive runtime writes awake", True, {"state": "asleep"}, None, {"state": "awake"}),
    ("drained compat becomes asleep with drained reason", False, {"state": "drained"}, None,
     {"state": "asleep", "sleep_reason": "drained"}),
    ("fresh creating stays creating without write", False, {"state": "creating"}, NOW - timedelta(seconds=30), {}),
    ("dead blank legacy state heals to asleep", False, {"state": ""}, None, {"state": "asleep"}),
    ("dead blank legacy state with claim heals to start-pending", False, {"state": "", "pending_create_claim": "true"},
     NOW - timedelta(seconds=30), {"state": "start-pending"}),
    ("stale creating resets the stale resume identity", False,
     {"state": "creating", "session_key": "old-key", "started_config_hash": "old-hash", "primed_at": "x"},
     NOW - timedelta(minutes=2),
     {"state": "asleep", "sleep_reason": "runtime-missing", "session_key": "", "started_config_hash": "",
      "continuation_reset_pending": "true", "primed_at": ""}),
    ("failed-create heals to asleep with failed-create reason", False, {"state": "failed-create"}, None,
     {"state": "asleep", "sleep_reason": "failed-create"}),
    ("failed-create keeps an existing sleep reason", False, {"state": "failed-create", "sleep_reason": "auth-failure"},
     None, {"state": "asleep"}),
    ("failed-create with a stale claim clears it", False, {"state": "failed-create", "pending_create_claim": "true"},
     NOW - timedelta(minutes=20),
     {"state": "asleep", "sleep_reason": "failed-create", "pending_create_claim": ""}),
    ("stale creating with an expired never-started claim clears the claim", False,
     {"state": "creating", "pending_create_claim": "true", "session_key": "k",
      "pending_create_started_at": "2026-04-15T13:49:00Z"}, NOW - timedelta(minutes=11),
     {"state": "asleep", "sleep_reason": "runtime-missing", "pending_create_claim": "", "pending_create_started_at": "",
      "session_key": "", "continuation_reset_pending": "true"}),
    ("alive failed-create projects awake", True, {"state": "failed-create"}, None, {"state": "awake"}),
    ("dead active with a deliberate sleep reason keeps the conversation", False,
     {"state": "active", "sleep_reason": "idle", "session_key": "k"}, None, {"state": "asleep"}),
    ("dead suspended heals to asleep", False, {"state": "suspended"}, None, {"state": "asleep"}),
    ("start-pending stays start-pending", False, {"state": "start-pending", "pending_create_claim": "true"},
     NOW - timedelta(seconds=10), {}),
]


@pytest.mark.parametrize("name,alive,md,created,want", CASES, ids=[c[0] for c in CASES])
def test_heal_row(name, alive, md, created, want):
    b = bead(md, created)
    patch = heal_patch(b, alive, NOW, STARTUP)
    got = applied(b, patch)
    expected = applied(b, want)
    assert got == expected, f"{name}: patch {patch}"


def test_always_named_keeps_its_conversation_on_a_stale_create():
    b = bead({"state": "creating", "session_key": "k", "started_config_hash": "h", "configured_named_session": "true",
              "configured_named_mode": "always"}, NOW - timedelta(minutes=2))
    patch = heal_patch(b, False, NOW, STARTUP)
    assert patch.get("state") == "asleep"
    assert "session_key" not in patch and "started_config_hash" not in patch


def test_stale_creating_claim_does_not_oscillate_back_to_creating():
    b = bead({"state": "creating", "pending_create_claim": "true", "pending_create_started_at": "2026-04-15T13:49:00Z"},
             NOW - timedelta(minutes=11))
    once = b.with_meta(heal_patch(b, False, NOW, STARTUP))
    assert once.state == "asleep" and not once.pending_claim
    assert heal_patch(once, False, NOW, STARTUP) == {}
    later = NOW + timedelta(minutes=5)
    assert heal_patch(once, False, later, STARTUP) == {}


def test_closed_beads_are_never_healed():
    b = SessionBead("b1", NOW, {"state": "asleep"}, open=False)
    assert heal_patch(b, True, NOW, STARTUP) == {}


def test_a_failed_create_claim_keeps_its_lease_for_a_minute_after_its_wake_whatever_the_startup_timeout():
    # healStatePatchWithRollback asks pendingCreateLeaseActiveInfo with a zero startup timeout,
    # which the in-flight window reads as one minute (+7 s): a 5 s startup timeout changes nothing
    md = {"state": "failed-create", "pending_create_claim": "true",
          "pending_create_started_at": "2026-04-15T13:58:00Z"}  # two minutes ago: the attempt itself is stale
    woke_30s_ago = bead({**md, "last_woke_at": "2026-04-15T13:59:30Z"})
    assert heal_patch(woke_30s_ago, False, NOW, 5.0) == {}
    woke_70s_ago = bead({**md, "last_woke_at": "2026-04-15T13:58:50Z"})
    assert heal_patch(woke_70s_ago, False, NOW, 5.0) == {
        "state": "asleep", "sleep_reason": "failed-create", "pending_create_claim": "", "pending_create_started_at": ""}
