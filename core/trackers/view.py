"""Per-session tracker state, as the state JSON (`trackers[]`) and the Trackers panel show
it. Every value is derived from the same trackers the reconciler uses, keyed by the
session's runtime name with the template fallback, so what an operator reads is what the
next tick will decide with.

A `TrackerRow` holds `idle` (idle timeout and sleep_after_idle), `max_age`, `defer`
(assigned-work backstop), `wake_failures` (wake attempts, churn, quarantine), `circuit`
(named-session breaker). Each has a `status` and Gas City's reason code when it is holding or
firing; `to_json()` gives the state JSON's form."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.config.sleep import resolve_sleep_policy
from core.formats.durations import try_duration
from core.formats.timefmt import format_time, parse_time
from core.trackers import circuit as C
from core.trackers import defer as D
from core.trackers.idle import build_idle_keys, check_idle
from core.trackers.max_age import build_max_age_keys, check_max_age
from core.trackers.timers import timer_blocker
from core.world import beads as B

if TYPE_CHECKING:
    from core.model_view import ModelView


def _present(rec: Any) -> dict[str, Any]:
    """A record's fields in declaration order, leaving out those not set (None)."""
    return {f.name: v for f in fields(rec) if (v := getattr(rec, f.name)) is not None}


@dataclass(frozen=True)
class IdleTracker:
    """The idle timeout (and sleep_after_idle) of one session. `reason` is set when it fired or
    is deferred; the sleep fields only when the session's template is configured, the idle
    clock only when its sleep policy has a duration and the session is detached."""
    key: str
    key_source: str
    timeout: str
    last_activity: str
    deadline: str
    status: str  # disabled | idle_runtime | armed | fired | deferred
    reason: str | None = None
    sleep_after_idle: str | None = None
    sleep_policy_source: str | None = None
    idle_since: str | None = None
    sleep_deadline: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _present(self)


@dataclass(frozen=True)
class MaxAgeTracker:
    """The max session age of one session; `reason` when it fired or is deferred."""
    key: str
    key_source: str
    max_age: str
    jitter: str
    offset: str
    anchor: str
    deadline: str
    status: str  # disabled | no_anchor | idle_runtime | armed | fired | deferred
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _present(self)


@dataclass(frozen=True)
class DeferTracker:
    """The assigned-work defer backstop of one session name."""
    limit: int
    limit_source: str
    count: int
    anchor: str
    status: str  # clear | deferring | exhausted
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _present(self)


@dataclass(frozen=True)
class WakeFailures:
    """Wake attempts, churn and quarantine of one session bead."""
    wake_attempts: int
    churn_count: int
    quarantined_until: str
    last_woke_at: str
    status: str  # clear | counting | quarantined
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _present(self)


@dataclass(frozen=True)
class CircuitTracker:
    """The respawn circuit breaker of a named session. `disabled` (no breaker or no identity)
    carries only the identity; a breaker with no record yet has no window or times."""
    status: str  # disabled | closed | open
    identity: str
    state: str | None = None
    restarts: int | None = None
    max_restarts: int | None = None
    window: str | None = None
    last_restart: str | None = None
    last_progress: str | None = None
    reason: str | None = None
    opened_at: str | None = None
    reset_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.status == "disabled":
            return {"status": self.status, "identity": self.identity}
        if self.window is None:  # no record yet
            return {"status": self.status, "identity": self.identity, "state": self.state,
                    "restarts": self.restarts, "max_restarts": self.max_restarts}
        row = {"identity": self.identity, "state": self.state, "restarts": self.restarts,
               "max_restarts": self.max_restarts, "window": self.window, "last_restart": self.last_restart,
               "last_progress": self.last_progress, "status": self.status}
        if self.status == "open":
            row.update({"reason": self.reason, "opened_at": self.opened_at, "reset_at": self.reset_at})
        return row


@dataclass(frozen=True)
class TrackerRow:
    """One open session bead's tracker state (the state JSON's `trackers[]` row)."""
    bead_id: str
    session_name: str
    idle: IdleTracker
    max_age: MaxAgeTracker
    defer: DeferTracker
    wake_failures: WakeFailures
    circuit: CircuitTracker

    def to_json(self) -> dict[str, Any]:
        return {"bead_id": self.bead_id, "session_name": self.session_name, "idle": self.idle.to_json(),
                "max_age": self.max_age.to_json(), "defer": self.defer.to_json(),
                "wake_failures": self.wake_failures.to_json(), "circuit": self.circuit.to_json()}

    def trackers(self) -> dict[str, IdleTracker | MaxAgeTracker | DeferTracker | WakeFailures | CircuitTracker]:
        """The five trackers by their JSON key, in column order."""
        return {"idle": self.idle, "max_age": self.max_age, "defer": self.defer,
                "wake_failures": self.wake_failures, "circuit": self.circuit}


def tracker_rows(model: ModelView, bead_ids: Collection[str] | None = None) -> list[TrackerRow]:
    """One row per open session bead (of those in `bead_ids`, when given): its idle, max-age,
    defer, wake-failure and circuit tracker state."""
    city, world, sem = model.city, model.world, model.semantics
    running = world.runtime.running_names()
    idle_keys = build_idle_keys(city, sem, running)
    age_keys = build_max_age_keys(city, sem, running)
    defer_keys = D.build_defer_keys(city, sem, running)
    cfg = C.circuit_config(city)
    now = world.now
    out = []
    for b in world.store.open_sessions():
        if bead_ids is not None and b.id not in bead_ids:
            continue
        a = city.agent(b.template) or (city.find_agent(b.template) if b.template else None)
        tpl = a.qualified_name if a is not None else b.template
        name = b.session_name
        blocker = timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), now)
        alive = world.runtime.alive(name)
        out.append(TrackerRow(
            bead_id=b.id,
            session_name=name,
            idle=_idle(city, a, idle_keys, name, tpl, world.runtime.last_activity(name), alive, blocker, b, now),
            max_age=_max_age(age_keys, name, tpl, parse_time(b.get(B.CREATION_COMPLETE_AT)), alive, blocker, now),
            defer=_defer(model.world.memory, defer_keys, name, tpl),
            wake_failures=_failures(b, now),
            circuit=_circuit(model.world.memory, cfg, b, now),
        ))
    return out


def _idle(city, a, keys, name, tpl, last_activity, alive, blocker, b, now) -> IdleTracker:
    chk = check_idle(keys, name, tpl, last_activity, now)
    reason = None
    if not chk.timeout:
        status = "disabled"
    elif not alive:
        status = "idle_runtime"
    elif chk.fired:
        status = "deferred" if blocker else "fired"
        reason = blocker or "idle_timeout"
    else:
        status = "armed"
    row = IdleTracker(chk.key, chk.source, _secs(chk.timeout), format_time(last_activity), format_time(chk.deadline),
                      status, reason)
    if a is None:
        return row
    pol = resolve_sleep_policy(city, a)
    row = replace(row, sleep_after_idle=pol.value, sleep_policy_source=pol.source)
    detached = parse_time(b.get(B.DETACHED_AT))
    secs = try_duration(pol.value, None) if pol.value != "off" else None
    if secs is not None and detached is not None:
        row = replace(row, idle_since=format_time(detached),
                      sleep_deadline=format_time(detached + timedelta(seconds=secs)))
    return row


def _max_age(keys, name, tpl, anchor, alive, blocker, now) -> MaxAgeTracker:
    chk = check_max_age(keys, name, tpl, anchor, now)
    reason = None
    if not chk.max_age:
        status = "disabled"
    elif anchor is None:
        status = "no_anchor"
    elif not alive:
        status = "idle_runtime"
    elif chk.fired:
        status = "deferred" if blocker else "fired"
        reason = blocker or "max_session_age"
    else:
        status = "armed"
    return MaxAgeTracker(chk.key, chk.source, _secs(chk.max_age), _secs(chk.jitter), _secs(chk.offset),
                         format_time(anchor), format_time(chk.deadline), status, reason)


def _defer(mem, keys, name, tpl) -> DeferTracker:
    limit, source = D.limit_for(keys, name, tpl)
    st = mem.defer.get(name)
    count, anchor = (st.count, st.anchor) if st else (0, "")
    if st is None:
        return DeferTracker(limit, source, count, anchor, "clear")
    if st.count > limit:
        return DeferTracker(limit, source, count, anchor, "exhausted", "assigned_work_exhausted")
    return DeferTracker(limit, source, count, anchor, "deferring", "assigned_work")


def _failures(b, now) -> WakeFailures:
    q = parse_time(b.get(B.QUARANTINED_UNTIL))
    attempts, churn = _int(b.get(B.WAKE_ATTEMPTS)), _int(b.get(B.CHURN_COUNT))
    reason = None
    if q is not None and now < q:
        status = "quarantined"
        reason = b.get(B.SLEEP_REASON) or "quarantine"
    elif attempts or churn:
        status = "counting"
    else:
        status = "clear"
    return WakeFailures(attempts, churn, format_time(q), b.get(B.LAST_WOKE_AT), status, reason)


def _circuit(mem, cfg, b, now) -> CircuitTracker:
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
    if cfg is None or not identity:
        return CircuitTracker("disabled", identity)
    c = mem.circuits.get(identity)
    if c is None:
        return CircuitTracker("closed", identity, C.CLOSED, 0, cfg.max_restarts)
    cutoff = now - timedelta(seconds=cfg.window)
    row = CircuitTracker("closed", identity, c.state, sum(1 for t in c.restarts if t >= cutoff), cfg.max_restarts,
                         _secs(cfg.window), format_time(c.last_restart), format_time(c.last_progress))
    if c.state != C.OPEN:
        return row
    return replace(row, status="open", reason="circuit_open", opened_at=format_time(c.opened_at),
                   reset_at=format_time(c.last_restart + timedelta(seconds=cfg.reset_after)
                                        if c.last_restart else None))


def _secs(v: float) -> str:
    from core.formats.durations import format_duration

    return format_duration(v) if v else ""


def _int(text: str) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0
