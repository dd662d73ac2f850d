"""The completion of a slow (asynchronous) start (commitAsyncStartResultWithContext,
refreshAsyncStartResult and asyncStartPreparedCommandStaleInfo, cmd/gc/session_lifecycle_parallel.go):
each start whose provider Start has returned by now is judged on its own, in name order, whatever
the others' verdicts; a finished one brings up the runtime exactly as prepared and commits through
commitStartResultTraced, which confirms the bead active from any pending-start state
(confirmPendingStart: "", start-pending, creating, asleep, drained) and clears the claim of a
pending create; a result whose desired command changed meanwhile releases the wake stamp and
starts nothing; a result whose bead moved to another incarnation is ignored. The tick reports
how many completed (reconcile_execution_completions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from factories import scenario_model

from core.actions import Action, Event
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import complete_async_starts

CITY = '''name = "slow starts complete"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "test-city"
[[city.agent]]
name = "worker"
start_command = "run-worker"
[[city.agent]]
name = "helper"
start_command = "run-helper"
[[city.named_session]]
name = "boss"
template = "worker"
mode = "always"
[[city.named_session]]
name = "aide"
template = "helper"
mode = "always"
'''
T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)


def enqueued(tmp_path, aide: str = "40s", boss: str = "40s"):
    """One tick enqueues both named sessions' slow starts."""
    m = scenario_model(tmp_path, CITY)
    m.do({"do": "slow_start", "name": "aide", "by": aide})
    m.do({"do": "slow_start", "name": "boss", "by": boss})
    m.do({"do": "tick"})
    assert sorted(m.world.runtime.pending_starts) == ["aide", "boss"]
    return m


def bead(m, name):
    return next(b for b in m.world.store.open_sessions() if b.session_name == name)


def complete(m, seconds: float):
    """Move the clock without completing anything, then run the completion pass once."""
    m.world.advance(seconds)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    return ctx, complete_async_starts(ctx)


def test_every_finished_start_completes_and_is_counted(tmp_path):
    m = enqueued(tmp_path)
    boss = bead(m, "boss")
    p = m.world.runtime.pending_starts["boss"]
    ctx, done = complete(m, 40)  # ready exactly now
    assert done == 2 and m.world.runtime.pending_starts == {}
    rs = m.world.runtime.get("boss")
    assert (rs.session_id, rs.instance_token, rs.template, rs.started_at, rs.command, dict(rs.env)) == (
        boss.id, boss.get("instance_token"), "worker", p.ready_at, p.start_line, dict(p.env))
    assert rs.command == "run-worker" and rs.instance_token
    assert "session lifecycle: op=start wave=0 session=boss template=worker outcome=success duration=40s" in ctx.out.logs
    assert "Woke session 'boss'" in ctx.out.logs
    after = bead(m, "boss")
    assert Action("start", boss.id, "boss", "named-always", f"generation {after.get('generation')}",
                  "worker") in ctx.out.actions
    assert Event("session.woke", "boss", "woke (named-always)", boss.id) in ctx.out.events
    # the commit: confirmed active, the pending create's claim cleared, the started hashes written
    assert (after.get("state"), after.get("state_reason"), after.get("pending_create_claim")) == (
        "active", "creation_complete", "")
    assert after.get("started_config_hash") and after.get("creation_complete_at")


def test_a_start_not_finished_yet_waits_without_holding_back_a_finished_one(tmp_path):
    m = enqueued(tmp_path, aide="50s")
    ctx, done = complete(m, 45)
    assert done == 1
    assert list(m.world.runtime.pending_starts) == ["aide"]
    assert m.world.runtime.alive("boss") and m.world.runtime.get("aide") is None


def test_the_tick_reports_how_many_completed(tmp_path):
    m = enqueued(tmp_path)
    m.world.advance(45)
    out = m.do({"do": "tick"})
    ops = [t for t in out.trace if t.operation_name == "reconcile_execution_completions"]
    assert [t.fields.get("completed") for t in ops] == [2]


def test_a_start_whose_desired_command_changed_is_dropped_and_releases_its_wake_stamp(tmp_path):
    m = enqueued(tmp_path)
    aide = bead(m, "aide")
    assert aide.get("last_woke_at")
    m.do({"do": "set_session", "id": aide.id, "metadata": {"command": "run-helper --v2"}})
    ctx, done = complete(m, 45)
    assert done == 1  # the other start still commits
    assert m.world.runtime.get("aide") is None and m.world.runtime.alive("boss")
    assert ctx.out.logs[:2] == [
        "session reconciler: ignoring stale async start result for aide: desired command changed during startup",
        "session lifecycle: op=start wave=0 session=aide template=helper outcome=async_start_refresh_failed "
        "duration=40s"]
    after = bead(m, "aide")
    assert after.get("last_woke_at") == "" and after.get("state") == "creating"
    assert [a for a in ctx.out.actions if a.session_name == "aide"] == []


def test_a_start_whose_bead_moved_on_is_ignored(tmp_path):
    m = enqueued(tmp_path)
    aide = bead(m, "aide")
    m.do({"do": "set_session", "id": aide.id, "metadata": {"instance_token": "another-incarnation"}})
    ctx, done = complete(m, 45)
    assert done == 1 and m.world.runtime.get("aide") is None and m.world.runtime.alive("boss")
    assert ctx.out.logs[:2] == [
        "session reconciler: ignoring stale async start result for aide",
        "session lifecycle: op=start wave=0 session=aide template=helper outcome=stale_async_start duration=40s"]
    assert bead(m, "aide").get("state") == "creating"


def test_a_start_whose_bead_is_gone_is_ignored(tmp_path):
    m = enqueued(tmp_path)
    p = m.world.runtime.pending_starts["aide"]
    m.world.runtime.pending_starts["aide"] = replace(p, bead_id="gc-gone")
    ctx, done = complete(m, 45)
    assert done == 1 and m.world.runtime.get("aide") is None
    assert "session reconciler: ignoring stale async start result for aide" in ctx.out.logs


def test_a_bead_put_to_sleep_meanwhile_is_still_confirmed_active(tmp_path):
    # confirmPendingStart: an asleep (or drained, or stateless) bead is a pending start too
    m = enqueued(tmp_path)
    boss, aide = bead(m, "boss"), bead(m, "aide")
    m.do({"do": "set_session", "id": boss.id, "metadata": {"state": "asleep", "pending_create_claim": ""}})
    m.do({"do": "set_session", "id": aide.id, "metadata": {"state": "drained", "pending_create_claim": ""}})
    m.world.runtime.pending_starts["boss"] = replace(m.world.runtime.pending_starts["boss"], claim=False)
    m.world.runtime.pending_starts["aide"] = replace(m.world.runtime.pending_starts["aide"], claim=False)
    _, done = complete(m, 45)
    assert done == 2
    for name in ("boss", "aide"):
        after = bead(m, name)
        assert (after.get("state"), after.get("state_reason")) == ("active", "creation_complete")
        assert after.get("awake_started_at")
