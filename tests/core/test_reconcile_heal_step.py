"""The heal steps of reconcileSessionBeads' per-session pass (cmd/gc/session_reconciler.go),
called directly: the state before healing is kept (trimmed) for the start-commit check, and an
idle stop that was pending when the runtime went away completes as an idle sleep
(sleep_reason idle, slept_at now) that keeps the bead's sleep-policy fingerprint; a runtime still
running keeps its pending idle stop for the idle step."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import _heal, _SessionPass
from core.world.runtime import RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")


def heal(running: bool, **md: str):
    world = World()
    if running:
        world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", session_id="gc-1"))
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", generation="2", **md),
                            "create")
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    s = _SessionPass(ctx.store.session("gc-1"), ENTRY, "tplx", "worker", running, running)
    assert _heal(ctx, s) is False
    assert s.b.metadata == ctx.store.session("gc-1").metadata  # the pass carries the bead as written
    return s, ctx.store.session("gc-1")


@pytest.mark.parametrize(("fingerprint", "kept"), [({"sleep_policy_fingerprint": "fp-1"}, "fp-1"), ({}, "")])
def test_a_pending_idle_stop_whose_runtime_is_gone_completes_as_an_idle_sleep(fingerprint, kept):
    s, b = heal(False, state=" active ", sleep_intent="idle-stop-pending", **fingerprint)
    assert s.state_before == "active" and s.alive is False
    assert (b.state, b.get("sleep_reason"), b.get("slept_at"), b.get("sleep_intent")) == \
        ("asleep", "idle", "2026-01-01T00:00:00Z", "")
    assert b.get("sleep_policy_fingerprint") == kept


def test_a_running_runtime_keeps_its_pending_idle_stop():
    s, b = heal(True, state="awake", sleep_intent="idle-stop-pending", sleep_policy_fingerprint="fp-1")
    assert s.state_before == "awake" and s.alive is True
    assert (b.state, b.get("sleep_intent"), b.get("sleep_reason")) == ("awake", "idle-stop-pending", "")
