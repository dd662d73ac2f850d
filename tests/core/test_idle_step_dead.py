"""The idle-timeout step runs only for a live session (`if it != nil && alive`,
cmd/gc/session_reconciler.go): a dead session's assigned-work defer streak is left as it is and
no idle decision is recorded for it."""

from __future__ import annotations

from factories import one_worker_city, scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.timers import idle_step
from core.trackers.defer import DeferStreak
from core.trackers.idle import build_idle_keys

CITY = one_worker_city("idle", 'idle_timeout = "1m"\n') + """
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
template = "worker"
state = "asleep"
"""


def test_a_dead_session_keeps_its_defer_streak_and_records_no_idle_decision(tmp_path):
    m = scenario_model(tmp_path, CITY)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ctx.idle_keys = build_idle_keys(m.city, m.semantics, [])  # as the tick builds them
    assert ctx.idle_keys.names  # the city has an idle timeout: only liveness can skip the step
    ctx.mem = ctx.mem.with_(defer=ctx.mem.defer.set("worker", DeferStreak("w-1", 2)))
    b = m.world.store.session("gc-1")
    entry = DesiredEntry("worker", "worker", "worker", "", 0, "pool", bead_id="gc-1")
    assert idle_step(ctx, b, entry, False) == (b, False, False)
    assert ctx.mem.defer.get("worker") == DeferStreak("w-1", 2)
    assert not [r for r in ctx.out.trace if r.site_code == "reconciler.session.idle_timeout"]
