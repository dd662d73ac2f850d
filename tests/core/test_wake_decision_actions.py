"""applyWakeDecisions' per-target actions (reconcileSessionBeads Phase 2, session_reconciler.go)
and the awake input bridge (buildAwakeInputFromReconciler, compute_awake_bridge.go), called
directly on a hand-built tick: the cases a whole tick does not reach or does not show."""

from __future__ import annotations

from factories import make_city

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.awake import AwakeDecision
from core.reconcile.forward import WakeTarget
from core.reconcile.starts import StartCandidate
from core.reconcile.wake_apply import apply_one
from core.world import beads as B
from core.world.world import World


def _tick(*beads: dict[str, str]) -> tuple[TickContext, World]:
    """A tick of a city with one agent, `worker`, whose store holds these session beads (ids
    gc-1, gc-2, ... in order)."""
    world = World()
    for i, md in enumerate(beads, 1):
        world.store.create_session(md, world.now, bead_id=f"gc-{i}")
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome()), world


def _target(bid: str, name: str, alive: bool) -> WakeTarget:
    return WakeTarget(bid, DesiredEntry(name, "worker", "worker", "", 0, "pool"), alive)


def test_a_live_target_without_a_wake_eval_is_drained_as_nobody_wants_it_awake():
    """Phase 2 reads `wakeEvals[target.info.ID]`, the zero WakeEval when the awake set made
    none: no wake reason, not config-suppressed, no assigned work. A live session with neither a
    decision nor an eval is drained `no-wake-reason` and never queued for a start."""
    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "worker-gc-1", B.STATE: "active"})
    cands: list[StartCandidate] = []
    apply_one(ctx, _target("gc-1", "worker-gc-1", True), world.store.reread("gc-1"), {}, {}, {}, cands)
    assert cands == []
    assert ctx.mem.drains["gc-1"].reason == "no-wake-reason"


WAKE_SITE = "reconciler.session.wake_decision"


def _decisions(ctx: TickContext, site: str) -> list[tuple]:
    """The decision records of `site`: (reason, outcome, template, session, fields)."""
    return [(r.reason_code, r.outcome_code, r.template, r.session_name, dict(r.fields))
            for r in ctx.out.trace if r.record_type == "decision" and r.site_code == site]


def _queue(md: dict[str, str], dec: AwakeDecision, template: str = "worker") -> tuple[TickContext, list[StartCandidate]]:
    """Phase 2's wake arm for a dead bead gc-1 (session `s1`) with this metadata and decision,
    its desired entry of `template`."""
    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: " s1 ", **md})
    cands: list[StartCandidate] = []
    t = WakeTarget("gc-1", DesiredEntry("s1", template, "s1", "", 0, "pool"), False)
    apply_one(ctx, t, world.store.reread("gc-1"), {"s1": dec}, {}, {}, cands)
    return ctx, cands


def test_a_failed_create_is_not_queued_and_says_so():
    """isFailedCreateSessionInfo: the wake decision is recorded failed_create for the target's
    template and the trimmed session name, and no start candidate is made."""
    ctx, cands = _queue({B.STATE: "failed-create"}, AwakeDecision(True, "pending-create"), "rig/worker")
    assert cands == []
    assert _decisions(ctx, WAKE_SITE) == [("wake", "failed_create", "rig/worker", "s1", {})]


def test_a_start_in_flight_is_not_queued_and_records_its_wake_stamp():
    """pendingCreateStartInFlightInfo: a claimed create woken within the startup window is left to
    finish; the decision is start_in_flight with the bead's last_woke_at."""
    from core.formats.timefmt import format_time_seconds

    ctx0, _ = _tick()
    woke = format_time_seconds(ctx0.now)
    ctx, cands = _queue({B.PENDING_CREATE_CLAIM: "true", B.STATE: "creating", B.LAST_WOKE_AT: woke},
                        AwakeDecision(True, "pending-create"), "rig/worker")
    assert cands == []
    assert _decisions(ctx, WAKE_SITE) == [("wake", "start_in_flight", "rig/worker", "s1", {"last_woke_at": woke})]


def test_a_quarantine_ends_at_its_instant():
    """sessionIsQuarantinedInfo: quarantined while now is before quarantined_until; at the instant
    itself the session is a start candidate again."""
    from core.formats.timefmt import format_time_seconds

    ctx0, _ = _tick()
    _, cands = _queue({B.STATE: "asleep", B.QUARANTINED_UNTIL: format_time_seconds(ctx0.now)},
                      AwakeDecision(True, "named-always"))
    assert [c.bead_id for c in cands] == ["gc-1"]


def test_a_start_candidate_carries_the_wake_reason_and_the_assigned_work():
    """The start_candidate decision names the template, the session and the wake reason (what
    explain shows as the session's wake reason); the candidate carries the reason too, and the
    assigned work bead becomes the bead's currently_processing_bead_id (recordCurrentBeadIDOnWake)."""
    dec = AwakeDecision(True, "assigned-work", True, "w-7")
    ctx, cands = _queue({B.STATE: "asleep", B.CURRENTLY_PROCESSING: "w-1"}, dec, "rig/worker")
    assert _decisions(ctx, WAKE_SITE) == [("wake", "start_candidate", "rig/worker", "s1",
                                           {"wake_reason": "assigned-work"})]
    assert [(c.bead_id, c.order, c.wake_reason) for c in cands] == [("gc-1", 0, "assigned-work")]
    assert ctx.store.session("gc-1").get(B.CURRENTLY_PROCESSING) == "w-7"


def test_a_quarantined_session_is_skipped_without_a_record():
    """Crash-loop protection: before quarantined_until the wake arm moves on silently."""
    from datetime import timedelta

    from core.formats.timefmt import format_time_seconds

    ctx0, _ = _tick()
    later = format_time_seconds(ctx0.now + timedelta(seconds=1))
    ctx, cands = _queue({B.STATE: "asleep", B.QUARANTINED_UNTIL: later}, AwakeDecision(True, "named-always"))
    assert cands == [] and _decisions(ctx, WAKE_SITE) == []


def test_a_wake_without_assigned_work_keeps_the_recorded_current_bead():
    """recordCurrentBeadIDOnWake writes nothing for an empty work bead id: a session woken for
    another reason keeps the currently_processing_bead_id it had; its candidate is for its own
    desired entry."""
    ctx, cands = _queue({B.STATE: "asleep", B.CURRENTLY_PROCESSING: "w-1"}, AwakeDecision(True, "named-always"),
                        "rig/worker")
    assert ctx.store.session("gc-1").get(B.CURRENTLY_PROCESSING) == "w-1"
    assert [(c.entry.session_name, c.template) for c in cands] == [("s1", "rig/worker")]


def test_an_open_circuit_skips_the_wake_with_a_record_of_the_session():
    """The respawn circuit breaker (CIRC04, an open breaker restored from the bead): the skipped
    wake is recorded circuit_open for the target's template and session name, with the named
    identity (TraceSiteReconcilerCircuitOpen in reconcileSessionBeads)."""
    import pathlib

    from core.scenario.file import load_scenario, run

    path = pathlib.Path(__file__).parent.parent / "scenarios" / "fidelity" / "CIRC04-restored-open-breaker-logs-once.toml"
    trace = run(load_scenario(str(path))).states[1]["trace"]
    got = [(t["reason_code"], t["outcome_code"], t["template"], t["session_name"], t["fields"])
           for t in trace if t.get("site_code") == "reconciler.session.circuit_open"]
    assert got == [("circuit_open", "skipped", "rig-a/template-a", "rig-a--session-a", {"identity": "rig-a/session-a"})]
