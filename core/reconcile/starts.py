"""Start execution (executePlannedStarts): waves in depends_on order, the wake budget
`[daemon].max_wakes_per_tick`, wake fairness, the circuit breaker at the prepared-start
boundary, the pre-wake commit, the provider Start and its commit or failure handling.

Starts are synchronous in the model, as in Gas City's tests: a start commits within the tick
that chose it (production enqueues it and commits from a goroutine)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.desired.entries import DesiredEntry
from core.desired.realize import instance_token, trigger_env
from core.formats.durations import format_duration
from core.formats.goparse import add_seconds
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile import drains
from core.reconcile.breakers import log_open_once
from core.reconcile.commit import CONFIRMING_STATES, CONFIRMS_PENDING_START, commit_patch
from core.reconcile.context import TickContext
from core.reconcile.exits_check import record_wake_failure
from core.reconcile.lease import start_in_flight
from core.reconcile.rollback import close_failed_create
from core.reconcile.session_key import fresh_session_key
from core.reconcile.sync import launch_metadata
from core.trackers import circuit
from core.trackers import exits as X
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.runtime import (
    META_INSTANCE_TOKEN,
    META_RUNTIME_EPOCH,
    META_SESSION_ID,
    PendingStart,
    SessionExists,
    StartError,
    terminal_error_reason,
)

START_BATCH = 3  # defaultStartDependencyRecheckBatchSize


@dataclass
class StartCandidate:
    """A bead chosen to start this tick, with its desired entry, order, wake reason and the time
    fairness sorts by."""
    bead_id: str
    entry: DesiredEntry
    order: int
    wake_reason: str
    fairness: datetime

    @property
    def template(self) -> str:
        return self.entry.template

    @property
    def name(self) -> str:
        return self.entry.session_name


def candidate_for(b: SessionBead, entry: DesiredEntry, order: int, reason: str) -> StartCandidate:
    """A StartCandidate for the bead, fair-ordered by its last wake (else its creation)."""
    return StartCandidate(b.id, entry, order, reason, parse_time(b.get(B.LAST_WOKE_AT)) or b.created_at)


def dependency_alive(ctx: TickContext, template: str) -> bool:
    """A dependency counts alive when some desired session of its template is alive and
    not start-in-flight."""
    if ctx.desired is None:
        return False
    for e in ctx.desired.entries.values():
        if e.template != template:
            continue
        b = ctx.store.session(e.bead_id) if e.bead_id else None
        if b is not None and start_in_flight(b, ctx.now, ctx.startup_timeout):
            continue
        if ctx.alive(e.session_name):
            return True
    return False


def deps_alive(ctx: TickContext, template: str) -> bool:
    """True if every configured dependency of the template is alive (or unknown to the city)."""
    a = ctx.agent(template)
    if a is None:
        return True
    for dep in a.depends_on:
        d = ctx.agent(dep)
        if d is not None and not dependency_alive(ctx, d.qualified_name):
            return False
    return True


def wave_order(ctx: TickContext, cands: list[StartCandidate]) -> tuple[dict[int, int], bool]:
    """Kahn layers over candidate templates; an edge only to a dependency that is itself a
    candidate and not yet alive. A cycle falls back to strictly serial order."""
    templates = list(dict.fromkeys(c.template for c in cands))
    present = set(templates)
    deps: dict[str, list[str]] = {}
    for t in templates:
        a = ctx.agent(t)
        for dep in (a.depends_on if a else ()):
            d = ctx.agent(dep)
            dq = d.qualified_name if d else dep
            if dq in present and not dependency_alive(ctx, dq):
                deps.setdefault(t, []).append(dq)
    indegree = {t: len(deps.get(t, [])) for t in templates}
    # a dependency -> the templates waiting on it, once per edge: a depends_on list may name one
    # dependency twice (validation allows it), and each edge counted in indegree is released
    dependents: dict[str, list[str]] = {}
    for t in templates:
        for dq in deps.get(t, ()):
            dependents.setdefault(dq, []).append(t)
    wave_of: dict[str, int] = {}
    wave = 0
    while len(wave_of) < len(templates):
        ready = [t for t in templates if t not in wave_of and indegree[t] == 0]
        if not ready:
            return {i: i for i in range(len(cands))}, False
        for t in ready:
            wave_of[t] = wave
            for other in dependents.get(t, ()):
                indegree[other] -= 1
        wave += 1
    return {i: wave_of[c.template] for i, c in enumerate(cands)}, True


def fairness_sort(cands: list[StartCandidate]) -> list[StartCandidate]:
    """Oldest wake (or creation) first, then round-robin across templates."""
    ranked = sorted(cands, key=lambda c: c.fairness)
    seen: dict[str, int] = {}
    rounds = []
    for c in ranked:
        rounds.append((seen.get(c.template, 0), c))
        seen[c.template] = seen.get(c.template, 0) + 1
    return [c for _, c in sorted(rounds, key=lambda rc: rc[0])]


def execute_starts(ctx: TickContext, cands: list[StartCandidate]) -> int:
    """Start candidates in dependency waves and batches within the city's wake budget, recording
    each deferral; returns how many started."""
    if not cands:
        return 0
    waves, ok = wave_order(ctx, cands)
    if not ok:
        ctx.log("session reconciler: dependency graph fallback to serial start order")
    woke = 0
    for wave in range(max(waves.values()) + 1):
        in_wave = [c for i, c in enumerate(cands) if waves[i] == wave]
        if not in_wave:
            continue
        woke += _start_wave(ctx, wave, in_wave, woke)
        if len(in_wave) > 1:
            # logLifecycleWave: a wave of more than one candidate is summarised (its starts run
            # in parallel in Gas City; the model's take no time).
            ctx.log(f"session lifecycle: op=start wave={wave} candidates={len(in_wave)} duration=0s")
    return woke


def _start_wave(ctx: TickContext, wave: int, in_wave: list[StartCandidate], woke: int) -> int:
    """One dependency wave (executePreparedStartWave): candidates whose dependencies are alive,
    in fairness order, batch by batch while the wake budget (`woke` already spent) lasts;
    returns how many this wave started."""
    max_wakes = ctx.city.max_wakes_per_tick
    if woke >= max_wakes:
        for c in in_wave:
            _lifecycle(ctx, wave, c, "deferred_by_wake_budget")
        return 0
    ready = []
    for c in in_wave:
        if deps_alive(ctx, c.template):
            ready.append(c)
        else:
            _lifecycle(ctx, wave, c, "blocked_on_dependencies")
    ready = fairness_sort(ready)
    started = 0
    offset = 0
    while offset < len(ready):
        if woke + started >= max_wakes:
            for c in ready[offset:]:
                _lifecycle(ctx, wave, c, "deferred_by_wake_budget")
            break
        size = min(START_BATCH, max_wakes - woke - started)
        batch, offset = ready[offset:offset + size], offset + size
        started += _start_batch(ctx, wave, batch)
    return started


def _start_batch(ctx: TickContext, wave: int, batch: list[StartCandidate]) -> int:
    """Start one batch (runPreparedStartCandidate for each): a candidate whose dependencies died
    meanwhile, that finds the async start limiter full or whose circuit is open waits; returns
    how many started."""
    started = 0
    for c in batch:
        if not deps_alive(ctx, c.template):
            _lifecycle(ctx, wave, c, "blocked_on_dependencies")
            continue
        if len(ctx.rt.pending_starts) >= ctx.city.max_wakes_per_tick:
            # The asynchronous start limiter (CityRuntime.asyncStartLimiter, capacity
            # max_wakes_per_tick) is shared across ticks: starts still in flight from an
            # earlier tick hold their slots, and a start that finds none waits a tick.
            ctx.log(f"session lifecycle: op=start wave={wave} session={c.name} template={c.template} "
                    "outcome=deferred_by_async_start_limit")
            continue
        if not _circuit_allows(ctx, c):
            continue
        if start_one(ctx, c, wave):
            started += 1
    return started


def _lifecycle(ctx: TickContext, wave: int, c: StartCandidate, outcome: str, error: str = "",
               executed: bool = False) -> None:
    """logLifecycleOutcome: Gas City's `session lifecycle:` line; a start that ran carries its
    duration (0s: the model's starts take no time), an error stays on one line
    (formatLifecycleError escapes newlines)."""
    line = f"session lifecycle: op=start wave={wave} session={c.name} template={c.template} outcome={outcome}"
    if executed:
        line += " duration=0s"
    if error:
        line += " err=" + format_lifecycle_error(error)
    ctx.log(line)
    fields: dict[str, int | str] = {"wave": wave}
    if error:
        fields["error"] = error
    ctx.record("operation", "reconciler.start.execute", "start", outcome, c.template, c.name, **fields)


def format_lifecycle_error(err: str) -> str:
    """formatLifecycleError: an error written to a log line keeps to one line (newlines escaped)."""
    return err.replace("\n", "\\n")


def _circuit_allows(ctx: TickContext, c: StartCandidate) -> bool:
    cfg = circuit.circuit_config(ctx.city)
    b = ctx.store.session(c.bead_id)
    if cfg is None or b is None:
        return True
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()  # the breaker is keyed by the trimmed identity
    if not identity:
        return True
    mem, is_open = circuit.is_open(ctx.mem, cfg, identity, ctx.now)
    ctx.mem = mem
    if is_open:
        ctx.patch(b.id, circuit.metadata(ctx.mem, cfg, identity, ctx.now))
        log_open_once(ctx, cfg, identity)
        ctx.decision("reconciler.session.circuit_open", "circuit_open", "skipped", c.template, c.name,
                     identity=identity)
        return False
    ctx.mem, state = circuit.record_restart(ctx.mem, cfg, identity, ctx.now)
    ctx.patch(b.id, circuit.metadata(ctx.mem, cfg, identity, ctx.now))
    if state == circuit.OPEN:
        log_open_once(ctx, cfg, identity)
        ctx.decision("reconciler.session.circuit_trip", "circuit_trip", "skipped", c.template, c.name,
                     identity=identity)
        # No event: Gas City registers session.quarantined but no production path emits it.
        return False
    return True


def pre_wake_patch(b: SessionBead, now: datetime) -> dict[str, str]:
    """preWakeCommit: a new generation and instance token, the wake lease, and a fresh
    conversation when the wake mode or a pending reset asks for one."""
    try:
        gen = int(b.get(B.GENERATION) or 0) + 1
    except ValueError:
        gen = 1
    try:
        epoch = int(b.get(B.CONTINUATION_EPOCH) or 0)
    except ValueError:
        epoch = 0
    epoch = epoch if epoch > 0 else 1
    fresh_mode = b.get(B.WAKE_MODE) == "fresh"
    if b.get(B.CONTINUATION_RESET_PENDING) or (fresh_mode and b.get(B.LAST_WOKE_AT)):
        epoch += 1
    state = b.state.strip()
    pending_reset_fresh = (state not in CONFIRMING_STATES and bool(b.get(B.CONTINUATION_RESET_PENDING).strip())
                           and bool(b.get(B.STARTED_CONFIG_HASH).strip()))
    patch = {B.INSTANCE_TOKEN: instance_token(b.id, str(gen)), B.CONTINUATION_EPOCH: str(epoch),
             B.CONTINUATION_RESET_PENDING: "", B.DETACHED_AT: "", B.STATE: "creating",
             B.PENDING_CREATE_STARTED_AT: format_time_seconds(now), B.LAST_WOKE_AT: format_time_seconds(now),
             B.SLEEP_REASON: "idle-timeout" if b.get(B.SLEEP_REASON) == "idle-timeout" else "",
             B.SLEEP_INTENT: "", B.GENERATION: str(gen), B.WAKE_REQUEST: "", B.WAKE_REQUESTED_AT: ""}
    if fresh_mode or pending_reset_fresh:
        # applyFreshWakeConversationReset: the startup dialog is verified again too
        patch.update({B.SESSION_KEY: "", B.STARTED_CONFIG_HASH: "", B.STARTED_LIVE_HASH: "", B.LIVE_HASH: "",
                      "startup_dialog_verified": "", B.PRIMED_AT: "", B.PRIMING_ATTEMPTED_AT: "", B.PROMPT_HASH: ""})
    return patch


def mint_session_key(ctx: TickContext, b: SessionBead, template: str) -> SessionBead:
    """prepareStartCandidate: a start whose provider takes a session id and whose bead has no
    conversation key gets a new one, stored before the start."""
    if b.get(B.SESSION_KEY):
        return b
    from core.desired.provider import resolve_provider
    a = ctx.agent(template)
    rp = resolve_provider(ctx.city, a) if a is not None else None
    if rp is None or not rp.session_id_flag:
        return b
    return ctx.patch(b.id, {B.SESSION_KEY: fresh_session_key(b.id, ctx.now)})


def start_command(ctx: TickContext, b: SessionBead, template: str) -> str:
    """The command line a start runs (buildPreparedStart): the agent's launch command, with the
    session-id or resume argument for the bead's conversation key (resolveSessionCommand); a
    first start is one whose bead has no started hash, a fresh one a wake_mode = "fresh" bead.
    An ACP session takes no such argument."""
    from core.desired.provider import resolve_provider, resolve_session_command, session_transport

    a = ctx.agent(template)
    if a is None:
        return ""
    rp = resolve_provider(ctx.city, a)
    if rp is None:
        return a.start_command
    key = b.get(B.SESSION_KEY)
    if not key or session_transport(a, rp) == "acp":
        return rp.launch_command
    return resolve_session_command(rp.launch_command, key, rp, not b.get(B.STARTED_CONFIG_HASH),
                                   b.get(B.WAKE_MODE) == "fresh")


def start_env(b: SessionBead, entry: DesiredEntry) -> dict[str, str]:
    """The entry's environment plus the GC_* session identity variables from the bead."""
    env = dict(entry.env)
    env.update(trigger_env(b))  # sessionTriggerBeadEnv: the bead's trigger as it stands at start
    token = b.get(B.INSTANCE_TOKEN)
    env.update({"GC_SESSION_ID": b.id, "GC_SESSION_NAME": b.session_name, "GC_TEMPLATE": entry.template,
                "GC_RUNTIME_EPOCH": b.get(B.GENERATION), "GC_CONTINUATION_EPOCH": b.get(B.CONTINUATION_EPOCH),
                "GC_INSTANCE_TOKEN": token, "BEADS_HOLDER_TOKEN": token})
    return env


def runtime_is_ours(ctx: TickContext, b: SessionBead) -> bool:
    """runningSessionMatchesPendingCreate: the live runtime carries this bead's id/token."""
    name = b.session_name
    live_id = ctx.rt.get_meta(name, META_SESSION_ID).strip()
    if live_id and live_id != b.id:
        return False
    token = b.get(B.INSTANCE_TOKEN).strip()
    live_token = ctx.rt.get_meta(name, META_INSTANCE_TOKEN).strip()
    if live_token and live_token != token:
        live_gen = ctx.rt.get_meta(name, META_RUNTIME_EPOCH).strip()
        gen = b.get(B.GENERATION).strip()
        if live_gen and gen and live_gen != gen:
            return False
        if not live_id:
            return False
    if live_id:
        return live_id == b.id
    return bool(token) and live_token == token


def start_one(ctx: TickContext, c: StartCandidate, wave: int) -> bool:
    """Pre-wake commit, Start, then commit or failure handling. True when the start counts
    against the wake budget (it committed)."""
    b = ctx.store.session(c.bead_id)
    if b is None or not b.open:
        return False
    claim = b.pending_claim
    b = ctx.patch(b.id, pre_wake_patch(b, ctx.now))
    b = mint_session_key(ctx, b, c.template)
    name = b.session_name
    err = ""
    outcome = "success"
    rs = ctx.rt.get(name)
    if rs is not None and rs.running and rs.alive:
        if claim and not runtime_is_ours(ctx, b):
            err, outcome = f'session "{name}" already exists', "session_exists"
    else:
        if rs is not None and rs.running:
            # A zombie (the pane is up, the agent process gone) is recycled; a stop that fails
            # fails the start as a provider error, and no Start is tried (ga-yms).
            stop_err = ctx.stop_error(name, "recycle-dead-runtime", b)
            if stop_err:
                err = f'recycling session "{name}" with dead agent process: {stop_err}'
                _lifecycle(ctx, wave, c, "provider_error", err, executed=True)
                start_failed(ctx, b, c, err, claim, "provider_error")
                return False
        elif rs is not None:
            ctx.stop(name, "recycle-dead-runtime", b)
        delay = ctx.rt.slow_start_delay(name, c.template)
        if ctx.startup_timeout > 0 and delay >= ctx.startup_timeout:
            # The provider Start outlives its startup deadline (startCtxErr == DeadlineExceeded);
            # runPreparedStartCandidate sets no deadline at all when the timeout is not positive.
            err, outcome = f'session "{name}" startup: context deadline exceeded', "deadline_exceeded"
            if claim:
                # commitStartFailure's rollback arm records it with no session id
                ctx.event("session.cold_start_timeout", name, f'session "{name}" cold start timed out')
            _lifecycle(ctx, wave, c, outcome, err, executed=True)
            start_failed(ctx, b, c, err, claim, outcome)
            return False
        if delay > 0:
            _enqueue_slow_start(ctx, b, c, delay, claim, wave)
            return True
        try:
            ctx.rt.start(name, session_id=b.id, instance_token=b.get(B.INSTANCE_TOKEN), template=c.template,
                         now=ctx.now, env=start_env(b, c.entry), command=start_command(ctx, b, c.template))
        except SessionExists as e:
            err, outcome = _taken_name_outcome(ctx, b, claim, str(e))
        except StartError as e:
            err, outcome = str(e) or "start failed", "provider_error"
    _lifecycle(ctx, wave, c, outcome, err, executed=True)
    if err:
        start_failed(ctx, b, c, err, claim, outcome)
        return False
    _commit_start(ctx, b, c, claim)
    return True


def _taken_name_outcome(ctx: TickContext, b: SessionBead, claim: bool, error: str) -> tuple[str, str]:
    """(error, outcome) of a Start that found its name taken: observed again, a runtime that is
    not live is a provider error; a live one converges for a pending create that owns it, fails
    a pending create that does not, and is the start's own result otherwise (no error)."""
    rs = ctx.rt.get(b.session_name)
    if rs is None or not (rs.running and rs.alive):
        return error, "provider_error"
    if claim and runtime_is_ours(ctx, b):
        return "", "session_exists_converged"
    if claim:
        return error, "session_exists"
    return "", "session_exists"


def _enqueue_slow_start(ctx: TickContext, b: SessionBead, c: StartCandidate, delay: float, claim: bool,
                        wave: int) -> None:
    """Still starting when the tick ends: the bead stays creating with its wake stamp (the
    in-flight guards hold it) and the start commits once it finishes (complete_async_starts)."""
    name = b.session_name
    ctx.rt.pending_starts[name] = PendingStart(
        name, b.id, b.get(B.INSTANCE_TOKEN), c.template, start_env(b, c.entry), ctx.now,
        add_seconds(ctx.now, delay), claim, c.wake_reason, wave, c.entry.identity or c.template,
        b.get(B.GENERATION), launch_metadata(ctx, c.entry).get(B.COMMAND, ""), start_command(ctx, b, c.template))
    # enqueuePreparedStartWaveForCity: the start is handed to its goroutine and logged as
    # enqueued at once (it counts against the wake budget).
    _lifecycle(ctx, wave, c, "start_enqueued", executed=True)


def _commit_start(ctx: TickContext, b: SessionBead, c: StartCandidate, claim: bool) -> None:
    """A successful start commits: the drain ack cleared, the commit patch written, and the
    start action, woke event and log line."""
    name = b.session_name
    drains.clear_ack_meta(ctx, name)
    a = ctx.agent(c.template)
    b = ctx.patch(b.id, commit_patch(ctx, b, a, b.state.strip() in CONFIRMING_STATES, claim))
    ctx.action("start", b.id, name, c.wake_reason, f"generation {b.get(B.GENERATION)}", c.template)
    ctx.event("session.woke", c.entry.identity or c.template, f"woke ({c.wake_reason})", b.id)
    ctx.log(f"Woke session '{c.entry.identity or c.template}'")


def complete_async_starts(ctx: TickContext) -> int:
    """Slow starts whose provider Start has finished by now: the session appears and the start
    commits (the asynchronous start's completion), logged with its duration. A start whose bead
    closed or moved to another generation meanwhile is stale: its session is torn down."""
    done = 0
    for name, p in sorted(ctx.rt.pending_starts.items()):
        if p.ready_at > ctx.now:
            continue
        del ctx.rt.pending_starts[name]
        b = ctx.store.session(p.bead_id)
        line = (f"session lifecycle: op=start wave={p.wave} session={name} template={p.template} outcome=")
        took = format_duration((p.ready_at - p.started_at).total_seconds())
        current_command = b.get(B.COMMAND).strip() if b is not None else ""
        if b is not None and p.command.strip() and current_command and p.command.strip() != current_command:
            # asyncStartPreparedCommandStaleInfo: the desired command changed while the agent
            # started; its runtime is stopped and the wake stamp released so a later tick starts
            # the new command.
            ctx.log(f"session reconciler: ignoring stale async start result for {name}: desired command changed "
                    "during startup")
            ctx.patch(b.id, {B.LAST_WOKE_AT: ""})
            ctx.log(line + f"async_start_refresh_failed duration={took}")
            continue
        if b is None or not async_start_still_current(p, b):
            # refreshAsyncStartResult: the result is stale; the runtime it spawned (which carries
            # the prepared identity) is stopped, so the model never brings it up.
            ctx.log(f"session reconciler: ignoring stale async start result for {name}")
            ctx.log(line + f"stale_async_start duration={took}")
            continue
        ctx.rt.start(name, session_id=b.id, instance_token=b.get(B.INSTANCE_TOKEN), template=p.template,
                     now=p.ready_at, env=p.env, command=p.start_line)
        ctx.log(line + f"success duration={took}")
        drains.clear_ack_meta(ctx, name)
        a = ctx.agent(p.template)
        # confirmPendingStart on the refreshed bead: any pending-start state is confirmed (a
        # bead put to sleep or drained while its start ran included)
        b = ctx.patch(b.id, commit_patch(ctx, b, a, b.state.strip() in CONFIRMS_PENDING_START, p.claim))
        ctx.action("start", b.id, name, p.wake_reason, f"generation {b.get(B.GENERATION)}", p.template)
        ctx.event("session.woke", p.identity, f"woke ({p.wake_reason})", b.id)
        ctx.log(f"Woke session '{p.identity}'")
        done += 1
    return done


def async_start_still_current(p: PendingStart, b: SessionBead | None) -> bool:
    """PendingCreateLease.CommitVerdict (internal/session/pending_create_lease.go): a finished
    start commits unless its bead closed, its instance token changed (generation drift alone does
    not matter; the generation is the fallback only when the start carried no token), or its
    claim was cleared from under a bead that is still mid-create; a bead already active or awake
    commits whatever its claim, one in another state than a pending start's does not."""
    if b is None or not b.open:
        return False
    token, gen = p.instance_token.strip(), p.generation.strip()
    if token:
        if b.get(B.INSTANCE_TOKEN).strip() != token:
            return False
    elif gen and b.get(B.GENERATION).strip() != gen:
        return False
    state = b.state.strip()
    if state in ("active", "awake"):
        return True
    if p.claim and not b.pending_claim:
        return False
    return state in ("", "start-pending", "creating", "asleep", "drained")


def start_failed(ctx: TickContext, b: SessionBead, c: StartCandidate, err: str, claim: bool, outcome: str) -> None:
    """commitStartFailure: the `starting` log line, then a terminal provider error marks the bead
    (and rolls back a claimed pending create), else a claimed pending create is rolled back, else
    a wake failure is counted (5 in a row quarantine the session). Each arm records one operation
    carrying the start's `outcome`; the rollback itself writes no log line or decision (that is
    the forward pass's attemptRollbackPendingCreate), and the failed start's rollback is never
    held back by the per-tick rollback budget."""
    reason = terminal_error_reason(err)
    err = format_lifecycle_error(err)
    ctx.log(f"session reconciler: starting {b.session_name}: {err}")
    if reason:
        ctx.patch(b.id, X.terminal_error_patch(reason, ctx.now))
        rec = ctx.record("operation", "reconciler.start.terminal_provider_error", "start", outcome, c.template,
                         b.session_name, error=err)
        rec.fields["reason"] = reason  # a payload key that shares its name with the record's reason code
        if claim:
            close_failed_create(ctx, ctx.store.reread(b.id))
        return
    if claim:
        ctx.record("operation", "reconciler.start.rollback_pending", "start", outcome, c.template,
                   b.session_name, error=err)
        close_failed_create(ctx, b)
        return
    b = ctx.patch(b.id, {B.LAST_WOKE_AT: ""})
    record_wake_failure(ctx, b)
    ctx.record("operation", "reconciler.start.failed", "start", outcome, c.template, b.session_name,
               error=err)
