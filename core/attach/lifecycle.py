"""What the controller persists about each session's lifecycle, read back from its bead.

Gas City keeps its durable trackers in session-bead metadata: failed wakes (`wake_attempts`),
context churn (`churn_count`), quarantine and user holds (`quarantined_until`, `held_until`,
`wait_hold`, `pin_awake`), why it sleeps (`sleep_reason`), the named-session circuit
(`session_circuit_state`) and a pending create (`pending_create_started_at`). One row per open
session bead, with the holds' expiry judged against `now`.
"""

from __future__ import annotations

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


def _until(value: str, now: datetime) -> dict[str, Any]:
    t = parse_time(value)
    return {"until": format_time(t) if t else value, "active": bool(t and t > now)}


def lifecycle_rows(world: World, now: datetime) -> list[dict[str, Any]]:
    """One row of lifecycle state (state, reasons, counters, holds, quarantine, circuit, alias
    conflicts) per open session bead, with remaining times measured from `now`."""
    rows = []
    for b in world.store.open_sessions():
        g = b.get
        rows.append({
            "bead_id": b.id,
            "session_name": b.session_name,
            "template": b.template,
            "state": b.state,
            "state_reason": g(B.STATE_REASON),
            "sleep_reason": g(B.SLEEP_REASON),
            "wake_attempts": _int(g(B.WAKE_ATTEMPTS)),
            "churn_count": _int(g(B.CHURN_COUNT)),
            "quarantine": _until(g(B.QUARANTINED_UNTIL), now) if g(B.QUARANTINED_UNTIL) else None,
            "hold": _until(g(B.HELD_UNTIL), now) if g(B.HELD_UNTIL) else None,
            "wait_hold": g(B.WAIT_HOLD) == "true",
            "pin_awake": g(B.PIN_AWAKE) == "true",
            "last_woke_at": g(B.LAST_WOKE_AT),
            "pending_create_started_at": g(B.PENDING_CREATE_STARTED_AT),
            "circuit_state": g(B.CIRCUIT_STATE),
            "alias_conflict": {"alias": g(B.POOL_ALIAS_CONFLICT), "count": _int(g(B.POOL_ALIAS_CONFLICT_COUNT)),
                               "at": g(B.POOL_ALIAS_CONFLICT_AT)} if g(B.POOL_ALIAS_CONFLICT) else None,
        })
    return rows
