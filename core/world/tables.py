"""A world as the scenario tables that rebuild it (what an export and a driver's start write)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.timefmt import format_time

if TYPE_CHECKING:
    from core.world.world import World


def world_tables(world: World) -> dict[str, Any]:  # noqa: C901 - a long function issue 13 item 5 splits into named passes
    """The scenario tables (`start`, `[scale_check]`, `[[session]]`, `[[runtime]]`, `[[work]]`)
    that rebuild `world`. Controller memory is not part of the format: a session starts with
    none, which is what the scenario runner assumes too."""
    out: dict[str, Any] = {"start": format_time(world.now)}
    if world.scale_checks:
        out["scale_check"] = dict(sorted(world.scale_checks.items()))
    sessions = []
    for b in world.store.all_sessions():
        t: dict[str, Any] = {"id": b.id}
        if not b.open:
            t["open"] = False
        t["created_at"] = format_time(b.created_at)
        if b.title:
            t["title"] = b.title
        if b.labels and set(b.labels) != {"gc:session"}:
            t["labels"] = sorted(b.labels)
        t["metadata"] = dict(sorted(b.metadata.items()))
        sessions.append(t)
    if sessions:
        out["session"] = sessions
    runtime = []
    for s in sorted(world.runtime.sessions.values(), key=lambda s: s.name):
        r: dict[str, Any] = {"name": s.name}
        for key, value, default in (("session_id", s.session_id, ""), ("instance_token", s.instance_token, ""),
                                    ("template", s.template, ""), ("attached", s.attached, False),
                                    ("pending_interaction", s.pending_interaction, False),
                                    ("alive", s.process_alive, True), ("peek", s.peek, "")):
            if value != default:
                r[key] = value
        r["started_at"] = format_time(s.started_at or world.now)
        r["last_activity"] = format_time(s.last_activity or world.now)
        if s.meta:
            r["meta"] = dict(sorted(s.meta.items()))
        runtime.append(r)
    if runtime:
        out["runtime"] = runtime
    work = []
    for w in sorted(world.store.work.values(), key=lambda w: w.id):
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
        work.append(row)
    if work:
        out["work"] = work
    return out
