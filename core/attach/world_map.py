"""A live city's state as the model's `World`, so the same panels, `explain` and ticks work on it.

Session beads become `SessionBead`s (open unless closed; empty metadata values dropped, as the
model stores "" as absent), the other beads `WorkBead`s (route from `gc.routed_to`, `ready`
from Gas City's Ready filter), tmux sessions `RuntimeSession`s (bead link and template from the
environment, controller signals such as `GC_DRAIN` as runtime metadata). The controller's
in-memory trackers (drains in flight, defer streaks, circuit timers) cannot be observed from
outside; the world starts with empty memory, marked as past the startup adoption barrier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from core.attach.beads_source import BeadSet, LiveBead, is_ready
from core.attach.tmux import SIGNAL_KEYS, TmuxListing
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead
from core.world.memory import Memory
from core.world.runtime import META_ACTIVITY, RuntimeSession
from core.world.world import World

ROUTED_TO = "gc.routed_to"


def effective_session_name(bead_id: str, metadata: Mapping[str, str]) -> str:
    """The runtime name Gas City uses: metadata `session_name`, else `s-<id>` with `/` -> `--`."""
    return metadata.get(B.SESSION_NAME) or "s-" + bead_id.replace("/", "--")


def session_bead(b: LiveBead, now: datetime) -> SessionBead:
    """The live bead as a model SessionBead; empty metadata values are dropped and a missing
    creation time becomes `now`."""
    md = {k: v for k, v in b.metadata.items() if v != ""}
    return SessionBead(b.id, b.created_at or now, md, b.status != "closed", b.title, frozenset(b.labels))


def work_bead(b: LiveBead, status_by_id: dict[str, str], now: datetime) -> WorkBead:
    """The live bead as a model WorkBead, with its readiness computed against `status_by_id` at `now`."""
    # positional: a city holds a hundred thousand work beads (id, status, assignee, routed_to,
    # priority, ready, created_at, title)
    return WorkBead(b.id, b.status, b.assignee, b.metadata.get(ROUTED_TO, ""), b.priority,
                    is_ready(b, status_by_id, now), b.created_at, b.title)


def _next_id(beads: BeadSet, prefix: str) -> int:
    if beads.next_seq:
        return beads.next_seq + 1
    nums = [int(m.group(1)) for b in beads.beads if (m := re.fullmatch(re.escape(prefix) + r"-(\d+)", b.id))]
    return max(nums, default=0) + 1


def live_world(beads: BeadSet, runtime: TmuxListing | None, now: datetime, *, prefix: str = "gc",
               scale_checks: Mapping[str, int | str] | None = None, open_only: bool = False) -> World:
    """A fresh World holding the live state; `runtime` None (or unobservable) leaves it empty.
    `open_only`: the beads are a listing of the open beads only (a supervisor's), so a blocker
    that is not among them is closed."""
    w = World(now, prefix=prefix)
    # Readiness reads other beads' statuses only through blockers: without any, none is needed.
    status_by_id: dict[str, str] = {}
    if any(b.blockers for b in beads.beads):
        status_by_id = {b.id: b.status for b in beads.beads}
        if open_only:
            status_by_id = {t: "closed" for b in beads.beads for t in b.blockers} | status_by_id
    sessions, work = [], []
    for b in beads.beads:
        if b.is_session:
            sessions.append(session_bead(b, now))
        else:
            work.append(work_bead(b, status_by_id, now))
    w.store.put_sessions_many(sessions)
    w.store.put_work_many(work)
    if runtime is not None and runtime.observable:
        for s in runtime.sessions:
            env = {k: v for k, v in s.env.items() if k.startswith("GC_") and k not in SIGNAL_KEYS}
            meta = {k: v for k, v in s.env.items() if k in SIGNAL_KEYS or (k == META_ACTIVITY and v)}
            w.runtime.put(RuntimeSession(
                name=s.name, session_id=s.session_id, instance_token=s.env.get("GC_INSTANCE_TOKEN", ""),
                template=s.env.get("GC_TEMPLATE", ""), started_at=s.created, last_activity=s.activity or s.created,
                attached=s.attached, process_alive=s.alive, meta=meta, env=env))
    for t, v in sorted((scale_checks or {}).items()):
        w.set_scale_check(t, v)
    w.store.next_id = _next_id(beads, prefix)
    w.store.journal.clear()
    w.memory = Memory().with_(adopted=True)
    return w
