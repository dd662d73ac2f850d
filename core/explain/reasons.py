"""Operator words for what `explain` reports: demand tiers, why a bead is not desired, alias
deferrals, bead states and sleep reasons, tracker rows. Pure functions of the model's state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.desired.alias import backoff_seconds, retry_due
from core.explain.records import Alias, AliasRetry
from core.formats.durations import format_duration
from core.identity import canonical_singleton
from core.world import beads as B

if TYPE_CHECKING:
    from core.awake_row import AwakeRow
    from core.config.city_config import Agent, City
    from core.desired.entries import DesiredEntry, DesiredResult
    from core.model_view import ModelView
    from core.trackers.view import TrackerRow
    from core.views.state_json import AliasDeferral
    from core.world.beads import SessionBead

SOURCE_WORDS = {
    "resume": "resume tier: work assigned to this session keeps it",
    "wake-known-identity": "wake-known-identity tier: work is assigned to the template's identity and no session holds it",
    "new": "new demand: scale_check or routed work asks for a session",
    "min-fill": "min fill: the template's min_active_sessions floor",
    "named-always": "named session, mode always: desired every tick",
    "named-on-demand": "named session, mode on_demand: direct work or an existing canonical bead keeps it",
    "discovered": "discovered: an open bead of a template that already has desired sessions",
    "manual": "manual session: kept under its own identity",
    "dependency-floor": "dependency floor: a desired session depends_on this template",
}

CLOSE_WORDS = {
    "orphaned": "the reconciler closes a session that is no longer desired and not running as orphaned "
                "(also when only its demand went away)",
    "suspended": "its agent or rig is suspended, or its named session runtime name is configured elsewhere",
    "gc_swept": "the undesired-pool sweep closed an idle pool bead with no assigned work",
    "drained": "its drain finished: the pool slot was retired",
    "dead-runtime": "its runtime died (a dead pane) with no work assigned, so runtime hygiene closed it",
    "failed-create": "its start failed and the create was rolled back",
    "stale-session": "it sat in creating past the stale threshold without a runtime",
    "duplicate": "another open bead had the same session name",
    "reconfigured": "its named session's runtime name changed",
    "idle-timeout": "its pool slot was freed after an idle-timeout stop",
    "city-stop": "its pool slot was freed after the city stopped",
    "runtime-missing": "its pool slot was freed after its runtime vanished",
}

SLEEP_WORDS = {
    "idle": "put to sleep after sleep_after_idle (wakes on demand)",
    "idle-timeout": "stopped by idle_timeout",
    "no-wake-reason": "drained because nothing wanted it awake",
    "config-drift": "drained because its config changed",
    "drained": "drained (acknowledged drain)",
    "city-stop": "stopped with the city",
    "user-hold": "held by an operator",
    "wait-hold": "waiting on a durable wait",
    "rate_limit": "hit a provider rate limit (30 m quarantine)",
    "failed-create": "its start failed",
    "provider-terminal-error": "the provider reported a terminal error",
    "runtime-missing": "its runtime disappeared without a deliberate stop",
    "quarantine": "quarantined after repeated failed starts",
    "context-churn": "quarantined after repeated short-lived runs (churn)",
    "max-session-age": "restarted for max_session_age",
    "assigned-work-exhausted": "stopped after too many idle defers for the same work",
    "orphaned": "drained as orphaned",
    "suspended": "drained as suspended",
}

STATE_WORDS = {
    "start-pending": "start pending: identity reserved, start wanted",
    "creating": "creating: a start is in flight",
    "active": "active (started; running when last observed)",
    "awake": "awake (running when last observed)",
    "asleep": "asleep: no runtime, resumable",
    "drained": "drained",
    "draining": "draining: a stop is in flight after a drain ack",
    "suspended": "suspended",
    "quarantined": "quarantined",
    "failed-create": "failed create",
}


def source_words(source: str) -> str:
    """How a sleep-policy source reads in prose; an unknown source as itself."""
    return SOURCE_WORDS.get(source, source)


def why_not_desired(city: City, d: DesiredResult | None, b: SessionBead, agent: Agent | None,
                    semantics: str) -> tuple[str, str]:
    """(rule code, sentence) saying why an existing bead has no desired entry."""
    if not b.open:
        code = b.state or "closed"
        text = b.get(B.CLOSE_REASON) or "closed"
        why = CLOSE_WORDS.get(code, "")
        return "undesired.closed", f"closed as {code} ({text})" + (f": {why}" if why else "")
    if d is None:
        return "undesired.no_build", "no desired state has been built yet (no tick has run)"
    if agent is None:
        return "undesired.no_agent", (f"template {b.template!r} is not in the config (agent removed or renamed): "
                                      "live sessions drain as orphaned, dead ones close")
    return _not_desired_by_config(city, b, agent) or _not_desired_bead(b) or _not_desired_beside(d, b, agent, semantics)


def _not_desired_by_config(city: City, b: SessionBead, agent: Agent) -> tuple[str, str] | None:
    """The config's reason: a suspended agent or rig, or a named session no longer configured."""
    rig = city.rig(agent.dir) if agent.dir else None
    if agent.suspended or (rig is not None and rig.suspended):
        where = "agent" if agent.suspended else f"rig {agent.dir}"
        return "undesired.suspended", f"{where} is suspended: no desired sessions for {agent.qualified_name}"
    if b.is_named:
        ident = b.get(B.CONFIGURED_NAMED_IDENTITY) or b.agent_name
        if city.named_by_identity(ident) is None:
            return "undesired.named_removed", f"named session {ident} is no longer configured"
    return None


def _not_desired_bead(b: SessionBead) -> tuple[str, str] | None:
    """The bead's own reason: a failed create, drained, or draining."""
    if b.failed_create:
        return "undesired.failed_create", "failed-create beads are never reused; it is closed once its lease ends"
    if b.drained:
        return "undesired.drained", "drained pool beads are neither reused nor rediscovered; demand mints new beads"
    if b.state == "draining":
        return "undesired.draining", "its stop is in flight after a drain ack; it will be closed or marked drained"
    return None


def _not_desired_beside(d: DesiredResult, b: SessionBead, agent: Agent, semantics: str) -> tuple[str, str]:
    """The reason among its template's other desired entries: a newer floor or canonical holder
    replaced it, or demand is zero or met by other beads."""
    qn = agent.qualified_name
    same = [e for e in d.entries.values() if e.template == qn and e.bead_id != b.id]
    floor = next((e for e in same if e.dependency_only and any(
        w.rule == "demand.duplicate_floor" and b.id in w.detail for w in e.why)), None)
    if floor is not None:
        return "undesired.duplicate_floor", (
            f"an earlier dependency-floor bead for {qn}: it was never marked dependency_only (only sync writes "
            f"that), so a refresh pass of the controller could not reuse it and minted "
            f"{floor.bead_id or floor.session_name}, which is now the floor; this bead keeps its create claim"
            + (f" and alias {b.alias}" if b.alias else "")
            + " until the claim's lease lapses, then the sweep closes it")
    if canonical_singleton(agent, semantics):
        holder = next((e for e in same if qn in (e.identity, e.alias)), None)
        if holder is not None:
            return "undesired.canonical_duplicate", (
                f"{qn} is a canonical singleton and bead {holder.bead_id or holder.session_name} holds its desired "
                "entry: this bead is a duplicate (the reconciler closes it, which frees the canonical alias)")
    if b.dependency_only:
        return "undesired.floor_unneeded", f"a dependency-only floor bead, and no desired session needs {qn} now"
    pd = d.pool_desired.get(qn, 0)
    if pd == 0:
        sc = d.scale_check_counts.get(qn, 0)
        return "undesired.no_demand", (f"no demand for {qn}: pool demand 0 (scale_check count {sc}, no assigned "
                                       f"work, min_active_sessions {agent.min_count})")
    if b.state == "asleep" and b.pool_managed:
        return "undesired.asleep_not_reused", ("asleep pool beads are not reused by generic demand; demand for "
                                               f"{qn} ({pd}) is met by other beads")
    holders = ", ".join(sorted(e.bead_id or e.session_name for e in same)) or "new beads"
    return "undesired.not_selected", f"demand for {qn} is {pd} and {holders} fill it"


def alias_state(entry: DesiredEntry | None, b: SessionBead | None, deferral: AliasDeferral | None,
                now: datetime) -> Alias:
    """The alias section: what it is, who blocks it, and when the next attempt is due."""
    desired = entry.alias if entry else ""
    bead = b.alias if b else ""
    history = tuple(b.alias_history()) if b else ()
    if deferral is not None:
        count = deferral.count
        backoff = format_duration(backoff_seconds(count))
        holder, hstate = deferral.holder, deferral.holder_state
        due = retry_due(deferral.last_at, str(count), now)
        who = f"{holder} ({hstate})" if holder else "no open bead now"
        tail = ("the holder is gone, so the next sync or normalization claims it" if not holder else
                f"retries back off 30s, doubling per attempt, capped at 30m: now {backoff}, "
                f"{'due now' if due else 'next at ' + (deferral.next_retry_at or '?')}")
        retry = AliasRetry(deferral.alias, holder, hstate, count, deferral.last_at, deferral.next_retry_at,
                           backoff, due)
        return Alias(desired, bead, history, deferral, "deferred",
                     f"wants {deferral.alias} but {who} holds it; {count} attempt(s), last at "
                     f"{deferral.last_at or '(no stamp)'}; {tail}", retry)
    state, explanation = _alias_words(entry, b)
    return Alias(desired, bead, history, None, state, explanation)


def _alias_words(entry: DesiredEntry | None, b: SessionBead | None) -> tuple[str, str]:
    """(state, explanation) of an alias with no deferral row."""
    if entry is None:
        state = "released" if b is not None and not b.open else ("held" if b and b.alias else "none")
        return state, (f"not desired; the bead {'held' if b and not b.open else 'holds'} alias {b.alias}"
                       if b and b.alias else "not desired and holds no alias")
    if entry.named:
        return "named", f"the configured named identity {entry.named_identity} is reserved for this session"
    if entry.dependency_only:
        return "none", "a dependency floor asks for no alias"
    if entry.alias and b is not None and b.alias == entry.alias:
        return "claimed", f"holds alias {entry.alias}"
    if entry.alias:
        return "pending", (f"desired alias {entry.alias}; the bead has {b.alias or 'none' if b else 'no bead'} "
                           "until sync claims it")
    if b is not None and b.get(B.POOL_ALIAS_CONFLICT):
        return "deferred", f"deferred: alias {b.get(B.POOL_ALIAS_CONFLICT)} is not available yet"
    return "none", ("no alias yet: a pending create claims its instance identity at sync"
                    if b is not None and b.pending_claim else "this entry asks for no alias")


def lifecycle_words(b: SessionBead | None, runtime: str, tracker: TrackerRow | None) -> list[str]:
    """Sentences for the bead state, sleep reason and each tracker row that is doing something."""
    out: list[str] = []
    if b is None:
        return ["no bead yet: sync creates one for this desired entry"]
    if not b.open:
        out.append(f"closed ({b.state or 'closed'}): {b.get(B.CLOSE_REASON) or 'no close reason'}")
        return out
    state = STATE_WORDS.get(b.state, b.state or "no state")
    line = f"bead state {state}; runtime {runtime}"
    sr = b.get(B.SLEEP_REASON)
    if sr:
        line += f"; sleep reason {sr}: {SLEEP_WORDS.get(sr, sr)}"
    if b.get(B.SLEEP_INTENT):
        line += f"; sleep intent {b.get(B.SLEEP_INTENT)}"
    out.append(line)
    if b.get(B.HELD_UNTIL):
        out.append(f"held until {b.get(B.HELD_UNTIL)}")
    if tracker is None:
        return out
    return out + _timer_words(tracker) + _failure_words(tracker)


def _timer_words(tracker: TrackerRow) -> list[str]:
    """Sentences for the idle timeout, max session age and assigned-work deferral rows."""
    out: list[str] = []
    idle = tracker.idle
    if idle.status == "fired":
        out.append(f"idle timeout {idle.timeout} passed (last activity {idle.last_activity})")
    elif idle.status == "deferred":
        out.append(f"idle timeout passed but deferred ({idle.reason})")
    elif idle.status == "armed":
        out.append(f"idle timeout {idle.timeout} armed, fires after {idle.deadline}")
    age = tracker.max_age
    if age.status in ("armed", "fired", "deferred"):
        out.append(f"max session age {age.max_age} (+{age.offset or '0s'} jitter): {age.status}"
                   + (f", deadline {age.deadline}" if age.deadline else ""))
    defer = tracker.defer
    if defer.status in ("deferring", "exhausted"):
        out.append(f"idle stop deferred for assigned work {defer.count} of {defer.limit} time(s)"
                   + (f" (anchor {defer.anchor})" if defer.anchor else "")
                   + ("; limit reached" if defer.status == "exhausted" else ""))
    return out


def _failure_words(tracker: TrackerRow) -> list[str]:
    """Sentences for the wake-failure (quarantine) and respawn circuit breaker rows."""
    out: list[str] = []
    wf = tracker.wake_failures
    if wf.status == "quarantined":
        out.append(f"quarantined until {wf.quarantined_until} ({wf.reason})")
    elif wf.status == "counting":
        out.append(f"wake failures {wf.wake_attempts}, churn {wf.churn_count} (quarantine at 5 "
                   "failed starts or 3 churns)")
    circuit = tracker.circuit
    if circuit.status == "open":
        out.append(f"respawn circuit breaker OPEN for {circuit.identity} since {circuit.opened_at}; "
                   f"resets at {circuit.reset_at}")
    elif circuit.status == "closed" and circuit.restarts:
        out.append(f"respawn circuit breaker closed: {circuit.restarts} of {circuit.max_restarts} "
                   f"restarts in {circuit.window}")
    return out


AWAKE_WORDS = {
    "pending-create": "its create is pending",
    "explicit-wake": "an explicit wake request",
    "named-always": "an always-on named session",
    "named-demand": "work assigned to the named session",
    "routed-demand": "work routed to its backing template",
    "work-query": "its work query found work",
    "scaled:demand": "pool demand for its template",
    "scaled:creating": "a pool session still being created",
    "manual": "a manual session",
    "assigned-work": "work assigned to it",
    "min-active": "min_active_sessions wakes it from city-stop",
    "reset-pending": "a continuation reset is pending",
    "attached": "a terminal is attached",
    "pending": "a pending interaction",
    "wait-ready": "a wait it holds is ready",
    "on-demand:running": "a running on-demand session stays up until its idle timeout",
    "pin": "pinned awake",
    "idle-sleep": "idle past its sleep timeout",
    "held": "held (held_until)",
    "quarantined": "quarantined",
}


REASON_WORDS = {
    "circuit-open": "its respawn circuit breaker is open",
    "quarantine": "quarantined after repeated failed wakes",
    "wait-hold": "parked on a durable wait",
    "user-hold": "held (held_until)",
    "suspended": "its agent, rig or city is suspended",
    "idle": "idle past its sleep timeout",
    "held": "held (held_until)",
    "quarantined": "quarantined",
    "no-demand": "nothing wants it awake (no demand, no named always mode, no assigned work)",
}


WAKE_WORDS = {
    "wait": "a wait it holds is ready",
    "create": "its start is requested",
    "session": "an active session of a configured agent with no sleep policy",
    "config": "the config wants it (a pool within its max, an always named session, or a manual session)",
    "work": "its template's work_query found work",
    "keep-warm": "an interactive session kept warm after detaching",
    "attached": "a terminal is attached",
    "pending": "a pending interaction",
    "pin": "pinned awake",
}


def reason_words(reason: str) -> str:
    """The operator's words for a REASON cell: a sleep or lifecycle reason, or a comma-joined
    list of wake reasons."""
    if reason in REASON_WORDS or reason in SLEEP_WORDS:
        return REASON_WORDS.get(reason, SLEEP_WORDS.get(reason, reason))
    return "; ".join(WAKE_WORDS.get(r, r) for r in reason.split(","))


def session_reason(model: ModelView, b: SessionBead | None, row: AwakeRow | None = None) -> tuple[str, str]:
    """The REASON `gc session list` shows for a session (sessionReason): the lifecycle display
    reason first (LifecycleDisplayReasonWithLivenessInfo: an open circuit, the sleep reason unless
    its hold or quarantine has lapsed, an active quarantine, a wait hold, an active hold); else,
    for a session that is running or that the awake set wakes, its wake reasons comma-joined
    (core.views.wake_reasons.list_wake_reasons; "" when it has none); else, for a sleeping session, why
    the awake computation lets it sleep (suspended, idle, held, quarantined, or no demand) where
    Gas City's CLI would show its approximate wake reasons. ("", "") for a closed session. The
    second value is the operator's next step when there is one (an open circuit: `gc session
    reset <identity>`)."""
    from core.formats.timefmt import parse_time
    from core.views.wake_reasons import list_wake_reasons
    from core.world.suspension import agent_suspended

    if b is None or not b.open:
        return "", ""
    now = model.world.now
    held = parse_time(b.get(B.HELD_UNTIL))
    quarantined = parse_time(b.get(B.QUARANTINED_UNTIL))
    held_active = held is not None and now < held
    quarantine_active = quarantined is not None and now < quarantined
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip() or b.session_name
    if b.get(B.CIRCUIT_STATE).strip() == "CIRCUIT_OPEN":
        return "circuit-open", f"run `gc session reset {identity}` to clear the breaker"
    raw = b.get(B.SLEEP_REASON).strip()
    if raw:
        stale_quarantine = raw in ("quarantine", "context-churn", "rate_limit") and bool(
            b.get(B.QUARANTINED_UNTIL).strip()) and not quarantine_active
        stale_hold = raw == "user-hold" and bool(b.get(B.HELD_UNTIL).strip()) and not held_active
        if not stale_quarantine and not stale_hold:
            return raw, ""
    if quarantine_active:
        return "quarantine", ""
    if b.get(B.WAIT_HOLD).strip():
        return "wait-hold", ""
    if held_active:
        return "user-hold", ""
    awake = bool(row is not None and row.should_wake) or (bool(b.session_name) and model.world.runtime.alive(b.session_name))
    if awake:
        return ",".join(list_wake_reasons(model, b)), ""
    reason = row.reason if row is not None else ""
    if reason == "idle-sleep":
        return "idle", ""
    if reason in ("held", "quarantined"):
        return reason, ""
    from core.desired.lookup import template_lookup

    a = template_lookup(model.city, model.semantics).find_agent_by_template(b.template)
    if a is not None and agent_suspended(model.city, model.world.suspension, a):
        return "suspended", ""
    return "no-demand", ""


def model_notes(model: ModelView, b: SessionBead | None, template: str) -> list[str]:
    """Where the model simplifies Gas City for this session (docs/reconcile.md), one sentence
    each; [] when none applies."""
    from core.desired.lookup import template_lookup

    out: list[str] = []
    a = template_lookup(model.city, model.semantics).find_agent_by_template(template) if template else None
    if a is not None and a.work_query.strip():
        out.append("work_query: the controller does not run it (Gas City's controller keeps its work set empty; "
                   "work queries are the agents' claim path), and citywatch never runs the command")
    if a is not None:
        out.append("launch command: recorded as start_command, else the provider's command and args; the option "
                   "defaults and schema flags Gas City appends are not derived")
    if b is None:
        return out
    if any(w.session_id == b.id and w.state == "ready" for w in model.world.store.waits.values()):
        out.append("a ready durable wait stays ready until it is closed: the nudge that finishes it is not modelled")
    identities = set(b.assignee_identities())
    for w in model.world.store.work.values():
        if w.assignee.strip() in identities and w.get("gc.detached").strip():
            out.append(f"work {w.id} has a detached-work probe, which is never run: it is not released as orphaned")
    return out


def awake_words(row: AwakeRow) -> str:
    """One sentence for the session's row of the last tick's awake set (ComputeAwakeSet)."""
    reason = row.reason
    words = AWAKE_WORDS.get(reason, reason)
    if row.should_wake:
        line = f"the last tick's awake set wants it awake: {reason} ({words})"
        if row.sleep_policy_suppressed:
            line += "; its sleep policy suppresses this wake"
        return line
    if reason:
        return f"the last tick's awake set wants it asleep: {reason} ({words})"
    return "the last tick's awake set has no wake reason for it"
