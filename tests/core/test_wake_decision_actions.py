"""applyWakeDecisions' per-target actions (reconcileSessionBeads Phase 2, session_reconciler.go)
and the awake input bridge (buildAwakeInputFromReconciler, compute_awake_bridge.go), called
directly on a hand-built tick: the cases a whole tick does not reach or does not show."""

from __future__ import annotations

from factories import awake_bead, make_city

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.awake import AwakeDecision, WakeEval, wake_evals
from core.reconcile.context import TickContext
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
    ctx, cands = _queue({B.STATE: "failed-create", B.PENDING_CREATE_CLAIM: " true "}, AwakeDecision(True, "pending-create"),
                        "rig/worker")
    assert cands == []
    assert _decisions(ctx, WAKE_SITE) == [("wake", "failed_create", "rig/worker", "s1", {"pending_create_claim": "true"})]


def test_a_start_in_flight_is_not_queued_and_records_its_wake_stamp():
    """pendingCreateStartInFlightInfo: a claimed create woken within the startup window is left to
    finish; the decision is start_in_flight with the bead's last_woke_at."""
    from core.formats.timefmt import format_time_seconds

    ctx0, _ = _tick()
    woke = format_time_seconds(ctx0.now)
    ctx, cands = _queue({B.PENDING_CREATE_CLAIM: "true", B.STATE: "creating", B.LAST_WOKE_AT: woke},
                        AwakeDecision(True, "pending-create"), "rig/worker")
    assert cands == []
    assert _decisions(ctx, WAKE_SITE) == [("wake", "start_in_flight", "rig/worker", "s1",
                                           {"pending_create_claim": "true", "last_woke_at": woke})]


def test_a_quarantine_ends_at_its_instant():
    """sessionIsQuarantinedInfo: quarantined while now is before quarantined_until; at the instant
    itself the session is a start candidate again."""
    from core.formats.timefmt import format_time_seconds

    ctx0, _ = _tick()
    _, cands = _queue({B.STATE: "asleep", B.QUARANTINED_UNTIL: format_time_seconds(ctx0.now)},
                      AwakeDecision(True, "named-always"))
    assert [c.bead_id for c in cands] == ["gc-1"]


def test_a_start_candidate_records_should_wake_and_carries_the_reason_and_the_assigned_work():
    """The start_candidate decision names the template and the session, with Go's payload
    should_wake (true); the candidate carries the wake reason, and the
    assigned work bead becomes the bead's currently_processing_bead_id (recordCurrentBeadIDOnWake)."""
    dec = AwakeDecision(True, "assigned-work", True, "w-7")
    ctx, cands = _queue({B.STATE: "asleep", B.CURRENTLY_PROCESSING: "w-1"}, dec, "rig/worker")
    assert _decisions(ctx, WAKE_SITE) == [("wake", "start_candidate", "rig/worker", "s1",
                                           {"should_wake": True})]
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


def _later(seconds: float = 600.0) -> str:
    from datetime import timedelta

    from core.formats.timefmt import format_time_seconds

    return format_time_seconds(World().now + timedelta(seconds=seconds))


def _apply(md: dict[str, str], dec: AwakeDecision | None, alive: bool, ev: WakeEval | None = None,
           template: str = "worker") -> tuple[TickContext, list[StartCandidate]]:
    """apply_one for bead gc-1 (session `s1`, these metadata), this decision (None: none) and
    WakeEval (None: the one the awake set makes from the decision), live or dead."""
    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "s1", **md})
    decisions = {"s1": dec} if dec is not None else {}
    if ev is None and dec is not None:
        ev = wake_evals(decisions, [awake_bead(id="gc-1", session_name="s1")])["gc-1"]
    cands: list[StartCandidate] = []
    t = WakeTarget("gc-1", DesiredEntry("s1", template, "s1", "", 0, "pool"), alive)
    apply_one(ctx, t, world.store.reread("gc-1"), decisions, {"gc-1": ev} if ev else {}, {}, cands)
    return ctx, cands


HELD_WITH_WORK = AwakeDecision(False, "held", True, "w-1")


def test_a_heartbeat_held_dead_session_with_work_respawns():
    """TestReconcileSessionBeads_HeartbeatHeldDeadSessionRespawns (#3994): a future held_until
    with no sleep intent defers timers, not crash recovery; a dead session the hold put to sleep
    that still has assigned work is started."""
    _, cands = _apply({B.STATE: "asleep", B.HELD_UNTIL: _later()}, HELD_WITH_WORK, alive=False)
    assert [c.bead_id for c in cands] == ["gc-1"]


def test_the_heartbeat_respawn_needs_each_of_its_conditions():
    """Not respawned: a suspend hold (sleep_intent user-hold), no assigned work, a quarantine
    instead of a hold, an expired hold, a config-suppressed eval; nor is a live session started."""
    held = {B.STATE: "asleep", B.HELD_UNTIL: _later()}
    suppressed = WakeEval([], "", True, True)
    cases = [
        ({**held, B.SLEEP_INTENT: "user-hold"}, HELD_WITH_WORK, False, None),
        (held, AwakeDecision(False, "held"), False, None),
        ({B.STATE: "asleep", B.QUARANTINED_UNTIL: _later()}, AwakeDecision(False, "quarantined", True, "w-1"), False, None),
        ({B.STATE: "asleep", B.HELD_UNTIL: _later(-1)}, AwakeDecision(False, "", True, "w-1"), False, None),
        (held, HELD_WITH_WORK, False, suppressed),
        ({**held, B.STATE: "active"}, HELD_WITH_WORK, True, None),
    ]
    for md, dec, alive, ev in cases:
        assert _apply(md, dec, alive, ev)[1] == [], (md, dec, alive, ev)


def test_a_config_suppressed_wake_is_not_started():
    """Phase 2: shouldWake && eval.ConfigSuppressed -> no wake."""
    _, cands = _apply({B.STATE: "asleep"}, AwakeDecision(True, "scaled:demand"), alive=False,
                      ev=WakeEval([], "", True, False))
    assert cands == []


def test_a_live_tick_clears_the_stranded_marker_and_a_dead_one_keeps_it():
    """clearStrandedEventMarker: a live target ends the stranding episode (the marker is
    cleared); a dead target's marker stays, so the episode goes on aging."""
    marked = {B.STATE: "active", B.STRANDED_EVENT_EMITTED_AT: _later(-60)}
    ctx, _ = _apply(marked, AwakeDecision(True, "named-always"), alive=True)
    assert ctx.store.session("gc-1").get(B.STRANDED_EVENT_EMITTED_AT) == ""
    ctx, _ = _apply({**marked, B.STATE: "asleep"}, AwakeDecision(True, "named-always"), alive=False)
    assert ctx.store.session("gc-1").get(B.STRANDED_EVENT_EMITTED_AT) == _later(-60)


def test_the_resolved_sleep_policy_is_persisted_with_the_suppression_verdict():
    """persistSleepPolicyMetadataInfo: the eval's policy snapshot and config_wake_suppressed are
    written to the bead whatever the decision does."""
    from core.reconcile.sleep_policy import Policy

    policy = Policy("interactive_resume", "5m", "5m", "agent", "full", "", "", 300.0)
    ev = WakeEval([], "", True, False, policy)
    ctx, _ = _apply({B.STATE: "asleep"}, AwakeDecision(True, "scaled:demand"), alive=False, ev=ev)
    b = ctx.store.session("gc-1")
    assert (b.get(B.CONFIG_WAKE_SUPPRESSED), b.get(B.SLEEP_POLICY_FINGERPRINT)) == ("true", policy.fingerprint)
    assert b.get(B.EFFECTIVE_SLEEP_AFTER_IDLE) == "5m"


def test_a_live_session_kept_awake_records_its_work_and_loses_its_drain():
    """The keep-awake arm (shouldWake && alive): the assigned work bead is recorded as current
    and a wake-cancelable drain in flight is canceled."""
    from core.world.memory import Drain

    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "s1", B.STATE: "active", B.GENERATION: "1"})
    ctx.mem = ctx.mem.set("drains", "gc-1", Drain("gc-1", "no-wake-reason", world.now, world.now, "1"))
    dec = AwakeDecision(True, "assigned-work", True, "w-3")
    ev = wake_evals({"s1": dec}, [awake_bead(id="gc-1", session_name="s1")])["gc-1"]
    cands: list[StartCandidate] = []
    apply_one(ctx, _target("gc-1", "s1", True), world.store.reread("gc-1"), {"s1": dec}, {"gc-1": ev}, {}, cands)
    assert cands == [] and "gc-1" not in ctx.mem.drains
    assert ctx.store.session("gc-1").get(B.CURRENTLY_PROCESSING) == "w-3"


def test_a_dead_pool_session_in_a_terminal_sleep_is_closed_to_free_its_slot():
    """isPoolSessionSlotFreeable: a dead pool bead nobody wants awake, asleep for a freeable
    reason, is closed with that reason (a drained bead with none, `drained`)."""
    pool = {B.POOL_MANAGED: "true", B.POOL_SLOT: "1"}
    ctx, _ = _apply({**pool, B.STATE: "asleep", B.SLEEP_REASON: " idle "}, AwakeDecision(False, ""), alive=False)
    assert not ctx.store.session("gc-1").open and ctx.store.session("gc-1").state == "idle"
    ctx, _ = _apply({**pool, B.STATE: "drained"}, AwakeDecision(False, ""), alive=False)
    assert ctx.store.session("gc-1").state == "drained" and not ctx.store.session("gc-1").open
    # not pool-managed, or not in a freeable sleep: left open
    ctx, _ = _apply({B.STATE: "asleep", B.SLEEP_REASON: "idle"}, AwakeDecision(False, ""), alive=False)
    assert ctx.store.session("gc-1").open
    ctx, _ = _apply({**pool, B.STATE: "asleep", B.SLEEP_REASON: "wait-hold"}, AwakeDecision(False, ""), alive=False)
    assert ctx.store.session("gc-1").open


def test_a_live_session_the_awake_set_puts_to_sleep_is_drained_for_its_reason():
    """The sleep arm (!shouldWake && alive): a live session decided asleep is drained, not kept
    awake; an idle-sleep decision drains it `idle` (a noninteractive policy needs no idle probe,
    shouldBeginIdleDrainInfo), with the idle-stop-pending intent written first."""
    from core.reconcile.sleep_policy import Policy

    policy = Policy("noninteractive", "5m", "5m", "agent", "full", "", "", 300.0)
    dec = AwakeDecision(False, "idle-sleep")
    ctx, _ = _apply({B.STATE: "active", B.GENERATION: "1"}, dec, alive=True, ev=WakeEval([], "idle-sleep", False, False, policy))
    assert ctx.mem.drains["gc-1"].reason == "idle"
    assert ctx.store.session("gc-1").get(B.SLEEP_INTENT) == "idle-stop-pending"
    ctx, _ = _apply({B.STATE: "active"}, AwakeDecision(False, ""), alive=True)
    assert ctx.mem.drains["gc-1"].reason == "no-wake-reason"


def _pool_close(work: list) -> TickContext:
    """Phase 2's slot-freeing close of dead pool bead gc-1 (session s1, asleep idle) nobody
    wants awake, with these work beads in the store."""
    from core.world.beads import WorkBead

    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "s1", B.POOL_MANAGED: "true", B.POOL_SLOT: "1",
                        B.STATE: "asleep", B.SLEEP_REASON: "idle"})
    for w in work:
        world.store.put_work(w if isinstance(w, WorkBead) else WorkBead(**w))
    apply_one(ctx, _target("gc-1", "s1", False), world.store.reread("gc-1"), {"s1": AwakeDecision(False, "")},
              {}, {}, [])
    return ctx


def test_the_slot_freeing_close_leaves_work_the_session_cannot_reach():
    """closeBead with the gate's reachable scope: work assigned to the session in a store its
    agent cannot reach (a rig store, for a city agent) neither keeps the bead open nor is
    released by its close."""
    ctx = _pool_close([{"id": "w-9", "status": "in_progress", "assignee": "s1", "store": "far-rig"}])
    assert not ctx.store.session("gc-1").open
    w = ctx.store.work_bead("w-9")
    assert (w.status, w.assignee) == ("in_progress", "s1")


def test_reachable_work_strands_the_session_instead_of_closing_it():
    """A dead pool session that still owns reachable work is not closed: session.stranded is
    emitted (emitSessionStrandedDiagnostic) naming its template and the work."""
    ctx = _pool_close([{"id": "w-1", "status": "in_progress", "assignee": "s1"}])
    assert ctx.store.session("gc-1").open
    (ev,) = [e for e in ctx.out.events if e.type == "session.stranded"]
    assert '(template "worker")' in ev.message and "w-1" in ev.message


def _bridge(*beads: dict[str, str], alive: tuple[str, ...] = (), work: tuple = (), desired=None, **city):
    """buildAwakeInputFromReconciler over beads gc-1.. (every one a wake target, live when its
    id is in `alive`), the work beads in the store, a desired result and city fields."""
    from core.config.city_config import ChatSessions
    from core.reconcile.wake_apply import build_input
    from core.world.beads import WorkBead
    from core.world.runtime import RuntimeSession

    world = World()
    for i, md in enumerate(beads, 1):
        world.store.create_session(md, world.now, bead_id=f"gc-{i}")
    for w in work:
        world.store.put_work(WorkBead(**w))
    chat = city.pop("chat", None)
    c = make_city(Agent(name="worker"), **city)
    if chat is not None:
        c.chat_sessions = ChatSessions(*chat)
    ctx = TickContext(c, world, "current", Outcome())
    ctx.desired = desired
    ids = [f"gc-{i}" for i in range(1, len(beads) + 1)]
    for bid in alive:
        b = world.store.session(bid)
        world.runtime.sessions = world.runtime.sessions.set(
            b.session_name, RuntimeSession(b.session_name, attached=b.get("test_attached") == "true",
                                           pending_interaction=b.get("test_pending") == "true"))
    targets = [_target(bid, world.store.session(bid).session_name, bid in alive) for bid in ids]
    return ctx, build_input(ctx, ids, targets, {})


def test_the_bridge_takes_open_named_beads_with_their_drained_flag():
    """The session scan: closed beads and beads without a session name are left out (the scan
    goes on past them); a drained bead is marked drained; a restart handoff committed this tick
    is not yet a pending reset."""
    ctx, inp = _bridge({B.SESSION_NAME: "gone", B.TEMPLATE: "worker"}, {B.SESSION_NAME: " ", B.TEMPLATE: "worker"},
                       {B.SESSION_NAME: "d1", B.TEMPLATE: "worker", B.STATE: "drained"})
    assert [b.session_name for b in inp.beads] == ["gone", "d1"] and inp.beads[1].drained is True
    ctx.store.close_session("gc-1", "done", ctx.now)
    ctx.reset_committed_this_tick.add("gc-3")
    from core.reconcile.wake_apply import build_input

    md = {B.CONTINUATION_RESET_PENDING: "true", B.RESET_COMMITTED_AT: "2026-01-01T00:00:00Z"}
    ctx.store.update_session("gc-3", md)
    inp = build_input(ctx, ["gc-1", "gc-2", "gc-3"], [], {})
    assert [(b.session_name, b.drained, b.reset_pending) for b in inp.beads] == [("d1", True, False)]
    assert inp.beads[0].reset_pending is False


def test_the_bridge_marks_live_attached_and_pending_sessions():
    """Runtime liveness from the wake targets, attachment and pending interactions from the
    provider, by session name."""
    _, inp = _bridge({B.SESSION_NAME: "a", B.TEMPLATE: "worker", "test_attached": "true"},
                     {B.SESSION_NAME: "p", B.TEMPLATE: "worker", "test_pending": "true"},
                     {B.SESSION_NAME: "dead", B.TEMPLATE: "worker"}, alive=("gc-1", "gc-2"))
    assert (inp.running, inp.attached, inp.pending) == ({"a", "p"}, {"a"}, {"p"})


def test_the_bridge_hands_over_assigned_open_and_in_progress_work_and_the_demand_maps():
    """Work beads: the build's collected work with an assignee, open or in progress; the named
    demand maps and the chat timeouts come from the build and the config. Without a build there
    is no work and no demand."""
    from core.desired.entries import DesiredResult

    work = ({"id": "w-1", "status": "open", "assignee": "s1"}, {"id": "w-2", "status": "in_progress", "assignee": "s1"},
            {"id": "w-3", "status": "closed", "assignee": "s1"}, {"id": "w-4", "status": "open"})
    res = DesiredResult()
    res.collected_work_ids = ["w-1", "w-2", "w-3", "w-4", "w-missing"]
    res.named_demand, res.named_routed_demand = {"mayor": True}, {"deacon": True}
    _, inp = _bridge({B.SESSION_NAME: "s1", B.TEMPLATE: "worker"}, work=work, desired=res, chat=("30m", "2m"))
    assert [w.id for w in inp.work] == ["w-1", "w-2"]
    assert (inp.named_demand, inp.named_routed_demand) == ({"mayor": True}, {"deacon": True})
    assert (inp.chat_idle_timeout, inp.manual_grace) == (1800.0, 120.0)
    _, inp = _bridge({B.SESSION_NAME: "s1", B.TEMPLATE: "worker"}, work=work, desired=None)
    assert (inp.work, inp.named_demand, inp.named_routed_demand) == ([], {}, {})


def test_a_fresh_cycle_without_a_new_work_bead_does_nothing():
    """cycleAliveSessionForFreshReassign needs the new bead id: with none (blank) it reports no
    cycle, stops nothing and writes nothing, so the keep-awake arm goes on as usual."""
    from core.reconcile.wake_apply import fresh_reassign_cycle
    from core.world.runtime import RuntimeSession

    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "s1", B.STATE: "active", B.CURRENTLY_PROCESSING: "w-1"})
    world.runtime.sessions = world.runtime.sessions.set("s1", RuntimeSession("s1"))
    before = world.store.reread("gc-1")
    assert fresh_reassign_cycle(ctx, before, "worker", AwakeDecision(True, "assigned-work", True, " ")) is False
    assert ctx.out.actions == [] and world.store.reread("gc-1") == before and world.runtime.sessions.get("s1")
