"""Phases 1b and 1c of reconcileSessionBeads: compute the awake set over the post-pass
snapshot, apply sleep-policy suppression and idle probes, then act per wake target: start
candidates for sessions that should wake, drains for live sessions that should not, and
slot-freeing closes for dead pool sessions in a terminal sleep."""

from __future__ import annotations

from core.awake_row import AssignedWork, AwakeRow, BridgedBead
from core.desired.context import BuildContext
from core.desired.reach import filter_for_session_wake
from core.formats.durations import try_duration
from core.formats.goduration import go_quote
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile import awake as A
from core.reconcile import drains, sleep_policy
from core.reconcile.breakers import log_open_once
from core.reconcile.context import TickContext
from core.reconcile.forward import WakeTarget, fresh_restart_session_key, reset_circuit
from core.reconcile.lease import start_in_flight, within_spawn_claim_grace
from core.reconcile.lifecycle import base_state, compat_state
from core.reconcile.starts import StartCandidate, candidate_for
from core.trackers import circuit
from core.trackers.timers import timer_blocker
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.memory import IdleProbe

MAX_IDLE_PROBES = 3


def pool_desired(ctx: TickContext) -> dict[str, int]:
    """The demand snapshot's PoolDesiredCounts (retention and named demand already applied)."""
    return dict(ctx.desired.pool_desired) if ctx.desired is not None else {}


def build_input(ctx: TickContext, order: list[str], targets: list[WakeTarget], counts: dict[str, int]) -> A.AwakeInput:
    """Build the AwakeInput for this tick from open beads in `order`, assigned work, and the
    targets' runtime state."""
    beads = []
    for bid in order:
        b = ctx.store.session(bid)
        if b is None or not b.open or not b.session_name.strip():
            continue
        # The awake engine keys beads by the current agent: a bead stored under a legacy
        # identity (a removed binding, `rig/gc.pl`) counts for today's agent (`rig/pl`).
        ab = A.awake_bead(b, ctx.normalize_template(b.template), compat_state(b), base_state(b) == "drained")
        if b.id in ctx.reset_committed_this_tick:
            ab.reset_pending = False
        beads.append(ab)
    # The build's assigned work (result.AssignedWorkBeads) through the session-wake store filter
    # (filterAssignedWorkBeadsForSessionWake), not the pool-demand one
    work_ids = ctx.desired.collected_work_ids if ctx.desired is not None else []
    collected = [w for w in (ctx.store.work_bead(i) for i in work_ids) if w is not None]
    if collected:
        collected = filter_for_session_wake(BuildContext(ctx.city, ctx.world, ctx.semantics, [], []), collected)
    work = [w for w in collected if w.assignee.strip() and w.status in ("open", "in_progress")]
    inp = A.AwakeInput(agents=A.awake_agents(ctx.city, ctx.agent_suspended), named=A.awake_named(ctx.city),
                       beads=beads, work=work, scale_counts=counts,
                       named_demand=dict(ctx.desired.named_demand) if ctx.desired else {},
                       named_routed_demand=dict(ctx.desired.named_routed_demand) if ctx.desired else {},
                       chat_idle_timeout=_dur(ctx.city.chat_sessions.idle_timeout),
                       manual_grace=_dur(ctx.city.chat_sessions.grace_period), now=ctx.now)
    # WorkSet: empty, as Gas City's tick keeps it, unless a scenario gives a work_query result
    inp.work_set = dict(ctx.world.work_query)
    A.bridge_named_work_query(inp)
    for t in targets:
        b = ctx.store.session(t.bead_id)
        if b is None:
            continue
        name = b.session_name.strip()
        if t.alive:
            inp.running.add(name)
            if ctx.rt.attached(name):
                inp.attached.add(name)
        if ctx.rt.pending(name):
            inp.pending.add(name)
    return inp


def _dur(text: str) -> float:
    return try_duration(text, 0.0) or 0.0


def apply_wake_decisions(ctx: TickContext, order: list[str], targets: list[WakeTarget],
                         ready_wait: set[str] | None = None) -> tuple[list[StartCandidate], dict]:
    """Compute the awake set, apply sleep-policy suppression and each target's decision; returns
    the start candidates and the WakeEvals by bead id. `ready_wait` is the ready-wait set."""
    counts = pool_desired(ctx)
    inp = build_input(ctx, order, targets, counts)
    inp.ready_wait = set(ready_wait or ())
    decisions = A.compute_awake_set(inp)
    evals = A.wake_evals(decisions, inp.beads)
    ctx.awake = decisions
    ctx.wake_evals = evals
    # sleep-policy suppression
    for t in targets:
        b = ctx.store.session(t.bead_id)
        if b is None or not b.open:
            continue
        ev = evals.get(b.id)
        if ev is None:
            continue
        policy = sleep_policy.resolve(ctx, b)
        ev.policy = policy
        dec = decisions.get(b.session_name)
        suppressed = dec is not None and dec.should_wake and not ctx.rt.pending(b.session_name) and \
            b.get(B.PIN_AWAKE) != "true" and sleep_policy.config_wake_suppressed(ctx, b, policy)
        if suppressed and dec is not None and not sleep_policy.demand_overrides(
                dec.reason, ev.has_assigned_work, ev.reasons, policy,
                counts.get(ctx.template_of(b), 0), bool(b.get(B.SLEEP_INTENT))):
            ev.config_suppressed = True
            ev.reasons = []
            ev.reason = ""
    ctx.out.awake = awake_rows(decisions, evals, inp.beads, inp)
    launch_idle_probes(ctx, targets, evals)
    ctx.operation("session_reconcile.compute_awake_set_and_idle_probes", site="session_reconcile.awake_set",
                  wake_target_count=len(targets), awake_decision_count=len(decisions), awake_eval_count=len(evals))
    cands: list[StartCandidate] = []
    for t in targets:
        b = ctx.store.session(t.bead_id)
        if b is None or not b.open:
            continue
        apply_one(ctx, t, b, decisions, evals, counts, cands)
    return cands, evals


def awake_rows(decisions: dict, evals: dict, beads: list, inp: A.AwakeInput | None = None) -> list[AwakeRow]:
    """The tick's awake set, one row per session ComputeAwakeSet decided, by session name: its
    decision and reason, the older WakeReason vocabulary the wake pass and drains use (empty
    when the sleep policy suppressed a config wake), the assigned work behind it, and, given the
    computation's input, what the bridge (buildAwakeInputFromReconciler) handed it for the
    session: its bead (projected template, compat state and flags) and the assigned work beads
    whose assignee names it, with their readiness and blocked verdicts."""
    rows = []
    index = A.WorkIndex(inp.work) if inp is not None else None
    for b in beads:
        d = decisions.get(b.session_name)
        if d is None:
            continue
        ev = evals.get(b.id)
        bridged, work = _bridged(b, inp, index) if inp is not None and index is not None else (None, None)
        rows.append(AwakeRow(
            session_name=b.session_name, bead_id=b.id, should_wake=d.should_wake, reason=d.reason,
            wake_reasons=tuple(ev.reasons) if ev is not None else (),
            sleep_policy_suppressed=bool(ev is not None and ev.config_suppressed and d.should_wake),
            has_assigned_work=d.has_assigned_work, assigned_work_bead=d.assigned_work_bead,
            requires_fresh_cycle=d.requires_fresh_cycle, input=bridged, work=work))
    return sorted(rows, key=lambda r: r.session_name)


def _bridged(b: A.AwakeBead, inp: A.AwakeInput, index: A.WorkIndex) -> tuple[BridgedBead, tuple[AssignedWork, ...]]:
    """What the bridge handed the computation for `b`: its bead, and the work whose assignee
    names it in input order (one entry per work id)."""
    work = {w.id: AssignedWork(w.id, w.status, w.status == "open" and w.ready, w.status == "in_progress" and not w.ready)
            for w in index.of(inp.named, b)}
    name = b.session_name
    bead = BridgedBead(template=b.template, state=b.state, sleep_reason=b.sleep_reason,
                       named_identity=b.named_identity, explicit_wake=b.explicit_wake,
                       restart_requested=b.restart_requested, reset_pending=b.reset_pending,
                       running=name in inp.running, attached=name in inp.attached,
                       pending_interaction=name in inp.pending)
    return bead, tuple(work.values())


def launch_idle_probes(ctx: TickContext, targets: list[WakeTarget], evals: dict) -> None:
    """Up to 3 idle probes (round robin) for live interactive sessions suppressed by their
    sleep policy; a probe is ready at the next tick."""
    active = sum(1 for p in ctx.mem.idle_probes.values() if not p.ready)
    limit = MAX_IDLE_PROBES - active
    if limit <= 0:
        return
    cands = []
    for t in targets:
        b = ctx.store.session(t.bead_id)
        ev = evals.get(t.bead_id)
        if b is None or not t.alive or b.get(B.SLEEP_INTENT) or b.id in ctx.mem.drains or b.id in ctx.mem.idle_probes:
            continue
        if ev is None or ev.reasons or not ev.config_suppressed or ev.policy is None or not ev.policy.enabled:
            continue
        if ev.policy.sleep_class == "noninteractive":
            continue
        cands.append(b.id)
    if not cands:
        if active == 0:
            ctx.mem = ctx.mem.with_(idle_probe_cursor=0)
        return
    start = ctx.mem.idle_probe_cursor % len(cands)
    limit = min(limit, len(cands))
    for i in range(limit):
        ctx.mem = ctx.mem.set("idle_probes", cands[(start + i) % len(cands)], IdleProbe(ctx.now))
    ctx.mem = ctx.mem.with_(idle_probe_cursor=(start + limit) % len(cands))


def mature_idle_probes(ctx: TickContext) -> None:
    """Probes launched last tick have finished: the simulated provider reports idle at once."""
    for bid, p in sorted(ctx.mem.idle_probes.items()):
        if not p.ready:
            ctx.mem = ctx.mem.set("idle_probes", bid, IdleProbe(p.started_at, True, True, p.started_at))


def _idle_boundary(ctx: TickContext, b, ev) -> bool:
    """shouldBeginIdleDrain: non-interactive always; interactive needs a successful probe
    with no activity since it completed."""
    if ev.policy is not None and ev.policy.sleep_class == "noninteractive":
        return True
    p = ctx.mem.idle_probes.get(b.id)
    if p is None or not p.ready:
        return False
    ctx.mem = ctx.mem.drop("idle_probes", b.id)
    if not p.success:
        return False
    last = ctx.rt.last_activity(b.session_name)
    return last is None or last <= p.completed_at


def _circuit_blocks(ctx: TickContext, b: SessionBead, tpl: str, name: str) -> bool:
    """A named session whose restart circuit is open is not started: the circuit's state is
    written to its bead and said once."""
    cfg = circuit.circuit_config(ctx.city)
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY)
    if cfg is None or not identity:
        return False
    ctx.mem, is_open = circuit.is_open(ctx.mem, cfg, identity, ctx.now)
    if not is_open:
        return False
    ctx.patch(b.id, circuit.metadata(ctx.mem, cfg, identity, ctx.now))
    log_open_once(ctx, cfg, identity)
    ctx.decision("reconciler.session.circuit_open", "circuit_open", "skipped", tpl, name, identity=identity)
    return True


def _queue_start(ctx: TickContext, t: WakeTarget, b: SessionBead, dec: A.AwakeDecision | None,
                 cands: list[StartCandidate]) -> None:
    """A dead session that should wake becomes a start candidate, unless its create failed, it
    is quarantined, a start is in flight or its circuit is open."""
    name, tpl = b.session_name.strip(), t.entry.template
    if b.failed_create:
        ctx.decision("reconciler.session.wake_decision", "wake", "failed_create", tpl, name,
                     pending_create_claim=b.get(B.PENDING_CREATE_CLAIM).strip())
        return
    qt = parse_time(b.get(B.QUARANTINED_UNTIL))
    if qt is not None and ctx.now < qt:
        return
    if start_in_flight(b, ctx.now, ctx.startup_timeout):
        ctx.decision("reconciler.session.wake_decision", "wake", "start_in_flight", tpl, name,
                     pending_create_claim=b.get(B.PENDING_CREATE_CLAIM).strip(), last_woke_at=b.get(B.LAST_WOKE_AT))
        return
    if _circuit_blocks(ctx, b, tpl, name):
        return
    # only a session that should wake gets here: Go's payload is that flag
    ctx.decision("reconciler.session.wake_decision", "wake", "start_candidate", tpl, name, should_wake=True)
    if dec is not None and dec.assigned_work_bead and b.get(B.CURRENTLY_PROCESSING) != dec.assigned_work_bead:
        b = ctx.patch(b.id, {B.CURRENTLY_PROCESSING: dec.assigned_work_bead})
    cands.append(candidate_for(b, t.entry, len(cands), dec.reason if dec else ""))


def _drop_ready_idle_probe(ctx: TickContext, b: SessionBead) -> None:
    p = ctx.mem.idle_probes.get(b.id)
    if p is not None and p.ready:
        ctx.mem = ctx.mem.drop("idle_probes", b.id)


def _keep_awake(ctx: TickContext, t: WakeTarget, b: SessionBead, dec: A.AwakeDecision) -> None:
    """A live session that should stay awake: cycle it for fresh reassigned work, record its
    current work, cancel any drain, forget a ready idle probe and a pending idle stop."""
    if dec.requires_fresh_cycle and b.get(B.WAKE_MODE) == "fresh" and fresh_reassign_cycle(ctx, b, t.entry.template, dec):
        return
    if dec.assigned_work_bead and b.get(B.CURRENTLY_PROCESSING) != dec.assigned_work_bead:
        b = ctx.patch(b.id, {B.CURRENTLY_PROCESSING: dec.assigned_work_bead})
    drains.cancel(ctx, b)
    _drop_ready_idle_probe(ctx, b)
    if b.get(B.SLEEP_INTENT) == "idle-stop-pending":
        ctx.patch(b.id, {B.SLEEP_INTENT: ""})


def _sleep_reason(intent: str, dec: A.AwakeDecision | None, ev: A.WakeEval) -> str:
    if intent == "idle-stop-pending":
        return "idle"
    if intent:
        return intent
    if (dec is not None and dec.reason == "idle-sleep") or ev.config_suppressed:
        return "idle"
    return "no-wake-reason"


def _begin_sleep(ctx: TickContext, t: WakeTarget, b: SessionBead, dec: A.AwakeDecision | None,
                 ev: A.WakeEval) -> None:
    """A live session that should not be awake is drained, for its sleep intent or idleness;
    a user hold or a fresh spawn claim cancels the drain instead, and idleness waits for its
    boundary."""
    intent = b.get(B.SLEEP_INTENT)
    if intent == "" and timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), ctx.now) == "user_hold":
        drains.cancel(ctx, b)
        return
    reason = _sleep_reason(intent, dec, ev)
    if reason == "no-wake-reason" and within_spawn_claim_grace(b, ctx.now, ctx.startup_timeout):
        drains.cancel(ctx, b)
        return
    if reason != "idle":
        _drop_ready_idle_probe(ctx, b)
    if reason == "idle" and b.id not in ctx.mem.drains:
        if intent != "idle-stop-pending" and not _idle_boundary(ctx, b, ev):
            return
        if intent != "idle-stop-pending":
            b = ctx.patch(b.id, {B.SLEEP_INTENT: "idle-stop-pending"})
    if drains.begin_drain(ctx, b, reason):
        ctx.decision("reconciler.session.drain", reason, "drain", t.entry.template, b.session_name.strip(),
                     sleep_intent=intent)


def apply_one(ctx: TickContext, t: WakeTarget, b: SessionBead,
              decisions: dict[str, A.AwakeDecision], evals: dict[str, A.WakeEval], counts: dict[str, int],
              cands: list[StartCandidate]) -> None:
    """Act on one target's wake decision: queue a start candidate, cancel a drain, begin a drain,
    or close a freeable pool bead. `b` is the target's open bead."""
    name = b.session_name.strip()
    dec = decisions.get(name)
    should = dec is not None and dec.should_wake
    ev = evals.get(b.id) or A.WakeEval([], "", False, False)
    if should and ev.config_suppressed:
        should = False
    if ev.policy is not None:
        b = sleep_policy.persist(ctx, b, ev.policy, ev.config_suppressed)
    if t.alive and b.get(B.STRANDED_EVENT_EMITTED_AT):
        # clearStrandedEventMarker: a live tick ends the stranding episode, so the marker measures
        # continuous non-liveness and a later episode is reported (and confirmed) afresh.
        b = ctx.patch(b.id, {B.STRANDED_EVENT_EMITTED_AT: ""})
    # a heartbeat hold defers timers, not crash recovery (#3994)
    if not should and not t.alive and not ev.config_suppressed and dec is not None and dec.has_assigned_work and \
            not b.get(B.SLEEP_INTENT) and timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), ctx.now) == "user_hold":
        should = True
    if should and not t.alive:
        _queue_start(ctx, t, b, dec, cands)
    elif should and dec is not None and t.alive:
        _keep_awake(ctx, t, b, dec)
    elif not should and t.alive:
        _begin_sleep(ctx, t, b, dec, ev)
    elif not should and not t.alive and b.pool_managed and _slot_freeable(b):
        if ctx.has_reachable_open_work(b):
            stranded(ctx, b, t.entry.template)
            return
        ctx.close(b.id, b.get(B.SLEEP_REASON).strip() or "drained", reachable_only=True)


def fresh_reassign_cycle(ctx: TickContext, b, tpl: str, dec) -> bool:
    """cycleAliveSessionForFreshReassign: a live wake_mode = "fresh" session whose assigned work
    moved to another bead gets a brand-new conversation: its runtime is stopped, its named
    circuit breaker reset (a deliberate cycle is not a crash), and the restart handoff written
    (RestartRequestPatch) with the new bead recorded, so the next tick wakes it fresh. False when
    the stop fails (the session then stays as it is)."""
    from core.trackers.exits import PRIMING_KEYS

    new_bead = dec.assigned_work_bead.strip()
    if not new_bead:
        return False
    name, prev = b.session_name, b.get(B.CURRENTLY_PROCESSING).strip()
    err = ctx.stop_error(name, "fresh-cycle", b)
    if err:
        ctx.log(f"session reconciler: stopping fresh-cycle {name}: {err}")
        return False
    if not reset_circuit(ctx, b, f"fresh-cycle {name}"):
        return False
    patch = {B.RESTART_REQUESTED: "", B.STARTED_CONFIG_HASH: "", B.CONTINUATION_RESET_PENDING: "true",
             B.RESET_COMMITTED_AT: format_time_seconds(ctx.now), B.LAST_WOKE_AT: "", B.PENDING_CREATE_CLAIM: "",
             B.PENDING_CREATE_STARTED_AT: "", B.CURRENTLY_PROCESSING: new_bead}
    patch.update({k: "" for k in PRIMING_KEYS})
    # Gas City always writes session_key here (the cycle has the capability answer even when
    # the provider only resumes): a new key, or "" so no stale conversation is resumed.
    patch[B.SESSION_KEY] = fresh_restart_session_key(ctx, b, tpl)
    ctx.patch(b.id, patch)
    ctx.log(f"Cycled fresh-mode session '{name}' for bead reassign: {prev} \u2192 {new_bead}")
    ctx.action("restart", b.id, name, "bead-reassign", f"fresh conversation for {new_bead} (was {prev})", tpl)
    ctx.decision("reconciler.session.bead_reassign_cycle", "fresh_cycle", "restart", tpl, name,
                 previous_bead_id=prev, new_bead_id=new_bead)
    return True


def _slot_freeable(b) -> bool:
    if b.drained:
        return True
    return b.state.strip() == "asleep" and b.get(B.SLEEP_REASON).strip() in B.SLOT_FREEABLE_SLEEP


STRANDED_REPAIR_CONFIRM_GRACE = 120.0  # strandedRepairConfirmGrace
STRANDED_WORK_ID_LIST_LIMIT = 10  # strandedWorkIDListLimit


def stranded(ctx: TickContext, b, tpl: str) -> None:
    """A dead pool session in a terminal sleep that still owns work: one session.stranded per
    episode (emitSessionStrandedDiagnostic, subject the session bead), then, once the episode
    has lasted the confirmation window, the repair (repairStrandedPoolWorkerBead): the work is
    reopened, unassigned, cleared of its session affinity and routed to the template if it had no route, and the session bead is
    closed `stranded-repair` to free its slot."""
    work = [w for w in ctx.reachable_work_of(b) if w.status in ("open", "in_progress") and w.releasable]
    if not b.get(B.STRANDED_EVENT_EMITTED_AT):
        shown = _stranded_diagnostic_work(ctx, work)
        if work and not shown:
            return
        ctx.event("session.stranded", b.id, stranded_message(tpl, b.session_name, [w.id for w in shown]), b.id)
        b = ctx.patch(b.id, {B.STRANDED_EVENT_EMITTED_AT: format_time_seconds(ctx.now)})
    since = parse_time(b.get(B.STRANDED_EVENT_EMITTED_AT))
    if ctx.store_partial or since is None or (ctx.now - since).total_seconds() < STRANDED_REPAIR_CONFIRM_GRACE:
        return
    for w in work:
        ctx.store.put_work(w.released(b.fallback_route))
    ctx.close(b.id, "stranded-repair", release=False)


def _stranded_diagnostic_work(ctx: TickContext, work: list) -> list:
    """filterDetachedStrandedDiagnosticWork: work whose detached-work probe (`gc.detached`) is
    alive is not reported stranded; a dead probe's marker is cleared and the work reported; a
    failing (or, in the model, unanswered) probe keeps the work in the report."""
    from core.reconcile.orphans import DETACHED

    out = []
    for w in work:
        spec = w.get(DETACHED).strip()
        answer = ctx.world.detached_probe.get(spec) if spec else None
        if spec and answer == "alive":
            ctx.log(f"session reconciler: suppressing session.stranded for {w.id}: detached probe alive: {spec}")
            continue
        if spec and answer == "dead":
            ctx.log(f"session reconciler: clearing dead detached probe for {w.id} before session.stranded: {spec}")
            w = ctx.store.put_work(w.with_(metadata={k: v for k, v in w.metadata if k != DETACHED}))
        elif spec:
            ctx.log(f"session reconciler: preserving session.stranded for {w.id} after detached probe error: probe failed")
        out.append(w)
    return out


def stranded_message(template: str, session_name: str, ids: list[str]) -> str:
    """formatStrandedMessage."""
    prefix = (f"pool session {go_quote(session_name.strip())} (template {go_quote(template or '<unknown-template>')}) "
              "terminated without clean drain")
    if not ids:
        return prefix + "; close gate retains slot — work assignee count unavailable"
    shown, more = ids[:STRANDED_WORK_ID_LIST_LIMIT], len(ids) - STRANDED_WORK_ID_LIST_LIMIT
    suffix = f" (+{more} more)" if more > 0 else ""
    return f"{prefix}; {len(ids)} in-progress work bead(s) stranded: {','.join(shown)}{suffix}"
