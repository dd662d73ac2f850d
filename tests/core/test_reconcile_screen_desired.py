"""The screening steps at the head of reconcileSessionBeads' per-session pass
(cmd/gc/session_reconciler.go), called directly: a desired bead drops its named-absence count
and, with no committed reset pending, its reset-stall mark (clearResetStall); a bead in a state
the reconciler does not know is skipped (emitSessionUnknownStateDiagnostic); a bead back in a
known state drops its unknown-state markers (clearSessionUnknownStateMarkers); a desired bead
goes on with its entry and the entry's template."""

from __future__ import annotations

from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry, DesiredResult, Entries
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import _screen_known_desired
from core.world.runtime import RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "tpl-entry", "rig/worker", "", 0, "pool")


def setup(desired: bool = True, **md: str) -> TickContext:
    world = World()
    world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", session_id="gc-1"))
    world.store.put_session(session_bead("gc-1", session_name=" worker ", template="worker", generation="2", **md),
                            "create")
    world.memory = world.memory.set("named_absence", "gc-1", 2).set("reset_stalls", "gc-1", True)
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.desired = DesiredResult(entries=Entries({"worker": ENTRY} if desired else {}))
    return ctx


def test_a_desired_bead_goes_on_with_its_entry_and_forgets_its_absence_and_stall():
    ctx = setup(state="active")
    b, entry, template = _screen_known_desired(ctx, ctx.store.session("gc-1"), {"worker"})
    assert (b.id, entry, template) == ("gc-1", ENTRY, "tpl-entry")
    assert "gc-1" not in ctx.mem.named_absence and "gc-1" not in ctx.mem.reset_stalls
    assert ctx.out.trace == []


def test_a_committed_reset_pending_keeps_its_stall_mark():
    ctx = setup(state="active", continuation_reset_pending="true", reset_committed_at="2025-12-31T23:00:00Z")
    assert _screen_known_desired(ctx, ctx.store.session("gc-1"), {"worker"}) is not None
    assert ctx.mem.reset_stalls.get("gc-1") is True


def test_an_unknown_state_is_skipped_with_its_diagnostic():
    ctx = setup(state="hibernating")
    assert _screen_known_desired(ctx, ctx.store.session("gc-1"), {"worker"}) is None
    assert [(t.site_code, t.fields) for t in ctx.out.trace] == \
        [("reconciler.session.skip_unknown_state", {"state": "hibernating"})]
    assert ctx.store.session("gc-1").get("unknown_state_value") == "hibernating"


def test_a_known_state_drops_the_unknown_state_markers_it_carries():
    ctx = setup(state="active", unknown_state_first_seen="2025-12-31T00:00:00Z", unknown_state_value="x",
                unknown_state_escalated_at="2025-12-31T00:30:00Z")
    b, _, _ = _screen_known_desired(ctx, ctx.store.session("gc-1"), {"worker"})
    for k in ("unknown_state_first_seen", "unknown_state_value", "unknown_state_escalated_at"):
        assert b.get(k) == "" and ctx.store.session("gc-1").get(k) == "", k


def test_a_bead_no_longer_desired_keeps_its_absence_count_for_the_undesired_step():
    ctx = setup(desired=False, state="active")
    _screen_known_desired(ctx, ctx.store.session("gc-1"), set())
    assert ctx.mem.named_absence.get("gc-1") == 2
