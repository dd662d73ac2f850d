"""A start candidate whose bead is gone or closed by the time its start runs. Gas City re-reads
the bead before the pre-wake commit (prepareStartCandidateForCity, session_lifecycle_parallel.go):
a bead it cannot load is never started, its start is not counted against the tick's wake budget
(executePlannedStartsTraced counts only committed results) and no pre-wake metadata is written.
The model keeps the same promise for a bead that closed meanwhile: a closed session is not
woken."""

from __future__ import annotations

from datetime import datetime

import pytest
from factories import scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import StartCandidate, start_one

CITY = """name = "a candidate's bead goes away"
start = "2026-03-08T12:00:00Z"
[city.workspace]
name = "test-city"
[[city.agent]]
name = "worker"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
agent_name = "worker"
template = "worker"
generation = "3"
state = "asleep"
"""
NOW = datetime(2026, 3, 8, 12)


def _start(tmp_path, bead_id: str, close: bool):
    m = scenario_model(tmp_path, CITY)
    if close:
        m.world.store.close_session("gc-1", "closed", NOW)
    before = m.world.store.session("gc-1")
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    entry = DesiredEntry(session_name="worker", template="worker", identity="worker", alias="", pool_slot=0,
                         source="new")
    counted = start_one(ctx, StartCandidate(bead_id, entry, 0, "named-always", NOW), 0)
    return m, ctx, before, counted


@pytest.mark.parametrize(("bead_id", "close"), [("gc-1", True), ("gc-gone", False)])
def test_a_candidate_whose_bead_closed_or_vanished_is_not_started_nor_counted(tmp_path, bead_id, close):
    m, ctx, before, counted = _start(tmp_path, bead_id, close)
    assert counted is False
    assert m.world.runtime.get("worker") is None
    # no pre-wake commit: the bead keeps its generation and gets no wake stamp
    after = m.world.store.session("gc-1")
    assert after.metadata == before.metadata and after.open == before.open
    assert ctx.out.actions == [] and ctx.out.events == [] and ctx.out.logs == []


def test_the_same_candidate_on_its_open_bead_starts(tmp_path):
    # the case above tells the guard apart: on the open bead the start runs and counts
    m, _, _, counted = _start(tmp_path, "gc-1", False)
    assert counted is True
    assert m.world.runtime.alive("worker")
    assert m.world.store.session("gc-1").get("generation") == "4"
