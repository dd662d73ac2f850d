"""syncDesiredPoolSlots (cmd/gc/session_beads.go): after the per-entry sync, each desired bead
of an instance-expanding pool template (not a canonical singleton, not manual, not named) whose
alias agrees with its entry is given its slot (the entry's own slot first, else the one the bead
already holds, each slot once in session-name order) and pool_managed; a bead written gets
synced_at, a bead already in agreement is not written at all."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry, DesiredResult
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import sync_desired_pool_slots
from core.world.world import World

LATER = T0 + timedelta(seconds=90)
STAMP = "2026-05-16T12:01:30Z"
OLD = "2026-05-16T11:00:00Z"


def run(beads, entries, *agents: Agent) -> TickContext:
    world = World()
    world.now = LATER
    for b in beads:
        world.store.put_session(b)
    world.store.journal.clear()
    ctx = TickContext(make_city(*(agents or (Agent(name="worker", max_active_sessions=3),))), world, "current",
                      Outcome())
    desired = DesiredResult()
    for e in entries:
        desired.entries[e.session_name] = e
    sync_desired_pool_slots(ctx, desired)
    return ctx


def entry(sn: str, slot: int, alias: str = "", template: str = "worker", **kw) -> DesiredEntry:
    return DesiredEntry(session_name=sn, template=template, identity=alias or sn, alias=alias, pool_slot=slot,
                        source="resume", **kw)


def bead(bid: str, sn: str, **md: str):
    return session_bead(bid, session_name=sn, template="worker", synced_at=OLD, **md)


def md(ctx: TickContext, bid: str, *keys: str) -> tuple[str, ...]:
    b = ctx.store.session(bid)
    return tuple(b.get(k) for k in keys)


KEYS = ("pool_slot", "pool_managed", "synced_at")


def test_a_bead_missing_its_slot_is_backfilled_and_stamped():
    ctx = run([bead("gc-1", "worker-gc-1", alias="worker-1")], [entry("worker-gc-1", 1, "worker-1")])
    assert md(ctx, "gc-1", *KEYS) == ("1", "true", STAMP)


def test_a_stale_slot_is_rewritten_and_stamped_though_pool_managed_is_already_set():
    ctx = run([bead("gc-1", "worker-gc-1", alias="worker-2", pool_slot="1", pool_managed="true")],
              [entry("worker-gc-1", 2, "worker-2")])
    assert md(ctx, "gc-1", *KEYS) == ("2", "true", STAMP)


def test_a_missing_pool_managed_alone_is_written_and_stamped():
    ctx = run([bead("gc-1", "worker-gc-1", alias="worker-2", pool_slot="2")], [entry("worker-gc-1", 2, "worker-2")])
    assert md(ctx, "gc-1", *KEYS) == ("2", "true", STAMP)


def test_a_bead_in_agreement_is_not_written():
    ctx = run([bead("gc-1", "worker-gc-1", alias="worker-2", pool_slot="2", pool_managed="true")],
              [entry("worker-gc-1", 2, "worker-2")])
    assert md(ctx, "gc-1", *KEYS) == ("2", "true", OLD)
    assert not ctx.store.journal


def test_a_bead_whose_alias_disagrees_with_its_entry_is_skipped():
    ctx = run([bead("gc-1", "worker-gc-1", alias="other")], [entry("worker-gc-1", 1, "worker-1")])
    assert md(ctx, "gc-1", *KEYS) == ("", "", OLD)


def test_an_entry_without_an_alias_takes_its_slot_whatever_the_bead_alias():
    ctx = run([bead("gc-1", "worker-gc-1", alias="other")], [entry("worker-gc-1", 1)])
    assert md(ctx, "gc-1", *KEYS) == ("1", "true", STAMP)


def test_a_desired_name_no_open_bead_holds_is_skipped():
    ctx = run([bead("gc-2", "worker-gc-2", alias="worker-2")],
              [entry("worker-gc-1", 1, "worker-1"), entry("worker-gc-2", 2, "worker-2")])
    assert md(ctx, "gc-2", *KEYS) == ("2", "true", STAMP)


def test_a_slot_taken_by_an_earlier_name_falls_back_to_the_slot_the_bead_holds():
    """Both entries ask for slot 1: the first name in order gets it, the second keeps the slot
    its bead already holds (existingPoolSlotWithConfig: agent_name worker-3)."""
    ctx = run([bead("gc-1", "worker-gc-1", alias="worker-1"),
               bead("gc-2", "worker-gc-2", agent_name="worker-3", pool_slot="1")],
              [entry("worker-gc-1", 1, "worker-1"), entry("worker-gc-2", 1)])
    assert md(ctx, "gc-1", *KEYS) == ("1", "true", STAMP)
    assert md(ctx, "gc-2", *KEYS) == ("3", "true", STAMP)


def test_a_slot_already_given_is_not_given_again_from_a_bead():
    """An entry without its own slot whose bead holds a slot an earlier name already took gets
    nothing (usedSlots)."""
    ctx = run([bead("gc-1", "worker-gc-1", agent_name="worker-2", pool_slot="2"),
               bead("gc-2", "worker-gc-2", agent_name="worker-2", pool_slot="2")],
              [entry("worker-gc-1", 0), entry("worker-gc-2", 0)])
    assert md(ctx, "gc-1", *KEYS) == ("2", "true", STAMP)
    assert md(ctx, "gc-2", *KEYS) == ("2", "", OLD)


def test_a_bead_holding_no_slot_and_an_entry_without_one_get_nothing():
    ctx = run([bead("gc-1", "worker-gc-1")], [entry("worker-gc-1", 0)])
    assert md(ctx, "gc-1", *KEYS) == ("", "", OLD)


def test_manual_named_singleton_and_unknown_templates_are_left_alone():
    agents = (Agent(name="worker", max_active_sessions=3), Agent(name="solo", max_active_sessions=1),
              Agent(name="fixed", max_active_sessions=1, min_active_sessions=0))
    beads = [bead("gc-1", "worker-gc-1"), bead("gc-2", "worker-gc-2"), session_bead("gc-3", session_name="solo-x"),
             session_bead("gc-4", session_name="ghost-x"), session_bead("gc-5", session_name="fixed-x")]
    entries = [entry("worker-gc-1", 1, manual=True), entry("worker-gc-2", 2, named_identity="worker-2"),
               entry("solo-x", 1, template="solo"), entry("ghost-x", 1, template="ghost"),
               entry("fixed-x", 1, template="fixed")]
    ctx = run(beads, entries, *agents)
    assert not ctx.store.journal
