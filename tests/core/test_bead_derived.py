"""What a session bead keeps beside itself (`SessionBead.derived`): computed once per bead, never
carried to the bead a change makes, and never part of the bead's value."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent
from core.desired.context import (
    controller_managed,
    has_terminal_provider_error,
    is_legacy_manual_for,
)
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.store import Store

NOW = datetime(2026, 7, 19, 12, 0, tzinfo=UTC)


def _bead(**md: str) -> SessionBead:
    return SessionBead("gc-1", NOW, {B.TEMPLATE: "rig/worker", B.SESSION_NAME: "worker-gc-1", **md})


def test_derived_computes_once_per_bead():
    calls = []

    def probe(b: SessionBead) -> str:
        calls.append(b.id)
        return b.state

    b = _bead(state="awake")
    assert b.derived(probe) == "awake"
    assert b.derived(probe) == "awake"
    assert calls == ["gc-1"]


def test_derived_is_not_part_of_the_beads_value():
    b = _bead(state="awake")
    fresh = _bead(state="awake")
    b.assignee_identities()
    assert b == fresh
    assert repr(b) == repr(fresh)


# Each classification kept on a bead, and a metadata change that flips it: the changed bead is
# a new bead, so it must answer from its own metadata, not from what its predecessor kept.
FLIPS = [
    (lambda b: b.origin, {}, {B.SESSION_ORIGIN: "manual"}),
    (lambda b: b.is_ephemeral, {}, {B.POOL_MANAGED: "true"}),
    (lambda b: b.pool_managed, {}, {B.POOL_SLOT: "2"}),
    (controller_managed, {}, {B.POOL_MANAGED: "true"}),
    (has_terminal_provider_error, {}, {B.PROVIDER_TERMINAL_ERROR: "quota"}),
    (lambda b: is_legacy_manual_for(Agent(name="worker", dir="rig"), b), {B.SESSION_ORIGIN: "ephemeral"},
     {B.POOL_MANAGED: "true"}),
    (SessionBead.assignee_identities, {}, {B.ALIAS: "helper"}),
]


@pytest.mark.parametrize("fn,base,change", FLIPS)
def test_a_changed_bead_answers_from_its_own_metadata(fn, base, change):
    before = _bead(**base)
    old = fn(before)
    after = before.with_meta(change)
    assert fn(after) != old
    assert fn(after) == fn(_bead(**base, **change))  # what a bead never asked before answers
    assert fn(before) == old


@pytest.mark.parametrize("fn,base,change", FLIPS)
def test_a_store_write_gives_the_new_answer(fn, base, change):
    store = Store()
    b = store.create_session({B.TEMPLATE: "rig/worker", B.SESSION_NAME: "worker-gc-1", **base}, NOW, bead_id="gc-1")
    old = fn(b)
    fn(store.session("gc-1"))
    store.update_session("gc-1", change)
    assert fn(store.session("gc-1")) != old
