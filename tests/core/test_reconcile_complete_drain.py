"""CompleteDrainPatch (internal/session): a drain that completes puts the bead asleep with the
drain's reason; a wake_mode = "fresh" session also loses its conversation
(applyFreshWakeConversationReset)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.drains import complete_drain
from core.scenario.file import load_scenario
from core.world.memory import Drain

CITY = """name = "drain"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 2
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker-gc-1"
template = "worker"
state = "draining"
state_reason = "draining"
sleep_intent = "idle"
last_woke_at = "2026-05-16T11:00:00Z"
pending_create_claim = "true"
pending_create_started_at = "2026-05-16T11:00:00Z"
session_key = "k-1"
started_config_hash = "v5:c"
started_live_hash = "v5:l"
live_hash = "v5:l"
startup_dialog_verified = "true"
primed_at = "2026-05-16T11:00:00Z"
prompt_hash = "p"
wake_mode = "{mode}"
"""

COMMON = {"state": "asleep", "state_reason": "", "sleep_reason": "idle", "last_woke_at": "", "pending_create_claim": "",
          "pending_create_started_at": "", "sleep_intent": "", "slept_at": "2026-05-16T12:00:00Z"}
KEPT = {"session_key": "k-1", "started_config_hash": "v5:c", "started_live_hash": "v5:l", "live_hash": "v5:l",
        "startup_dialog_verified": "true", "primed_at": "2026-05-16T11:00:00Z", "prompt_hash": "p"}


def test_a_completed_drain_sleeps_in_whole_seconds(tmp_path):
    """CompleteDrainPatch writes slept_at `now.UTC().Format(time.RFC3339)`: the fraction of
    the clock is dropped."""
    p = tmp_path / "d.toml"
    p.write_text(CITY.format(mode="resume"))
    m = load_scenario(str(p)).model()
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ctx.now += timedelta(seconds=0.999)
    complete_drain(ctx, m.world.store.session("gc-1"), Drain("gc-1", "idle", m.world.now, ctx.now, "1"))
    assert m.world.store.session("gc-1").get("slept_at") == "2026-05-16T12:00:00Z"


@pytest.mark.parametrize("mode", ["resume", "fresh"])
def test_a_completed_drain(tmp_path, mode):
    p = tmp_path / "d.toml"
    p.write_text(CITY.format(mode=mode))
    m = load_scenario(str(p)).model()
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    t0 = m.world.now
    complete_drain(ctx, m.world.store.session("gc-1"), Drain("gc-1", "idle", t0, t0 + timedelta(minutes=5), "1"))
    b = m.world.store.session("gc-1")
    want = {**COMMON, **({k: "" for k in KEPT} if mode == "fresh" else KEPT)}
    if mode == "fresh":
        want["continuation_reset_pending"] = "true"
    assert {k: b.get(k) for k in want} == want
    if mode == "resume":
        assert b.get("continuation_reset_pending") == ""
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail) for a in ctx.out.actions] == \
        [("sleep", "gc-1", "worker-gc-1", "idle", "drain complete")]
