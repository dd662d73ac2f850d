"""What the controller persists about each session's lifecycle, read back from its bead.

Gas City keeps its durable trackers in session-bead metadata: failed wakes (`wake_attempts`),
context churn (`churn_count`), quarantine and user holds (`quarantined_until`, `held_until`,
`wait_hold`, `pin_awake`), why it sleeps (`sleep_reason`), the named-session circuit
(`session_circuit_state`) and a pending create (`pending_create_started_at`). One row per open
session bead, with the holds' expiry judged against `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.formats.timefmt import format_time, parse_time
from core.world import beads as B
from core.world.world import World


def _int(v: str) -> int:
    try:
        return int(v)
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class Until:
    """A hold's or a quarantine's end as the bead stores it (normalised when it is a time, the
    stored text otherwise) and whether it is still ahead of `now`."""

    until: str
    active: bool

    @classmethod
    def of(cls, value: str, now: datetime) -> Until:
        t = parse_time(value)
        return cls(format_time(t) if t else value, bool(t and t > now))

    def to_json(self) -> dict[str, Any]:
        return {"until": self.until, "active": self.active}


@dataclass(frozen=True, slots=True)
class AliasConflict:
    """The alias a bead keeps losing, how many times it lost it, and when last."""

    alias: str
    count: int
    at: str

    def to_json(self) -> dict[str, Any]:
        return {"alias": self.alias, "count": self.count, "at": self.at}


@dataclass(frozen=True, slots=True)
class LifecycleRow:
    """One open session bead's persisted lifecycle state (the snapshot's `trackers[]` row)."""

    bead_id: str
    session_name: str
    template: str
    state: str
    state_reason: str
    sleep_reason: str
    wake_attempts: int
    churn_count: int
    quarantine: Until | None
    hold: Until | None
    wait_hold: bool
    pin_awake: bool
    last_woke_at: str
    pending_create_started_at: str
    circuit_state: str
    alias_conflict: AliasConflict | None

    def to_json(self) -> dict[str, Any]:
        return {
            "bead_id": self.bead_id, "session_name": self.session_name, "template": self.template,
            "state": self.state, "state_reason": self.state_reason, "sleep_reason": self.sleep_reason,
            "wake_attempts": self.wake_attempts, "churn_count": self.churn_count,
            "quarantine": self.quarantine.to_json() if self.quarantine else None,
            "hold": self.hold.to_json() if self.hold else None,
            "wait_hold": self.wait_hold, "pin_awake": self.pin_awake, "last_woke_at": self.last_woke_at,
            "pending_create_started_at": self.pending_create_started_at, "circuit_state": self.circuit_state,
            "alias_conflict": self.alias_conflict.to_json() if self.alias_conflict else None,
        }


def lifecycle_rows(world: World, now: datetime) -> list[LifecycleRow]:
    """One row of lifecycle state (state, reasons, counters, holds, quarantine, circuit, alias
    conflicts) per open session bead, with remaining times measured from `now`."""
    rows = []
    for b in world.store.open_sessions():
        g = b.get
        rows.append(LifecycleRow(
            bead_id=b.id,
            session_name=b.session_name,
            template=b.template,
            state=b.state,
            state_reason=g(B.STATE_REASON),
            sleep_reason=g(B.SLEEP_REASON),
            wake_attempts=_int(g(B.WAKE_ATTEMPTS)),
            churn_count=_int(g(B.CHURN_COUNT)),
            quarantine=Until.of(g(B.QUARANTINED_UNTIL), now) if g(B.QUARANTINED_UNTIL) else None,
            hold=Until.of(g(B.HELD_UNTIL), now) if g(B.HELD_UNTIL) else None,
            wait_hold=g(B.WAIT_HOLD) == "true",
            pin_awake=g(B.PIN_AWAKE) == "true",
            last_woke_at=g(B.LAST_WOKE_AT),
            pending_create_started_at=g(B.PENDING_CREATE_STARTED_AT),
            circuit_state=g(B.CIRCUIT_STATE),
            alias_conflict=AliasConflict(g(B.POOL_ALIAS_CONFLICT), _int(g(B.POOL_ALIAS_CONFLICT_COUNT)),
                                         g(B.POOL_ALIAS_CONFLICT_AT)) if g(B.POOL_ALIAS_CONFLICT) else None,
        ))
    return rows
