"""The rows of an attach snapshot: plain, sorted, JSON-ready views of the live world."""

from __future__ import annotations

from typing import Any

from core.attach.tmux import SIGNAL_KEYS
from core.formats.timefmt import format_time
from core.world.beads import natural_key
from core.world.runtime import META_ACTIVITY
from core.world.world import World


def session_rows(world: World, runtime_observable: bool) -> list[dict[str, Any]]:
    """Every session bead (open first), with whether its runtime is there (None: unobservable)."""
    rt = world.runtime
    rows = []
    for b in sorted(world.store.all_sessions(), key=lambda b: (not b.open, natural_key(b.id))):
        name = b.session_name
        rows.append({
            "bead_id": b.id, "open": b.open, "session_name": name, "template": b.template, "alias": b.alias,
            "agent_name": b.agent_name, "origin": b.origin, "state": b.state, "sleep_reason": b.get("sleep_reason"),
            "created_at": format_time(b.created_at),
            "running": (rt.get(name) is not None) if runtime_observable and name else None,
            "alive": rt.alive(name) if runtime_observable and name else None,
        })
    return rows


def runtime_rows(world: World) -> list[dict[str, Any]]:
    """Every live tmux session, with whether its GC_SESSION_ID names an existing session bead
    (in rare early paths it holds an agent name instead)."""
    rows = []
    for s in sorted(world.runtime.sessions.values(), key=lambda s: s.name):
        bead = world.store.session(s.session_id) if s.session_id else None
        rows.append({
            "name": s.name, "session_id": s.session_id, "bead_linked": bead is not None,
            "bead_session_name_matches": bool(bead and bead.session_name == s.name),
            "template": s.template, "alive": s.process_alive, "attached": s.attached,
            "activity": s.meta.get(META_ACTIVITY, ""),
            "started_at": format_time(s.started_at), "last_activity": format_time(s.last_activity),
            "signals": {k: v for k, v in sorted(s.meta.items()) if k in SIGNAL_KEYS},
        })
    return rows


def event_row(ev: dict[str, Any]) -> dict[str, Any]:
    """The event's displayed fields (seq, type, ts, actor, subject, message, session_id, payload)."""
    keep = ("seq", "type", "ts", "actor", "subject", "message", "session_id", "payload")
    return {k: ev[k] for k in keep if k in ev}
