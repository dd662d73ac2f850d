"""Per-session tracker state, as the state JSON (`trackers[]`) and the Trackers panel show
it. Every value is derived from the same trackers the reconciler uses, keyed by the
session's runtime name with the template fallback, so what an operator reads is what the
next tick will decide with.

Row keys: `idle` (idle timeout and sleep_after_idle), `max_age`, `defer` (assigned-work
backstop), `wake_failures` (wake attempts, churn, quarantine), `circuit` (named-session
breaker). Each has a `status` and Gas City's reason code when it is holding or firing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.config.sleep import resolve_sleep_policy
from core.durations import try_duration
from core.timefmt import format_time, parse_time
from core.trackers import circuit as C
from core.trackers import defer as D
from core.trackers.idle import build_idle_keys, check_idle
from core.trackers.max_age import build_max_age_keys, check_max_age
from core.trackers.timers import timer_blocker
from core.world import beads as B

if TYPE_CHECKING:
    from core.model_view import ModelView


def tracker_rows(model: ModelView, bead_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
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
        out.append({
            "bead_id": b.id,
            "session_name": name,
            "idle": _idle(city, a, idle_keys, name, tpl, world.runtime.last_activity(name), alive, blocker, b, now),
            "max_age": _max_age(age_keys, name, tpl, parse_time(b.get(B.CREATION_COMPLETE_AT)), alive, blocker, now),
            "defer": _defer(model.world.memory, defer_keys, name, tpl),
            "wake_failures": _failures(b, now),
            "circuit": _circuit(model.world.memory, cfg, b, now),
        })
    return out


def _idle(city, a, keys, name, tpl, last_activity, alive, blocker, b, now) -> dict[str, Any]:
    chk = check_idle(keys, name, tpl, last_activity, now)
    row: dict[str, Any] = {"key": chk.key, "key_source": chk.source,
                           "timeout": _secs(chk.timeout), "last_activity": format_time(last_activity),
                           "deadline": format_time(chk.deadline)}
    if not chk.timeout:
        row["status"] = "disabled"
    elif not alive:
        row["status"] = "idle_runtime"
    elif chk.fired:
        row["status"] = "deferred" if blocker else "fired"
        row["reason"] = blocker or "idle_timeout"
    else:
        row["status"] = "armed"
    if a is not None:
        pol = resolve_sleep_policy(city, a)
        row["sleep_after_idle"] = pol.value
        row["sleep_policy_source"] = pol.source
        detached = parse_time(b.get(B.DETACHED_AT))
        secs = try_duration(pol.value, None) if pol.value != "off" else None
        if secs is not None and detached is not None:
            row["idle_since"] = format_time(detached)
            row["sleep_deadline"] = format_time(detached + timedelta(seconds=secs))
    return row


def _max_age(keys, name, tpl, anchor, alive, blocker, now) -> dict[str, Any]:
    chk = check_max_age(keys, name, tpl, anchor, now)
    row: dict[str, Any] = {"key": chk.key, "key_source": chk.source, "max_age": _secs(chk.max_age),
                           "jitter": _secs(chk.jitter), "offset": _secs(chk.offset),
                           "anchor": format_time(anchor), "deadline": format_time(chk.deadline)}
    if not chk.max_age:
        row["status"] = "disabled"
    elif anchor is None:
        row["status"] = "no_anchor"
    elif not alive:
        row["status"] = "idle_runtime"
    elif chk.fired:
        row["status"] = "deferred" if blocker else "fired"
        row["reason"] = blocker or "max_session_age"
    else:
        row["status"] = "armed"
    return row


def _defer(mem, keys, name, tpl) -> dict[str, Any]:
    limit, source = D.limit_for(keys, name, tpl)
    st = mem.defer.get(name)
    row: dict[str, Any] = {"limit": limit, "limit_source": source, "count": st.count if st else 0,
                           "anchor": st.anchor if st else ""}
    if st is None:
        row["status"] = "clear"
    elif st.count > limit:
        row["status"], row["reason"] = "exhausted", "assigned_work_exhausted"
    else:
        row["status"], row["reason"] = "deferring", "assigned_work"
    return row


def _failures(b, now) -> dict[str, Any]:
    q = parse_time(b.get(B.QUARANTINED_UNTIL))
    row: dict[str, Any] = {"wake_attempts": _int(b.get(B.WAKE_ATTEMPTS)), "churn_count": _int(b.get(B.CHURN_COUNT)),
                           "quarantined_until": format_time(q), "last_woke_at": b.get(B.LAST_WOKE_AT)}
    if q is not None and now < q:
        row["status"] = "quarantined"
        row["reason"] = b.get(B.SLEEP_REASON) or "quarantine"
    elif row["wake_attempts"] or row["churn_count"]:
        row["status"] = "counting"
    else:
        row["status"] = "clear"
    return row


def _circuit(mem, cfg, b, now) -> dict[str, Any]:
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY)
    if cfg is None or not identity:
        return {"status": "disabled", "identity": identity}
    c = mem.circuits.get(identity)
    if c is None:
        return {"status": "closed", "identity": identity, "state": C.CLOSED, "restarts": 0,
                "max_restarts": cfg.max_restarts}
    cutoff = now - timedelta(seconds=cfg.window)
    row: dict[str, Any] = {"identity": identity, "state": c.state,
                           "restarts": sum(1 for t in c.restarts if t >= cutoff), "max_restarts": cfg.max_restarts,
                           "window": _secs(cfg.window), "last_restart": format_time(c.last_restart),
                           "last_progress": format_time(c.last_progress)}
    if c.state == C.OPEN:
        row.update({"status": "open", "reason": "circuit_open", "opened_at": format_time(c.opened_at),
                    "reset_at": format_time(c.last_restart + timedelta(seconds=cfg.reset_after)
                                            if c.last_restart else None)})
    else:
        row["status"] = "closed"
    return row


def _secs(v: float) -> str:
    from core.durations import format_duration

    return format_duration(v) if v else ""


def _int(text: str) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0
