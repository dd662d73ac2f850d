"""The restart-requested step of reconcileSessionBeads (cmd/gc/session_reconciler.go), called
directly: a request on the runtime (GC_RESTART_REQUESTED, read only while it runs) or on the bead
(restart_requested, or the progress-stall step's) stops a running runtime and writes the restart
handoff (RestartRequestPatch: the marker consumed, started_config_hash and last_woke_at cleared,
a continuation reset committed now, the pending-create claim dropped, a fresh or no session key),
then yields the tick ("Stopped restart-requested session"); an already dead runtime falls
through to this tick's wake (#2345). A pinned named session without an explicit controller
reset only has its markers cleared; a failed stop leaves the request for the next tick."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import fresh_restart_session_key, restart_requested
from core.world.runtime import META_RESTART_REQUESTED, RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")
BEAD = {"session_name": "worker", "template": "worker", "state": "active", "generation": "2",
        "started_config_hash": "v5:abc", "last_woke_at": "2025-12-31T23:00:00Z", "session_key": "k-1",
        "pending_create_claim": "true", "pending_create_started_at": "2025-12-31T23:00:00Z",
        "primed_at": "2025-12-31T23:00:00Z", "prompt_hash": "p"}


def setup(*, running: bool = True, rt_request: bool = False, **md: str) -> TickContext:
    world = World()
    if running:
        meta = {META_RESTART_REQUESTED: "1"} if rt_request else {}
        world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", session_id="gc-1",
                                                                                     meta=meta))
    world.store.put_session(session_bead("gc-1", **{**BEAD, **md}), "create")
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


def handoff(ctx: TickContext) -> dict[str, str]:
    return {"restart_requested": "", "started_config_hash": "", "continuation_reset_pending": "true",
            "reset_committed_at": "2026-01-01T00:00:00Z", "last_woke_at": "", "pending_create_claim": "",
            "pending_create_started_at": "", "primed_at": "", "prompt_hash": "",
            "session_key": fresh_restart_session_key(ctx, ctx.store.session("gc-1"), "worker")}


def assert_handoff(ctx: TickContext, b) -> None:
    for k, v in handoff(ctx).items():
        assert b.get(k) == v, k
    assert ctx.store.session("gc-1").metadata == b.metadata
    assert "gc-1" in ctx.reset_committed_this_tick


def actions(ctx: TickContext) -> list[tuple]:
    return [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions]


RESTART = ("restart", "gc-1", "worker", "restart-requested", "fresh conversation on the next wake", "worker")


def test_no_request_changes_nothing():
    ctx = setup()
    before = ctx.store.session("gc-1")
    assert restart_requested(ctx, before, ENTRY, True) == (False, before)
    assert (ctx.out.actions, ctx.out.logs, ctx.rt.alive("worker")) == ([], [], True)


def test_a_runtime_request_is_not_read_from_a_runtime_that_is_not_running():
    ctx = setup(rt_request=True)
    before = ctx.store.session("gc-1")
    assert restart_requested(ctx, before, ENTRY, False) == (False, before)
    assert ctx.out.actions == [] and ctx.rt.alive("worker")


@pytest.mark.parametrize(("rt_request", "md", "stalled"), [
    (True, {}, False),  # the agent asked (GC_RESTART_REQUESTED)
    (False, {"restart_requested": "true"}, False),  # the operator asked
    (False, {}, True),  # the progress stall asked
])
def test_a_request_stops_the_running_runtime_writes_the_handoff_and_yields_the_tick(rt_request, md, stalled):
    ctx = setup(rt_request=rt_request, **md)
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, True, stalled)
    assert done is True and not ctx.rt.alive("worker")
    assert_handoff(ctx, b)
    assert actions(ctx) == [("stop", "gc-1", "worker", "restart-requested", "", "worker"), RESTART]
    assert ctx.out.logs == ["Stopped restart-requested session 'worker'"]


def test_a_request_on_a_dead_runtime_writes_the_handoff_and_falls_through_to_the_wake():
    ctx = setup(running=False, restart_requested="true")
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, False)
    assert done is False
    assert_handoff(ctx, b)
    assert actions(ctx) == [RESTART] and ctx.out.logs == []


def test_the_session_key_follows_the_beads_template_when_the_entry_has_none():
    ctx = setup(running=False, restart_requested="true", session_id_flag="--session-id")
    entry = DesiredEntry("worker", "", "rig/worker", "", 0, "pool")
    _, b = restart_requested(ctx, ctx.store.session("gc-1"), entry, False)
    assert b.get("session_key") == fresh_restart_session_key(ctx, ctx.store.session("gc-1"), "worker")


PINNED = {"session_origin": "named", "configured_named_session": "true", "configured_named_identity": "worker",
          "pin_awake": "true", "restart_requested": "true"}


def test_a_pinned_named_session_only_has_its_requests_cleared():
    ctx = setup(rt_request=True, **PINNED)
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, True)
    assert done is True and ctx.rt.alive("worker")
    assert ctx.rt.get_meta("worker", META_RESTART_REQUESTED) == ""
    assert b.get("restart_requested") == "" and b.get("started_config_hash") == "v5:abc"
    assert b.metadata == ctx.store.session("gc-1").metadata
    assert ctx.out.logs == ["session reconciler: skipping abrupt restart-requested kill for pinned named session "
                            "worker (bead gc-1)"]
    assert ctx.out.actions == [] and "gc-1" not in ctx.reset_committed_this_tick


def test_a_pinned_named_session_with_only_a_runtime_request_keeps_the_beads_fields():
    ctx = setup(rt_request=True, **{**PINNED, "restart_requested": ""})
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, True)
    assert done is True and ctx.rt.get_meta("worker", META_RESTART_REQUESTED) == ""
    assert b.get("session_key") == "k-1"


def test_a_pinned_named_sessions_bead_request_leaves_the_runtime_meta_alone():
    ctx = setup(**PINNED)
    ctx.rt.set_meta("worker", {"OTHER": "x"})
    done, _ = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, True)
    assert done is True and ctx.rt.get_meta("worker", "OTHER") == "x"


def test_a_pinned_named_session_under_an_explicit_reset_is_restarted():
    ctx = setup(**PINNED, continuation_reset_pending="true")
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, True)
    assert done is True and not ctx.rt.alive("worker")
    assert_handoff(ctx, b)


def test_a_pinned_named_session_whose_runtime_is_gone_is_restarted():
    ctx = setup(running=False, **PINNED)
    done, b = restart_requested(ctx, ctx.store.session("gc-1"), ENTRY, False)
    assert done is False
    assert_handoff(ctx, b)


def test_a_failed_stop_leaves_the_request_for_the_next_tick():
    ctx = setup(restart_requested="true")
    ctx.rt.stop_failures = [["worker", 1, "tmux busy"]]
    before = ctx.store.session("gc-1")
    assert restart_requested(ctx, before, ENTRY, True) == (True, before)
    assert ctx.store.session("gc-1").metadata == before.metadata and ctx.rt.alive("worker")
    assert ctx.out.logs == ["session reconciler: stopping restart-requested worker: tmux busy"]
    assert ctx.out.actions == []
