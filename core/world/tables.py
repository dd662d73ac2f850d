"""A world as the scenario tables that rebuild it (what an export and a driver's start write)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.formats.timefmt import format_time

if TYPE_CHECKING:
    from core.world.beads import SessionBead, WorkBead
    from core.world.runtime import RuntimeSession
    from core.world.world import World


def world_tables(world: World) -> dict[str, Any]:
    """The scenario tables (`start`, `[scale_check]`, `[[session]]`, `[[runtime]]`, `[[work]]`)
    that rebuild `world`. Controller memory is not part of the format: a session starts with
    none, which is what the scenario runner assumes too."""
    out: dict[str, Any] = {"start": format_time(world.now)}
    if world.scale_checks:
        out["scale_check"] = dict(sorted(world.scale_checks.items()))
    sessions = [_session_table(b) for b in world.store.all_sessions()]
    if sessions:
        out["session"] = sessions
    runtime = [_runtime_table(s, world.now) for s in sorted(world.runtime.sessions.values(), key=lambda s: s.name)]
    if runtime:
        out["runtime"] = runtime
    work = [_work_table(w) for w in sorted(world.store.work.values(), key=lambda w: w.id)]
    if work:
        out["work"] = work
    return out


def _session_table(b: SessionBead) -> dict[str, Any]:
    """One `[[session]]` table: open, title and labels only when not the default."""
    t: dict[str, Any] = {"id": b.id}
    if not b.open:
        t["open"] = False
    t["created_at"] = format_time(b.created_at)
    if b.title:
        t["title"] = b.title
    if b.labels and set(b.labels) != {"gc:session"}:
        t["labels"] = sorted(b.labels)
    t["metadata"] = dict(sorted(b.metadata.items()))
    return t


def _runtime_table(s: RuntimeSession, now: datetime) -> dict[str, Any]:
    """One `[[runtime]]` table: fields only when not the default; times default to now."""
    r: dict[str, Any] = {"name": s.name}
    for key, value, default in (("session_id", s.session_id, ""), ("instance_token", s.instance_token, ""),
                                ("template", s.template, ""), ("attached", s.attached, False),
                                ("pending_interaction", s.pending_interaction, False),
                                ("alive", s.process_alive, True), ("peek", s.peek, "")):
        if value != default:
            r[key] = value
    r["started_at"] = format_time(s.started_at or now)
    r["last_activity"] = format_time(s.last_activity or now)
    if s.meta:
        r["meta"] = dict(sorted(s.meta.items()))
    return r


def _work_table(w: WorkBead) -> dict[str, Any]:
    """One `[[work]]` table: optional fields only when not the default."""
    row: dict[str, Any] = {"id": w.id, "status": w.status}
    optional: tuple[tuple[str, object, object], ...] = (
        ("assignee", w.assignee, ""), ("routed_to", w.routed_to, ""), ("priority", w.priority, 0),
        ("ready", w.ready, True), ("title", w.title, ""), ("store", w.store, ""), ("type", w.type, ""),
        ("metadata", dict(w.metadata), {}))
    for key, got, unset in optional:  # written only when not the default
        if got != unset:
            row[key] = got
    if w.created_at is not None:
        row["created_at"] = format_time(w.created_at)
    return row
