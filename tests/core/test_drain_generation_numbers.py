"""The drain tracker holds a generation as a number (session_wake.go: beginSessionDrainInfo reads
it with strconv.Atoi, ignoring the error, into drainState.generation, an int), so its checks
compare numbers, not text: cancelSessionDrainIfInfo and advanceSessionDrainsWithSessionsTraced's
stale check parse the bead's generation the same way, and setReconcilerDrainAckMetadata writes
GC_DRAIN_GENERATION with strconv.Itoa. A generation Atoi rejects (spaced, empty, not a number)
reads 0. The ack checks (reconcilerDrainAckMatchesSessionInfo, staleReconcilerDrainAckInfo)
still compare the trimmed bead text with the written ack text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile import drains
from core.reconcile.context import TickContext
from core.world.memory import Drain
from core.world.runtime import RuntimeSession
from core.world.world import World


def ctx_with(bead_generation: str, drain_generation: str | None = None, acked: bool = False) -> TickContext:
    """A tick over bead b1 (session test-session, running, generation `bead_generation`), with a
    tracked idle drain of `drain_generation` when one is given."""
    world = World()
    world.now = T0
    world.runtime.sessions = world.runtime.sessions.set("test-session", RuntimeSession("test-session"))
    world.store.put_session(session_bead("b1", session_name="test-session", template="worker",
                                         generation=bead_generation, state="active"))
    if drain_generation is not None:
        world.memory = world.memory.set("drains", "b1", Drain("b1", "idle", T0, T0 + timedelta(minutes=5),
                                                              drain_generation, acked))
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


def stale_decisions(ctx: TickContext) -> list[str]:
    return [t.site_code for t in ctx.out.trace if t.record_type == "decision" and t.site_code == "reconciler.drain.stale"]


# (drain generation, bead generation now, same generation for Go's Atoi)
CASES = [
    ("2", "02", True),      # leading zero: the same number
    ("2", "+2", True),      # Atoi takes a sign
    ("7", "", False),       # empty reads 0
    ("x", "", True),        # both rejected: 0 == 0
    ("3", " 3", False),     # Atoi rejects spaces: 0, not 3
    ("0", " 3", True),      # ... so a spaced generation matches a drain at 0
    ("0", "junk", True),    # not a number reads 0
    ("3", "4", False),      # woken again: a real generation change
]


@pytest.mark.parametrize(("drain_gen", "bead_gen", "same"), CASES)
def test_the_stale_drain_check_compares_generations_as_numbers(drain_gen, bead_gen, same):
    """advanceSessionDrainsWithSessionsTraced: `gen, _ := strconv.Atoi(info.Generation)` against
    the tracker's int; a drain of the same number is not stale (it goes on to be acked), any other
    is canceled as stale_generation."""
    ctx = ctx_with(bead_gen, drain_gen)
    drains.advance_drains(ctx, {})
    assert (ctx.mem.drains.get("b1") is not None) is same
    assert stale_decisions(ctx) == ([] if same else ["reconciler.drain.stale"])


@pytest.mark.parametrize(("drain_gen", "bead_gen", "same"), CASES)
def test_a_wake_cancels_only_a_drain_of_the_same_generation_number(drain_gen, bead_gen, same):
    """cancelSessionDrainIfInfo: the drain is canceled only when Atoi of the bead's generation
    (0 on error) equals the tracker's number."""
    ctx = ctx_with(bead_gen, drain_gen)
    assert drains.cancel(ctx, ctx.store.session("b1")) is same
    assert (ctx.mem.drains.get("b1") is None) is same


@pytest.mark.parametrize(("bead_gen", "tracked"), [("02", "2"), ("+5", "5"), ("", "0"), (" 4", "0"), ("g1", "0")])
def test_begin_tracks_the_parsed_number_and_the_ack_writes_it_back(bead_gen, tracked):
    """beginSessionDrainInfo stores Atoi's number (0 on error); setReconcilerDrainAckMetadata
    writes it with strconv.Itoa, so a bead at "02" is acked as generation "2"."""
    ctx = ctx_with(bead_gen)
    drains.begin_drain(ctx, ctx.store.session("b1"), "idle")
    assert ctx.mem.drains.get("b1").generation == tracked
    drains.advance_drains(ctx, {})
    assert ctx.rt.get_meta("test-session", "GC_DRAIN_GENERATION") == tracked


def test_an_ack_written_as_a_number_does_not_match_a_zero_padded_bead_generation():
    """reconcilerDrainAckMatchesSessionInfo / staleReconcilerDrainAckInfo compare the trimmed bead
    text with the ack's Itoa text: a bead at "02" acked as "2" has a stale reconciler ack whose
    reason does not match the session."""
    ctx = ctx_with("02")
    b = ctx.store.session("b1")
    drains.begin_drain(ctx, b, "idle")
    drains.advance_drains(ctx, {})
    assert drains.ack_matches(ctx, b) == ("", False)
    assert drains.stale_reconciler_ack(ctx, b) is True
