"""The stability steps of reconcileSessionBeads' per-session pass (cmd/gc/session_reconciler.go),
called directly on a live session whose crash and churn checks pass: a session awake at least
stabilityThreshold (30 s) has its wake failures cleared (clearWakeFailures), one awake at least
the productivity threshold (5 min) its churn count; a live claimed bead commits its start
(pending_create_healed) unless the start is still in flight from a start-pending or creating
state (pending_create_recovery_in_flight, deferred), which ends the session's tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import _SessionPass, _stability
from core.world.runtime import RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")
FAILURES = {"wake_attempts": "3", "churn_count": "2", "quarantined_until": "2025-12-31T00:00:00Z"}


def stability(woke_ago: float, *, alive: bool = True, before: str = "active", **md: str):
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", instance_token="t-1"))
    woke = format_time(world.now - timedelta(seconds=woke_ago))
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", generation="2",
                                         instance_token="t-1", last_woke_at=woke, **md), "create")
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.startup_timeout = 60.0
    s = _SessionPass(ctx.store.session("gc-1"), ENTRY, "tplx", "worker", True, alive, before)
    done = _stability(ctx, s)
    assert s.b.metadata == ctx.store.session("gc-1").metadata  # the pass carries the bead as written
    return done, ctx, ctx.store.session("gc-1")


def counters(b) -> tuple[str, str, str]:
    return b.get("wake_attempts"), b.get("quarantined_until"), b.get("churn_count")


@pytest.mark.parametrize(("woke_ago", "want"), [
    (29.0, ("3", "2025-12-31T00:00:00Z", "2")),
    (30.0, ("0", "", "2")),  # stable: wake failures cleared
    (299.0, ("0", "", "2")),
    (300.0, ("0", "", "0")),  # productive: churn cleared too
])
def test_a_live_sessions_counters_clear_at_the_stability_and_productivity_thresholds(woke_ago, want):
    done, ctx, b = stability(woke_ago, state="active", **FAILURES)
    assert done is False and counters(b) == want and ctx.out.trace == []


def test_a_dead_session_keeps_its_wake_failures():
    # (its churn is the churn check's to judge)
    done, _, b = stability(600.0, alive=False, state="active", **FAILURES)
    assert done is False and counters(b)[:2] == ("3", "2025-12-31T00:00:00Z")


@pytest.mark.parametrize("before", ["creating", "start-pending"])
def test_a_start_still_in_flight_is_left_to_finish(before):
    done, ctx, b = stability(30.0, before=before, state="creating", pending_create_claim="true")
    assert done is True
    assert [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name) for t in ctx.out.trace] == \
        [("reconciler.session.rollback_pending_create", "pending_create_recovery_in_flight", "deferred", "tplx",
          "worker")]
    assert (b.state, b.get("pending_create_claim")) == ("creating", "true")


@pytest.mark.parametrize(("before", "woke_ago"), [("active", 30.0), ("creating", 600.0)])
def test_a_live_claimed_bead_otherwise_commits_its_start(before, woke_ago):
    done, ctx, b = stability(woke_ago, before=before, state="creating", pending_create_claim="true")
    assert done is False
    assert [(t.reason_code, t.outcome_code, t.template) for t in ctx.out.trace] == \
        [("pending_create_healed", "healed", "tplx")]
    assert (b.state, b.get("pending_create_claim")) == ("active", "")


def test_a_dead_claimed_bead_is_left_alone():
    done, ctx, b = stability(30.0, alive=False, before="creating", state="creating", pending_create_claim="true")
    assert done is False and ctx.out.trace == [] and b.state == "creating"
