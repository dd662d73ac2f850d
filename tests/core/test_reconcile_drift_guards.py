"""Two guards of the config-drift steps (cmd/gc/session_reconciler.go), one conjunct at a time.
pendingInteractionKeepsAwakeInfo: a pending interaction keeps a session awake unless it waits on
a hold (wait_hold) or an active hold or quarantine blocks it. pendingResumePreservingNamedRestart-
Info: a named restart in place still leased in start-pending or creating, with its claim, resume
key, started hash and a parseable claim time, is skipped by the asleep drift repair."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile.config_drift import pending_keeps_awake, pending_resume_preserving_restart
from core.reconcile.context import TickContext
from core.world.runtime import RuntimeSession
from core.world.world import World


def setup(pending: bool = True, **md: str) -> TickContext:
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", pending_interaction=pending))
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", **md), "create")
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.startup_timeout = 60.0
    return ctx


LATER = "2026-01-01T01:00:00Z"
EARLIER = "2025-12-31T23:00:00Z"


@pytest.mark.parametrize(("pending", "md", "want"), [
    (True, {}, True),
    (False, {}, False),
    (True, {"wait_hold": "w-1"}, False),
    (True, {"wait_hold": "  "}, True),
    (True, {"held_until": LATER}, False),
    (True, {"quarantined_until": LATER}, False),
    (True, {"held_until": EARLIER, "quarantined_until": EARLIER}, True),  # expired timers block nothing
])
def test_a_pending_interaction_keeps_the_session_awake(pending, md, want):
    ctx = setup(pending, **md)
    assert pending_keeps_awake(ctx, ctx.store.session("gc-1")) is want


RESTART = {"state": "start-pending", "pending_create_claim": "true", "session_key": "k-1",
           "started_config_hash": "v5:old", "pending_create_started_at": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(("changes", "want"), [
    ({}, True),
    ({"state": "creating"}, True),
    ({"state": " creating "}, True),
    ({"state": "asleep"}, False),
    ({"pending_create_claim": ""}, False),
    ({"session_key": " "}, False),
    ({"started_config_hash": " "}, False),
    ({"pending_create_started_at": "soon"}, False),
])
def test_a_leased_restart_in_place_keeps_its_resume_hash(changes, want):
    ctx = setup(**{**RESTART, **changes})
    assert pending_resume_preserving_restart(ctx, ctx.store.session("gc-1")) is want


def test_an_expired_lease_no_longer_protects_the_restart():
    ctx = setup(**{**RESTART, "pending_create_started_at": format_time(World().now - timedelta(hours=1))})
    assert pending_resume_preserving_restart(ctx, ctx.store.session("gc-1")) is False
