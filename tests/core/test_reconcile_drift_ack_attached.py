"""A reconciler config-drift drain ack on a session a user is attached to, or was attached to
recently (the drain-ack step of reconcileSessionBeads): the ack is canceled and the session keeps
running. The drift key is sessionConfigDriftKey, "<started hash>:<current hash>", empty when the
bead has no started hash or it is current; an attached session records it
(recordSessionAttachedConfigDriftDeferral) only when it is not empty, and a recent record of the
same key cancels the ack of a session no longer attached."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from factories import (
    NAMED_MAYOR_IDENTITY,
    make_city,
    named_mayor_scenario,
    scenario_model,
    session_bead,
)

from core.config.city_config import Agent
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile import hashes
from core.reconcile.context import TickContext
from core.reconcile.forward import _drift_ack_canceled
from core.scenario.file import load_scenario, run
from core.world.memory import Drain
from core.world.runtime import RuntimeSession
from core.world.world import World

CITY = named_mayor_scenario("drift-ack", NAMED_MAYOR_IDENTITY + """\
state = "active"
generation = "2"
instance_token = "t"
last_woke_at = "2026-05-16T11:00:00Z"
started_config_hash = "{stored}"
{extra}""", after="""\
[[runtime]]
name = "mayor"
session_id = "gc-1"
instance_token = "t"
attached = {attached}
meta = {{ GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "reconciler", GC_DRAIN_GENERATION = "2", \
GC_DRAIN_REASON = "config-drift" }}
""")
# the ack carries no drain tracker entry here (recovered from the runtime alone): no drain to cancel
UNTRACKED = {"drain_canceled": False}
DEFERRAL = ("attached_config_drift_deferred_key", "attached_config_drift_deferred_at")


def tick(tmp_path, stored: str, attached: bool, extra: str = ""):
    """One tick; `stored` may name the agent's current core hash as {current}."""
    probe = scenario_model(tmp_path, CITY.format(stored="", attached="false", extra=""), "probe.toml")
    current = hashes.core_hash(probe.city.agents[0])
    text = CITY.format(stored=stored.format(current=current), attached=str(attached).lower(),
                       extra=extra.format(current=current))
    m = scenario_model(tmp_path, text, "d.toml")
    out = m.do({"do": "tick"})
    decisions = [(t.reason_code, t.outcome_code, t.fields) for t in out.trace
                 if t.site_code == "reconciler.session.drain_ack" and (t.template, t.session_name) == ("mayor", "mayor")]
    b = m.world.store.session("gc-1")
    return m, current, decisions, tuple(b.get(k) for k in DEFERRAL)


def ack_canceled(m) -> bool:
    return m.world.runtime.get_meta("mayor", "GC_DRAIN_ACK") == "" and m.world.runtime.alive("mayor")


def test_an_attached_session_records_the_drift_key_and_its_ack_is_canceled(tmp_path):
    m, current, decisions, deferral = tick(tmp_path, "v5:old", True)
    assert decisions == [("config_drift_attached", "cancel_reconciler_ack", UNTRACKED)] and ack_canceled(m)
    assert deferral == (f"v5:old:{current}", "2026-05-16T12:00:00Z")


@pytest.mark.parametrize("stored", ["{current}", ""])
def test_without_a_drift_key_nothing_is_recorded_but_the_ack_is_still_canceled(tmp_path, stored):
    m, _, decisions, deferral = tick(tmp_path, stored, True)
    assert decisions == [("config_drift_attached", "cancel_reconciler_ack", UNTRACKED)] and ack_canceled(m)
    assert deferral == ("", "")


def test_a_recent_record_of_the_same_key_cancels_the_ack_of_a_detached_session(tmp_path):
    extra = 'attached_config_drift_deferred_key = "v5:old:{current}"\n' \
            'attached_config_drift_deferred_at = "2026-05-16T11:58:00Z"\n'
    m, _, decisions, _ = tick(tmp_path, "v5:old", False, extra)
    assert decisions == [("config_drift_recently_attached", "cancel_reconciler_ack", UNTRACKED)] and ack_canceled(m)


def test_a_tracked_config_drift_drain_is_canceled_and_the_record_says_so():
    # the conformance port of AttachedSessionCancelsQueuedConfigDriftDrainBeforeDrainAckStop: its
    # seventh step cancels the drain the fourth queued (the trace payload's drain_canceled)
    path = Path(__file__).parent.parent / "conformance" / "session_reconciler_test" / \
        "TestReconcileSessionBeads_AttachedSessionCancelsQueuedConfigDriftDrainBeforeDrainAckStop.toml"
    st = run(load_scenario(str(path))).states[7]
    assert [(t["reason_code"], t.get("fields")) for t in st["trace"] if t["site_code"] == "reconciler.session.drain_ack"] \
        == [("config_drift_attached", {"drain_canceled": True})]


def tracked(meta: dict[str, str], drain_reason: str | None):
    """A tick over bead gc-1 (runtime `worker`, attached, carrying `meta`) with a tracked, acked
    drain of this reason (None: no tracked drain)."""
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", attached=True, meta=meta))
    b = session_bead("gc-1", session_name="worker", template="worker", generation="2")
    world.store.put_session(b, "create")
    if drain_reason is not None:
        world.memory = world.memory.set("drains", "gc-1", Drain("gc-1", drain_reason, world.now, world.now, "2", True))
    return TickContext(make_city(), world, "current", Outcome()), b


def test_a_tracked_acked_config_drift_drain_is_a_drift_ack_whatever_the_runtime_says():
    # the runtime's ack is not the reconciler's own (no source), the tracker's entry is
    ctx, b = tracked({"GC_DRAIN_ACK": "1"}, "config-drift")
    assert _drift_ack_canceled(ctx, b, "worker", "", False) is True
    assert "gc-1" not in ctx.mem.drains
    assert [(t.reason_code, t.template, t.session_name, t.fields) for t in ctx.out.trace] == \
        [("config_drift_attached", "worker", "worker", {"drain_canceled": True})]


@pytest.mark.parametrize(("reason", "owned", "drain_reason"), [
    ("idle", True, None),  # a reconciler ack of another reason
    ("", False, "idle"),  # a tracked drain of another reason
    ("config-drift", False, None),  # a config-drift reason the reconciler does not own
])
def test_other_acks_are_not_drift_acks(reason, owned, drain_reason):
    ctx, b = tracked({"GC_DRAIN_ACK": "1"}, drain_reason)
    assert _drift_ack_canceled(ctx, b, "worker", reason, owned) is False
    assert ctx.out.trace == []


def test_a_detached_session_without_a_recent_record_is_stopped_by_its_ack(tmp_path):
    m, _, decisions, _ = tick(tmp_path, "v5:old", False)
    assert decisions == [("acknowledged", "stop_pending", {})] and not m.world.runtime.alive("mayor")


def test_an_unacked_tracked_config_drift_drain_is_not_a_drift_ack():
    # the drain was begun but the agent has not acked it: only an acked drain is canceled here
    ctx, b = tracked({"GC_DRAIN_ACK": "1"}, "config-drift")
    ctx.mem = ctx.mem.set("drains", "gc-1", Drain("gc-1", "config-drift", ctx.now, ctx.now, "2", False))
    assert _drift_ack_canceled(ctx, b, "worker", "", False) is False
    assert ctx.out.trace == [] and "gc-1" in ctx.mem.drains


def test_a_recent_record_cancels_a_tracked_drift_drain_of_a_detached_session():
    """recentlyDeferredSessionAttachedConfigDrift with the tracker's entry: the drain is canceled
    (cancelSessionConfigDriftDrainInfo) and the record says so."""
    agent = Agent(name="worker")
    key = f"v5:old:{hashes.core_hash(agent)}"
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", meta={"GC_DRAIN_ACK": "1"}))
    b = session_bead("gc-1", session_name="worker", template="worker", generation="2", started_config_hash="v5:old",
                     attached_config_drift_deferred_key=key,
                     attached_config_drift_deferred_at=format_time(world.now - timedelta(minutes=1)))
    world.store.put_session(b, "create")
    world.memory = world.memory.set("drains", "gc-1", Drain("gc-1", "config-drift", world.now, world.now, "2", True))
    ctx = TickContext(make_city(agent), world, "current", Outcome())
    assert _drift_ack_canceled(ctx, b, "worker", "config-drift", True) is True
    assert [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields)
            for t in ctx.out.trace] == [("reconciler.session.drain_ack", "config_drift_recently_attached",
                                         "cancel_reconciler_ack", "worker", "worker", {"drain_canceled": True})]
    assert "gc-1" not in ctx.mem.drains and ctx.rt.get_meta("worker", "GC_DRAIN_ACK") == ""


def test_a_pending_interaction_cancels_a_tracked_acked_reconciler_drain():
    """cancelReconcilerAckedDrainInfo at the drain-ack step: a question waiting on the session
    (pendingInteractionKeepsAwake) cancels the tracker's acked drain of this generation, clears
    the ack on the runtime and records drain_ack / pending / cancel_reconciler_ack."""
    from core.reconcile.forward import _pending_ack_canceled

    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", pending_interaction=True,
                                 meta={"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler",
                                       "GC_DRAIN_GENERATION": "2", "GC_DRAIN_REASON": "no-wake-reason"}))
    b = session_bead("gc-1", session_name="worker", template="worker", generation="2")
    world.store.put_session(b, "create")
    world.memory = world.memory.set("drains", "gc-1",
                                    Drain("gc-1", "no-wake-reason", world.now, world.now, "2", True))
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    assert _pending_ack_canceled(ctx, b, "worker", "no-wake-reason", True) is True
    assert [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name) for t in ctx.out.trace] == \
        [("reconciler.session.drain_ack", "pending", "cancel_reconciler_ack", "worker", "worker")]
    assert "gc-1" not in ctx.mem.drains and ctx.rt.get_meta("worker", "GC_DRAIN_ACK") == ""
