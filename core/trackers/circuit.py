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

from core.config.city_config import City
from core.formats.durations import format_duration, try_duration
from core.formats.goduration import go_quote
from core.formats.goparse import GoParseError, ascii_digits, atoi, parse_rfc3339
from core.formats.timefmt import format_time
from core.world import beads as B
from core.world.memory import Circuit, Memory

OPEN, CLOSED = "CIRCUIT_OPEN", "CIRCUIT_CLOSED"
DEFAULT_WINDOW = 1800.0  # defaultCircuitBreakerWindow: what withDefaults gives a window of zero or less


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
    # The accessors (SessionCircuitBreakerWindowDuration, ...ResetAfterDuration) fall back only
    # for an empty or unparseable value (durationOr): "0s" is a zero window, which withDefaults
    # then raises to 30 minutes, and a zero reset_after to twice the window.
    restart_window = try_duration(d.restart_window, None)
    window = try_duration(d.session_circuit_breaker_window, None)
    if window is None:
        window = 3600.0 if restart_window is None else restart_window
    reset_after = try_duration(d.session_circuit_breaker_reset_after, None)
    if reset_after is None:
        reset_after = 2 * window
    if window <= 0:
        window = DEFAULT_WINDOW
    if reset_after <= 0:
        reset_after = 2 * window
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


def reset_persisted(mem: Memory, identity: str, bead: B.SessionBead) -> tuple[Memory, dict[str, str]]:
    """resetSessionCircuitBreakerState, as the controller runs it for an explicit restart: the
    bead's reset generation is observed, then two reset-and-clear cycles forget the breaker and
    advance the generation twice (the second invalidates an OPEN persist racing the first).
    Returns the patch that clears every breaker key and records the generation. It runs
    whether or not the breaker is enabled. Raises RestoreError for an unreadable generation."""
    generation = max(mem.circuit_generations.get(identity, 0), _persisted_generation(bead)) + 2
    mem = mem.drop("circuits", identity).set("circuit_generations", identity, generation)
    patch = {k: "" for k in B.CIRCUIT_KEYS}
    patch[B.CIRCUIT_RESET_GENERATION] = str(generation)
    return mem, patch


def _persisted_generation(bead: B.SessionBead) -> int:
    """parseCircuitResetGeneration: 0 when unset."""
    generation = bead.get(B.CIRCUIT_RESET_GENERATION).strip()
    if not generation:
        return 0
    # ParseUint takes leading zeros; the length bound only keeps int() off absurdly long input
    if not (ascii_digits(generation) and len(generation.lstrip("0")) <= 20 and int(generation) < 1 << 64):
        why = "invalid syntax" if not ascii_digits(generation) else "value out of range"
        raise RestoreError(f"parsing {B.CIRCUIT_RESET_GENERATION}: strconv.ParseUint: parsing "
                           f"{go_quote(generation)}: {why}")
    return int(generation)


def progress_signature(work: list) -> str:
    """SHA-1 over the sorted `id=status` pairs of the identity's assigned work; "" if none."""
    pairs = sorted(f"{w.id}={w.status}" for w in work)
    if not pairs:
        return ""
    return hashlib.sha1("|".join(pairs).encode()).hexdigest()


def _fmt(t: datetime | None) -> str:
    """formatCircuitTime: RFC3339Nano in UTC, "" for unset (Go's zero time)."""
    return format_time(t)


def metadata(mem: Memory, cfg: CircuitConfig, identity: str, now: datetime) -> dict[str, str]:
    """The bead keys persisting this identity's breaker ("" clears a key)."""
    out = {k: "" for k in B.CIRCUIT_KEYS}
    c = mem.circuits.get(identity)
    if c is None:
        return out
    if mem.circuit_generations.get(identity, 0) > 0:
        out[B.CIRCUIT_RESET_GENERATION] = str(mem.circuit_generations[identity])
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


class RestoreError(ValueError):
    """The persisted breaker cannot be read (restoreFromMetadata's error); the message is what
    Gas City logs after `loading session circuit breaker state for <identity>: `."""


def _circuit_time(value: str) -> datetime | None:
    """parseCircuitTime: trimmed; empty or Go's zero time is unset; otherwise RFC 3339 or an error."""
    value = value.strip()
    if not value:
        return None
    return parse_rfc3339(value)


def _reject_constant(name: str):
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def _json_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string"


def _circuit_times(value: str) -> tuple[datetime, ...]:
    """parseCircuitTimeList: a JSON array of RFC 3339 strings (JSON null is an empty list);
    zero times are dropped."""
    value = value.strip()
    if not value:
        return ()
    try:
        raw = json.loads(value, parse_constant=_reject_constant)
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        msg = str(e)
        if isinstance(e, json.JSONDecodeError):
            at = value[e.pos:e.pos + 1]
            msg = f"invalid character {at!r} looking for beginning of value" if at else "unexpected end of JSON input"
        raise GoParseError(msg) from None
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise GoParseError(f"json: cannot unmarshal {_json_kind(raw)} into Go value of type []string")
    out = []
    for item in raw:
        if item is None:
            continue
        if not isinstance(item, str):
            raise GoParseError(f"json: cannot unmarshal {_json_kind(item)} into Go value of type string")
        t = _circuit_time(item)
        if t is not None:
            out.append(t)
    return tuple(out)


def has_persisted(bead: B.SessionBead) -> bool:
    """hasSessionCircuitMetadata: any breaker key but the reset generation carries a value."""
    return any(bead.get(k).strip() for k in B.CIRCUIT_KEYS if k != B.CIRCUIT_RESET_GENERATION)


def read_persisted(bead: B.SessionBead) -> Circuit:
    """The breaker persisted on the bead, parsed as restoreFromMetadata parses it (the same
    order, the same checks); RestoreError names the key that failed."""
    _persisted_generation(bead)
    times: dict[str, datetime | None] = {}
    try:
        key = B.CIRCUIT_RESTARTS
        restarts = _circuit_times(bead.get(key))
        for key in (B.CIRCUIT_LAST_RESTART, B.CIRCUIT_LAST_PROGRESS, B.CIRCUIT_LAST_OBSERVED, B.CIRCUIT_OPENED_AT):
            times[key] = _circuit_time(bead.get(key))
        key = B.CIRCUIT_OPEN_RESTART_COUNT
        count = bead.get(key).strip()
        open_restart_count = atoi(count) if count else 0
    except GoParseError as e:
        raise RestoreError(f"parsing {key}: {e}") from None
    state = bead.get(B.CIRCUIT_STATE)  # compared untrimmed, as Gas City does
    if state not in ("", OPEN, CLOSED):
        raise RestoreError(f"parsing {B.CIRCUIT_STATE}: unknown state {go_quote(state)}")
    last_observed = times[B.CIRCUIT_LAST_OBSERVED]
    signature = bead.get(B.CIRCUIT_PROGRESS_SIGNATURE)
    return Circuit(restarts=restarts, state=OPEN if state == OPEN else CLOSED,
                   opened_at=times[B.CIRCUIT_OPENED_AT], last_restart=times[B.CIRCUIT_LAST_RESTART],
                   last_progress=times[B.CIRCUIT_LAST_PROGRESS], last_observed=last_observed,
                   signature=signature, observed=last_observed is not None or bool(signature.strip()),
                   open_restart_count=open_restart_count)


def restore(mem: Memory, cfg: CircuitConfig, identity: str, bead: B.SessionBead, now: datetime) -> tuple[Memory, bool]:
    """restoreFromMetadata: adopt the persisted breaker when memory has no entry. True when
    the restored breaker auto-reset (the caller persists the reset). Raises RestoreError, and
    makes no entry, when a persisted value cannot be read."""
    if not identity or not has_persisted(bead):
        return mem, False
    c = read_persisted(bead)
    if _persisted_generation(bead) < mem.circuit_generations.get(identity, 0):
        return mem, False  # a snapshot from before the last reset
    if identity in mem.circuits:
        return mem, False
    c, was_reset = _auto_reset(c, cfg, now)
    c = _trim(c, cfg, now)
    return mem.set("circuits", identity, c), was_reset


def log_open_once(mem: Memory, cfg: CircuitConfig, identity: str) -> tuple[Memory, str]:
    """LogOpenOnce: the ERROR line for the first refused respawn of an OPEN breaker, once per
    open incident (an auto-reset or a restart of the controller arms it again); "" otherwise."""
    c = mem.circuits.get(identity)
    if not identity or c is None or c.state != OPEN or c.logged_open_once:
        return mem, ""
    mem = mem.set("circuits", identity, replace(c, logged_open_once=True))
    return mem, (f"ERROR session-circuit-breaker: CIRCUIT_OPEN for named session {go_quote(identity)} "
                 f"(restarts={c.open_restart_count} in last {format_duration(cfg.window)}, no progress). "
                 f"Supervisor will NOT respawn. Run `gc session reset {identity}` to clear.")
