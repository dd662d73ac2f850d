"""Loop alarms: patterns that mean a city is spinning instead of working. The same alarms are
raised over a live city (attach) and over the model's own steps (core/session/loops.py).

- `wakes`: one identity woke (`session.woke`) at least `wakes_per_hour` times in the last hour.
- `idle_spawns`: at least `idle_spawns_per_hour` wakes of one template's pool sessions in the
  last hour went to sessions that never claimed work (no work bead names them as assignee and
  none is being processed); wakes younger than `idle_spawn_grace` are not judged yet.
- `alias_conflict`: a bead's `pool_alias_conflict_count` reached `alias_conflict_count`, or
  rose `alias_conflict_rises` times while watched (the deferral keeps retrying and losing).
- `start_pending`: a session has been `start-pending`/`creating` for longer than
  `start_pending_timeout` (since `pending_create_started_at`, else `last_woke_at`, else its
  creation).
- `quarantine`: a session is quarantined after a crash loop (core/holds.py), until when
  (with `holds`, on by default).
- `churn`: a session not yet quarantined has churned (died young after a wake) at least
  `churn_count` times.
- `circuit_open`: a named session's circuit breaker is open, until it resets (with `holds`).

Thresholds come from `AlarmThresholds` (see `core/attach/settings.py` for the settings file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.formats.durations import format_duration
from core.formats.timefmt import format_time, parse_time
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.world import World

if TYPE_CHECKING:
    from core.config.city_config import City

START_PENDING_STATES = ("start-pending", "creating")
KINDS = ("wakes", "idle_spawns", "alias_conflict", "start_pending", "quarantine", "churn", "circuit_open")


@dataclass(frozen=True)
class AlarmThresholds:
    """The limits at which alarms are raised; the *_s fields are seconds."""
    wakes_per_hour: int = 6
    idle_spawns_per_hour: int = 3
    idle_spawn_grace_s: float = 300.0
    alias_conflict_count: int = 5
    alias_conflict_rises: int = 3
    start_pending_timeout_s: float = 300.0
    churn_count: int = 2
    holds: bool = True  # a quarantined or circuit-open session is an alarm


@dataclass
class Alarm:
    """One raised alarm: what kind, about whom, the value seen against its threshold, the beads
    involved, and (for a quarantine or an open circuit) when it ends."""
    kind: str  # one of KINDS
    subject: str  # an identity, a template or a session name
    value: float
    threshold: float
    message: str
    bead_ids: list[str] = field(default_factory=list)
    until: str = ""  # RFC 3339: when a quarantine or an open circuit ends ("" when not known)

    @property
    def key(self) -> str:
        """Stable across polls and steps while the alarm holds: its kind and subject."""
        return f"{self.kind}:{self.subject}"

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "subject": self.subject, "value": self.value, "threshold": self.threshold,
               "message": self.message, "bead_ids": self.bead_ids}
        if self.until:
            out["until"] = self.until
        return out


@dataclass
class AlarmMemory:
    """What alarms remember between polls: each bead's last alias-conflict count and rises."""

    conflict: dict[str, tuple[int, int]] = field(default_factory=dict)

    def observe_conflicts(self, world: World) -> None:
        seen = set()
        for b in world.store.open_sessions():
            if not b.get(B.POOL_ALIAS_CONFLICT):
                continue
            n = _int(b.get(B.POOL_ALIAS_CONFLICT_COUNT))
            last, rises = self.conflict.get(b.id, (n, 0))
            self.conflict[b.id] = (n, rises + (1 if n > last else 0))
            seen.add(b.id)
        for bid in set(self.conflict) - seen:
            del self.conflict[bid]


def _int(v: str) -> int:
    try:
        return int(v)
    except ValueError:
        return 0


def _identity(b: SessionBead) -> str:
    return b.alias or b.get(B.CONFIGURED_NAMED_IDENTITY) or b.agent_name or b.session_name or b.id


def _bead_for(ev: dict[str, Any], world: World) -> SessionBead | None:
    sid = ev.get("session_id")
    if isinstance(sid, str) and sid:
        b = world.store.session(sid)
        if b is not None:
            return b
    subj = ev.get("subject")
    if isinstance(subj, str) and subj:
        for key in (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME):
            found = world.store.open_by(key, subj)
            if found:
                return found[0]
    return None


def _ts(ev: dict[str, Any]) -> datetime | None:
    ts = ev.get("ts")
    if isinstance(ts, datetime):
        return ts
    return parse_time(ts if isinstance(ts, str) else None)


class _Claims:
    """Which identities hold work, computed once per evaluation (only when a wake is judged)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._assignees: set[str] | None = None

    def claimed(self, b: SessionBead) -> bool:
        if b.get(B.CURRENTLY_PROCESSING):
            return True
        if self._assignees is None:
            self._assignees = {w.assignee for w in self.world.store.work.values() if w.assignee}
        return any(n in self._assignees for n in b.assignee_identities())


def _wake_alarms(world: World, events: Iterable[dict[str, Any]], now: datetime, t: AlarmThresholds) -> list[Alarm]:
    """Sessions woken too often in the last hour, and pool templates whose wakes past the spawn
    grace claimed no work."""
    out: list[Alarm] = []
    hour_ago = now - timedelta(hours=1)
    grace_cut = now - timedelta(seconds=t.idle_spawn_grace_s)
    claims = _Claims(world)
    wakes: dict[str, list[str]] = {}
    idle: dict[str, list[str]] = {}
    for ev in events:
        if ev.get("type") != "session.woke":
            continue
        ts = _ts(ev)
        if ts is None or ts < hour_ago or ts > now:
            continue
        b = _bead_for(ev, world)
        ident = _identity(b) if b else str(ev.get("subject") or ev.get("session_id") or "?")
        wakes.setdefault(ident, []).append(b.id if b else "")
        if b is not None and b.pool_managed and ts <= grace_cut and not claims.claimed(b):
            idle.setdefault(b.template or "?", []).append(b.id)
    for ident, ids in sorted(wakes.items()):
        if len(ids) >= t.wakes_per_hour:
            out.append(Alarm("wakes", ident, len(ids), t.wakes_per_hour,
                             f"{ident} woke {len(ids)} times in the last hour (alarm at {t.wakes_per_hour})",
                             sorted({i for i in ids if i})))
    for tmpl, ids in sorted(idle.items()):
        if len(ids) >= t.idle_spawns_per_hour:
            out.append(Alarm("idle_spawns", tmpl, len(ids), t.idle_spawns_per_hour,
                             f"{len(ids)} wakes of {tmpl} pool sessions in the last hour claimed no work "
                             f"(alarm at {t.idle_spawns_per_hour})", sorted(set(ids))))
    return out


def _stuck_alarms(b: SessionBead, now: datetime, t: AlarmThresholds, memory: AlarmMemory | None) -> list[Alarm]:
    """A bead that keeps losing its alias, or has been start-pending too long."""
    out: list[Alarm] = []
    name = b.session_name or b.id
    wanted = b.get(B.POOL_ALIAS_CONFLICT)
    if wanted:
        n = _int(b.get(B.POOL_ALIAS_CONFLICT_COUNT))
        rises = memory.conflict.get(b.id, (n, 0))[1] if memory else 0
        if n >= t.alias_conflict_count or rises >= t.alias_conflict_rises:
            how = f"rose {rises} times while watched" if rises >= t.alias_conflict_rises else f"reached {n}"
            out.append(Alarm("alias_conflict", name, n, t.alias_conflict_count,
                             f"{b.id} keeps losing alias {wanted!r}: its conflict count {how} "
                             f"(alarm at {t.alias_conflict_count} or {t.alias_conflict_rises} rises)", [b.id]))
    if b.state in START_PENDING_STATES:
        since = (parse_time(b.get(B.PENDING_CREATE_STARTED_AT)) or parse_time(b.get(B.LAST_WOKE_AT))
                 or b.created_at)
        age = (now - since).total_seconds()
        if age > t.start_pending_timeout_s:
            out.append(Alarm("start_pending", name, round(age), t.start_pending_timeout_s,
                             f"{b.id} has been {b.state} since {format_time(since)} ({format_duration(round(age))}; "
                             f"alarm after {format_duration(t.start_pending_timeout_s)})", [b.id]))
    return out


def _crash_alarm(world: World, b: SessionBead, now: datetime, t: AlarmThresholds, city: City | None) -> Alarm | None:
    """A dead bead held by quarantine or an open circuit (when holds alarm), or one that churns."""
    from core.holds import CIRCUIT_OPEN, QUARANTINED, session_hold
    from core.trackers.exits import MAX_CHURN_CYCLES

    name = b.session_name or b.id
    hold = None if world.runtime.alive(b.session_name) else session_hold(b, now, city, world.memory)
    churn = _int(b.get(B.CHURN_COUNT))
    if hold is not None and not t.holds:
        return None
    if hold is not None and hold.kind == QUARANTINED:
        return Alarm("quarantine", name, churn, t.churn_count,
                     f"{b.id} is {hold.text()}: the controller will not wake it before then", [b.id],
                     format_time(hold.until))
    if hold is not None and hold.kind == CIRCUIT_OPEN:
        return Alarm("circuit_open", name, _int(b.get(B.CIRCUIT_OPEN_RESTART_COUNT)), 0,
                     f"{b.id}'s circuit breaker is open until {hold.clock()} ({hold.reason}): it is not "
                     "respawned", [b.id], format_time(hold.until))
    if churn >= t.churn_count:
        return Alarm("churn", name, churn, t.churn_count,
                     f"{b.id} died young after a wake {churn} times (alarm at {t.churn_count}; the "
                     f"controller quarantines it at {MAX_CHURN_CYCLES})", [b.id])
    return None


def evaluate_alarms(world: World, events: Iterable[dict[str, Any]], now: datetime, t: AlarmThresholds,
                    memory: AlarmMemory | None = None, city: City | None = None) -> list[Alarm]:
    """Every alarm that holds at `now`, in a stable order (kind, subject). `events` are
    events.jsonl-shaped records (`type`, `ts`, `session_id`, `subject`); `city` gives the
    circuit breaker's reset time."""
    out = _wake_alarms(world, events, now, t)
    for b in world.store.open_sessions():
        out += _stuck_alarms(b, now, t, memory)
        crash = _crash_alarm(world, b, now, t, city)
        if crash is not None:
            out.append(crash)
    out.sort(key=lambda a: (a.kind, a.subject))
    return out
