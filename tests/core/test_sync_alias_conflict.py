"""recordAliasConflict and the alias claim of syncSessionBeads (cmd/gc/session_beads.go) for a
bead whose managed alias another open bead holds: the conflict is recorded once per alias
(pool_alias_conflict, its count and stamp), not again while the same alias stays recorded,
except for a deferred canonical singleton (no alias yet), which retries on the backoff of
deferredSingletonAliasRetryDue and counts each retry."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import sync_entry
from core.world.world import World

NOW = T0 + timedelta(hours=1)
STAMP = "2026-05-16T13:00:00Z"
HOLDER = session_bead("gc-0", T0 - timedelta(hours=1), session_name="elsewhere", alias="solo", template="solo")


def tick_ctx(*beads) -> TickContext:
    world = World()
    world.now = NOW
    for b in beads:
        world.store.put_session(b)
    world.store.journal.clear()
    city = make_city(Agent(name="solo", max_active_sessions=1), Agent(name="worker", max_active_sessions=3))
    return TickContext(city, world, "current", Outcome())


def solo(**md: str):
    base = dict(session_name="solo-gc-1", agent_name="solo", template="solo", session_origin="ephemeral",
                pool_managed="true", continuation_epoch="1")
    return session_bead("gc-1", **{**base, **md})


def solo_entry() -> DesiredEntry:
    return DesiredEntry(session_name="solo-gc-1", template="solo", identity="solo", alias="solo", pool_slot=0,
                        source="resume")


def written(ctx: TickContext) -> dict[str, str]:
    assert len(ctx.store.journal) <= 1, ctx.store.journal
    return {k: v[1] for k, v in ctx.store.journal[0].fields.items()} if ctx.store.journal else {}


def defers(ctx: TickContext) -> list[tuple]:
    return [(a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions
            if a.kind == "defer_alias"]


def test_a_first_conflict_is_recorded_with_a_count_of_one():
    ctx = tick_ctx(HOLDER, solo())
    sync_entry(ctx, solo_entry(), set())
    assert written(ctx) == {"pool_alias_conflict": "solo", "pool_alias_conflict_count": "1",
                            "pool_alias_conflict_at": STAMP, "synced_at": STAMP}
    assert defers(ctx) == [("gc-1", "solo-gc-1", "alias-held", "solo", "solo")]
    assert ctx.out.logs == ['session beads: alias "solo" for solo unavailable: session alias already exists: '
                            '"solo" already belongs to gc-0']


def test_a_recorded_conflict_of_a_bead_holding_an_alias_is_not_recorded_again():
    """Not a deferred singleton (the bead has an alias of its own): the same alias recorded
    with a count is left as it is, whatever its padding."""
    ctx = tick_ctx(HOLDER, solo(alias="old", pool_alias_conflict=" solo ", pool_alias_conflict_count=" 2 ",
                                pool_alias_conflict_at="2026-05-16T11:00:00Z"))
    sync_entry(ctx, solo_entry(), set())
    assert written(ctx) == {"alias": "", "synced_at": STAMP}
    assert defers(ctx) == []


def test_a_conflict_recorded_without_a_count_is_recorded_again():
    for count in ("", "  "):
        ctx = tick_ctx(HOLDER, solo(alias="old", pool_alias_conflict="solo", pool_alias_conflict_count=count))
        sync_entry(ctx, solo_entry(), set())
        assert written(ctx) == {"alias": "", "pool_alias_conflict_count": "1", "pool_alias_conflict_at": STAMP,
                                "synced_at": STAMP}


def test_a_conflict_over_another_alias_is_recorded_at_once_with_the_count_carried_on():
    """No backoff outside a deferred singleton's retry: a bead that recorded a conflict over
    another alias ten seconds ago records this one now, counting on from its count."""
    at = (NOW - timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = tick_ctx(HOLDER, solo(alias="old", pool_alias_conflict="other", pool_alias_conflict_count="2",
                                pool_alias_conflict_at=at))
    sync_entry(ctx, solo_entry(), set())
    assert written(ctx) == {"alias": "", "pool_alias_conflict": "solo", "pool_alias_conflict_count": "3",
                            "pool_alias_conflict_at": STAMP, "synced_at": STAMP}


def test_a_deferred_singleton_retries_once_its_backoff_has_passed():
    """Count 2: a 60 s backoff. Stamped 61 s ago the retry is due and counts 3."""
    at = (NOW - timedelta(seconds=61)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = tick_ctx(HOLDER, solo(pool_alias_conflict=" solo ", pool_alias_conflict_count="2",
                                pool_alias_conflict_at=at))
    sync_entry(ctx, solo_entry(), set())
    assert written(ctx) == {"pool_alias_conflict": "solo", "pool_alias_conflict_count": "3",
                            "pool_alias_conflict_at": STAMP, "synced_at": STAMP}
    assert len(defers(ctx)) == 1


def test_a_deferred_singleton_waits_out_its_backoff():
    at = (NOW - timedelta(seconds=59)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = tick_ctx(HOLDER, solo(pool_alias_conflict="solo", pool_alias_conflict_count="2",
                                pool_alias_conflict_at=at))
    sync_entry(ctx, solo_entry(), set())
    assert written(ctx) == {} and defers(ctx) == []


def test_only_a_canonical_singleton_retries():
    """A pool template of max 3 is no canonical singleton: its recorded conflict stays as it is."""
    holder = session_bead("gc-0", T0 - timedelta(hours=1), session_name="elsewhere", alias="worker-1")
    bead = session_bead("gc-1", session_name="worker-gc-1", agent_name="worker-1", template="worker",
                        session_origin="manual", continuation_epoch="1", pool_alias_conflict="worker-1",
                        pool_alias_conflict_count="2", pool_alias_conflict_at="2026-05-16T11:00:00Z")
    ctx = tick_ctx(holder, bead)
    e = DesiredEntry(session_name="worker-gc-1", template="worker", identity="worker-1", alias="worker-1",
                     pool_slot=0, source="resume", manual=True)
    sync_entry(ctx, e, set())
    assert defers(ctx) == []
