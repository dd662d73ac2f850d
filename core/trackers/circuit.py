"""The named-session respawn circuit breaker (session_circuit_breaker.go), keyed by the
configured named identity. Opt-in with `[daemon] session_circuit_breaker = true`.

Restarts are recorded at the prepared-start boundary; when more than `max_restarts` fall in
the rolling window with no progress (a change in the identity's assigned-work status
signature) the breaker opens and the supervisor stops respawning. It closes by itself once
`reset_after` has passed since the last restart. State lives in controller memory and is
persisted to the bead's `session_circuit_*` keys, from which a restarted controller restores
it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.config.model import City
from core.durations import try_duration
from core.timefmt import parse_time
from core.trackers.max_age import rfc3339nano
from core.world import beads as B
from core.world.memory import Circuit, Memory

OPEN, CLOSED = "CIRCUIT_OPEN", "CIRCUIT_CLOSED"


@dataclass(frozen=True)
class CircuitConfig:
    """The city's restart circuit-breaker settings: window and reset_after in seconds."""
    window: float
    max_restarts: int
    reset_after: float


def circuit_config(city: City) -> CircuitConfig | None:
    """None when the breaker is off (the default, or max restarts <= 0)."""
    d = city.daemon
    if not d.session_circuit_breaker:
        return None
    max_restarts = d.session_circuit_breaker_max_restarts
    if max_restarts is None:
        max_restarts = d.max_restarts
    if max_restarts is None or max_restarts <= 0:
        return None
    window = try_duration(d.session_circuit_breaker_window, None) or try_duration(d.restart_window, None) or 3600.0
    reset_after = try_duration(d.session_circuit_breaker_reset_after, None) or 2 * window
    return CircuitConfig(window, max_restarts, reset_after)


def _trim(c: Circuit, cfg: CircuitConfig, now: datetime) -> Circuit:
    cutoff = now - timedelta(seconds=cfg.window)
    kept = tuple(t for t in c.restarts if t >= cutoff)
    return c if kept == c.restarts else replace(c, restarts=kept)


def _auto_reset(c: Circuit, cfg: CircuitConfig, now: datetime) -> tuple[Circuit, bool]:
    if c.state != OPEN or c.last_restart is None:
        return c, False
    if (now - c.last_restart).total_seconds() >= cfg.reset_after:
        return Circuit(), True
    return c, False


def is_open(mem: Memory, cfg: CircuitConfig, identity: str, now: datetime) -> tuple[Memory, bool]:
    """Whether the identity's breaker is open now, after any due auto-reset; returns the updated memory too."""
    c = mem.circuits.get(identity)
    if c is None:
        return mem, False
    c, reset = _auto_reset(c, cfg, now)
    if reset:
        mem = mem.set("circuits", identity, c)
    return mem, c.state == OPEN


def record_restart(mem: Memory, cfg: CircuitConfig, identity: str, now: datetime) -> tuple[Memory, str]:
    """Count a restart; the breaker opens past max restarts in the window without progress."""
    c = mem.circuits.get(identity) or Circuit()
    c, _ = _auto_reset(c, cfg, now)
    if c.state == OPEN:
        return mem.set("circuits", identity, c), OPEN
    c = _trim(replace(c, restarts=c.restarts + (now,), last_restart=now), cfg, now)
    if len(c.restarts) > cfg.max_restarts:
        progressed = c.last_progress is not None and c.last_progress >= now - timedelta(seconds=cfg.window)
        if not progressed:
            c = replace(c, state=OPEN, opened_at=now, open_restart_count=len(c.restarts))
    return mem.set("circuits", identity, c), c.state


def observe_progress(mem: Memory, identity: str, signature: str, now: datetime) -> tuple[Memory, bool]:
    """ObserveProgressSignature: a changed signature is progress; the first sets a baseline.
    True when the entry changed and should be persisted."""
    c = mem.circuits.get(identity)
    if c is None:
        if not signature:
            return mem, False
        return mem.set("circuits", identity, Circuit(signature=signature, observed=True, last_observed=now)), True
    c = replace(c, last_observed=now)
    if not c.observed:
        return mem.set("circuits", identity, replace(c, signature=signature, observed=True)), True
    if c.signature != signature:
        return mem.set("circuits", identity, replace(c, signature=signature, last_progress=now)), True
    return mem.set("circuits", identity, c), False


def prune_idle(mem: Memory, cfg: CircuitConfig, now: datetime) -> Memory:
    """Drop closed breakers with no restarts that have not been observed for reset_after seconds."""
    for identity, c in sorted(mem.circuits.items()):
        if c.state != CLOSED or c.last_restart is not None or c.last_observed is None:
            continue
        if (now - c.last_observed).total_seconds() >= cfg.reset_after:
            mem = mem.drop("circuits", identity)
    return mem


def reset(mem: Memory, identity: str) -> Memory:
    """Forget the identity's breaker."""
    return mem.drop("circuits", identity)


def progress_signature(work: list) -> str:
    """SHA-1 over the sorted `id=status` pairs of the identity's assigned work; "" if none."""
    pairs = sorted(f"{w.id}={w.status}" for w in work)
    if not pairs:
        return ""
    return hashlib.sha1("|".join(pairs).encode()).hexdigest()


def _fmt(t: datetime | None) -> str:
    return rfc3339nano(t) if t is not None else ""


def metadata(mem: Memory, cfg: CircuitConfig, identity: str, now: datetime) -> dict[str, str]:
    """The bead keys persisting this identity's breaker ("" clears a key)."""
    out = {k: "" for k in B.CIRCUIT_KEYS}
    c = mem.circuits.get(identity)
    if c is None:
        return out
    c, _ = _auto_reset(c, cfg, now)
    c = _trim(c, cfg, now)
    if c.restarts:
        out[B.CIRCUIT_RESTARTS] = json.dumps([_fmt(t) for t in c.restarts], separators=(",", ":"))
    out[B.CIRCUIT_STATE] = c.state
    out[B.CIRCUIT_LAST_RESTART] = _fmt(c.last_restart)
    out[B.CIRCUIT_LAST_PROGRESS] = _fmt(c.last_progress)
    out[B.CIRCUIT_LAST_OBSERVED] = _fmt(c.last_observed)
    out[B.CIRCUIT_PROGRESS_SIGNATURE] = c.signature
    if c.state == OPEN:
        out[B.CIRCUIT_OPENED_AT] = _fmt(c.opened_at)
        out[B.CIRCUIT_OPEN_RESTART_COUNT] = str(c.open_restart_count)
    return out


def restore(mem: Memory, cfg: CircuitConfig, identity: str, bead: B.SessionBead, now: datetime) -> tuple[Memory, bool]:
    """restoreFromMetadata: adopt the persisted breaker when memory has no entry. True when
    the restored breaker auto-reset (the caller persists the reset)."""
    if identity in mem.circuits or not any(bead.get(k) for k in B.CIRCUIT_KEYS):
        return mem, False
    try:
        restarts = tuple(parse_time(t) for t in json.loads(bead.get(B.CIRCUIT_RESTARTS) or "[]"))
    except ValueError:
        return mem, False
    c = Circuit(restarts=tuple(t for t in restarts if t is not None),
                state=OPEN if bead.get(B.CIRCUIT_STATE) == OPEN else CLOSED,
                opened_at=parse_time(bead.get(B.CIRCUIT_OPENED_AT)),
                last_restart=parse_time(bead.get(B.CIRCUIT_LAST_RESTART)),
                last_progress=parse_time(bead.get(B.CIRCUIT_LAST_PROGRESS)),
                last_observed=parse_time(bead.get(B.CIRCUIT_LAST_OBSERVED)),
                signature=bead.get(B.CIRCUIT_PROGRESS_SIGNATURE),
                open_restart_count=int(bead.get(B.CIRCUIT_OPEN_RESTART_COUNT) or 0))
    c = replace(c, observed=c.last_observed is not None or bool(c.signature))
    c, was_reset = _auto_reset(c, cfg, now)
    c = _trim(c, cfg, now)
    return mem.set("circuits", identity, c), was_reset
