"""Chat session auto-suspend (autoSuspendChatSessions, CityRuntime.tick): with
`[chat_sessions] idle_timeout` set, every active session whose runtime is running, detached and
idle for at least that long is suspended after the bead reconcile: its runtime stopped, its
bead `suspended` with `suspended_at` (session.Manager.Suspend). Gas City lists every active
session here, not only chat sessions; the model does the same.
"""

from __future__ import annotations

from core.formats.durations import try_duration
from core.formats.timefmt import format_time_seconds
from core.reconcile.context import TickContext
from core.world import beads as B

ACTIVE_STATES = frozenset({"", "active", "awake"})  # normalizeInfoState: empty and awake mean active


def _short(seconds: float) -> str:
    """cmd/gc formatDuration: whole seconds, minutes, hours or days."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def auto_suspend_chat_sessions(ctx: TickContext) -> int:
    """Suspend the idle, detached active sessions; returns how many."""
    timeout = try_duration(ctx.city.chat_sessions.idle_timeout, 0.0) or 0.0
    if timeout <= 0:
        return 0
    done = 0
    for b in ctx.open_beads():
        name = b.session_name.strip()
        if b.state.strip() not in ACTIVE_STATES or not name or not ctx.running(name) or ctx.rt.attached(name):
            continue
        last = ctx.rt.last_activity(name)
        if last is None or (ctx.now - last).total_seconds() < timeout:
            continue
        err = ctx.stop_error(name, "chat-auto-suspend", b)
        if err:
            ctx.log(f"gc start: auto-suspend session {b.id}: stopping runtime session: {err}")
            continue
        ctx.patch(b.id, {B.STATE: "suspended", B.SUSPENDED_AT: format_time_seconds(ctx.now)})
        ctx.log(f"Session {b.id} auto-suspended (idle {_short((ctx.now - last).total_seconds())}).")
        done += 1
    return done
