"""reopenClosedConfiguredNamedSessionBead (cmd/gc/session_beads.go), as syncSessionBeads reaches
it for a desired configured named session no open bead holds: the newest closed canonical bead
of the identity under its configured runtime name is reopened, unless the identity's alias
(EnsureAliasAvailableWithConfigForOwner, the identity as owner) or its session name is held by
another open bead, or the store refuses the write."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, make_city, session_bead

from core.config.city_config import Agent, NamedSession
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import reopen_named, reopen_patch, sync_entry
from core.world.runtime import RuntimeSession
from core.world.world import World

CLOSED = dict(session_name="mayor", alias="mayor", agent_name="mayor", template="mayor", session_origin="named",
              configured_named_session="true", configured_named_identity="mayor", configured_named_mode="always",
              state="suspended", close_reason="suspended")


def closed(bid: str, minutes: int = 0, **md: str):
    b = session_bead(bid, T0 + timedelta(minutes=minutes), **{**CLOSED, **md})
    return b.__class__(b.id, b.created_at, b.metadata, False)


def tick_ctx(*beads, running: bool = False) -> TickContext:
    world = World()
    world.now = T0 + timedelta(hours=1)
    for b in beads:
        world.store.put_session(b)
    world.store.journal.clear()
    if running:
        world.runtime.sessions = world.runtime.sessions.set("mayor", RuntimeSession("mayor"))
    city = make_city(Agent(name="mayor", max_active_sessions=1), named=[NamedSession(template="mayor", mode="always")])
    return TickContext(city, world, "current", Outcome())


def entry() -> DesiredEntry:
    return DesiredEntry(session_name="mayor", template="mayor", identity="mayor", alias="mayor", pool_slot=0,
                        source="named-always", named_identity="mayor", named_mode="always")


def test_the_newest_closed_canonical_bead_is_reopened_and_recorded():
    ctx = tick_ctx(closed("gc-1", 0), closed("gc-3", 2), closed("gc-2", 1))
    e = entry()
    sync_entry(ctx, e, {"mayor"})
    assert e.bead_id == "gc-3" and ctx.store.session("gc-3").open
    assert not ctx.store.session("gc-1").open and not ctx.store.session("gc-2").open
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions] == [
        ("create_bead", "gc-3", "mayor", "reopen-named", "mayor", "mayor")]
    assert ctx.out.logs == ["session beads: reopened closed canonical bead gc-3 for named session mayor"]


def test_ties_in_creation_time_go_to_the_higher_id():
    ctx = tick_ctx(closed("gc-10", 0), closed("gc-9", 0), closed("gc-2", 0))
    assert reopen_named(ctx, entry(), "mayor").id == "gc-10"


def test_a_reopen_whose_runtime_runs_is_active_else_a_fresh_claim():
    """The state the reopen writes follows IsRunning: `active` without a claim when the runtime
    runs, a stamped create claim otherwise."""
    ctx = tick_ctx(closed("gc-1"), running=True)
    b = reopen_named(ctx, entry(), "mayor")
    assert (b.state, b.get("pending_create_claim"), b.alias) == ("active", "", "mayor")
    ctx = tick_ctx(closed("gc-1", alias=""))
    b = reopen_named(ctx, entry(), "mayor")
    assert (b.get("pending_create_claim"), b.get("pending_create_started_at"), b.alias, b.get("synced_at")) == \
        ("true", "2026-05-16T13:00:00Z", "mayor", "2026-05-16T13:00:00Z")
    assert b.state != "active"


def test_only_a_closed_bead_of_the_identity_under_its_runtime_name_and_eligible_is_reopened():
    for b in (closed("gc-1", session_name="mayor-old"), closed("gc-2", configured_named_identity="deacon"),
              closed("gc-3", close_reason="orphaned")):
        ctx = tick_ctx(b)
        assert reopen_named(ctx, entry(), "mayor") is None, b.id
        assert not ctx.store.journal and not ctx.out.logs


def test_an_identity_padded_on_the_closed_bead_still_matches():
    ctx = tick_ctx(closed("gc-1", session_name=" mayor ", configured_named_identity=" mayor "))
    assert reopen_named(ctx, entry(), "mayor").id == "gc-1"


def test_a_name_other_than_the_configured_runtime_name_reopens_nothing():
    ctx = tick_ctx(closed("gc-1", session_name="mayor-x"))
    assert reopen_named(ctx, entry(), "mayor-x") is None


def test_an_alias_held_by_another_open_bead_blocks_the_reopen():
    ctx = tick_ctx(closed("gc-1"), session_bead("gc-7", session_name="elsewhere", alias="mayor"))
    assert reopen_named(ctx, entry(), "mayor") is None
    assert not ctx.store.session("gc-1").open
    assert ctx.out.logs == ['session beads: alias "mayor" for mayor unavailable during reopen: session alias '
                            'already exists: "mayor" already belongs to gc-7']


def test_the_identity_owns_its_alias_against_an_agent_name():
    """The reopen asserts the identity as owner: another bead whose agent_name is the identity
    does not block it."""
    ctx = tick_ctx(closed("gc-1"), session_bead("gc-7", session_name="elsewhere", agent_name="mayor"))
    assert reopen_named(ctx, entry(), "mayor").id == "gc-1"


def test_a_live_holder_of_the_session_name_blocks_the_reopen():
    """An asleep superseded predecessor of the same identity passes the alias check (#4741) but
    still holds the session name; with several, the latest is named."""
    asleep = {**CLOSED, "state": "asleep", "close_reason": "", "alias": ""}
    live = [session_bead(bid, T0 + timedelta(minutes=i), **asleep) for i, bid in enumerate(("gc-5", "gc-6", "gc-7"))]
    ctx = tick_ctx(closed("gc-1"), *live)
    assert reopen_named(ctx, entry(), "mayor") is None
    assert ctx.out.logs == ['session beads: session_name "mayor" for mayor unavailable during reopen: session name '
                            'already exists: "mayor" already belongs to gc-7']


def test_a_refused_reopen_is_logged_and_leaves_the_bead_closed():
    ctx = tick_ctx(closed("gc-1"))
    ctx.store.write_faults = [["write", 1, "disk: full"]]
    assert reopen_named(ctx, entry(), "mayor") is None
    assert not ctx.store.session("gc-1").open and not ctx.out.actions
    assert ctx.out.logs == ['session beads: reopening configured named session "mayor": disk: full']


def test_the_reopen_patch_of_an_active_and_of_a_fresh_spawn():
    """The batch reopenClosedConfiguredNamedSessionBead writes: the state, cleared close record
    and claim for a running runtime; for a fresh spawn a stamped claim, cleared start markers
    and wake blockers, zeroed crash counters and no sleep reason."""
    b = closed("gc-1")
    now = "2026-05-16T13:00:00Z"
    cleared = {"state_reason": "", "close_reason": "", "closed_at": "", "synced_at": now}
    assert reopen_patch(b, "active", now) == {"state": "active", **cleared, "pending_create_claim": "",
                                              "pending_create_started_at": ""}
    fresh = reopen_patch(b, "start-pending", now)
    markers = ("creation_complete_at", "last_woke_at", "started_config_hash", "started_live_hash", "live_hash",
               "startup_dialog_verified", "primed_at", "priming_attempted_at", "prompt_hash")
    assert {k: fresh.pop(k) for k in markers} == dict.fromkeys(markers, "")
    assert fresh == {"state": "start-pending", **cleared, "pending_create_claim": "true",
                     "pending_create_started_at": now, "held_until": "", "quarantined_until": "", "wait_hold": "",
                     "sleep_intent": "", "wake_attempts": "0", "churn_count": "0", "sleep_reason": ""}
