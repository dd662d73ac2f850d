"""syncSessionBeads' close pass (skipClose off, cmd/gc/session_beads.go), as `gc start`'s one-shot
sync runs it: an open bead no desired entry names is kept when it is desired after all, when a
configured named session preserves it, or when it blocks one; otherwise its runtime is stopped
(stopRuntimeBeforeSessionBeadMutation) and it is closed `orphaned` or `suspended`. A named bead
whose [[named_session]] was removed is archived (retireRemovedConfiguredNamedSessionBead)."""

from __future__ import annotations

from factories import scenario_model

HEAD = """name = "close"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 3
scale_check = "printf 1"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "on_demand"
[scale_check]
worker = {workers}
"""


def bead(bid: str, **md: str) -> str:
    return f'[[session]]\nid = "{bid}"\n[session.metadata]\n' + "".join(f'{k} = "{v}"\n' for k, v in md.items())


def runtime(name: str, **fields) -> str:
    return f'[[runtime]]\nname = "{name}"\n' + "".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}\n" for k, v in fields.items())


def direct_close(tmp_path, *tables: str):
    """close_undesired alone over the scenario's beads, none of them desired."""
    from core.desired.entries import DesiredResult
    from core.outcome import Outcome
    from core.reconcile.context import TickContext
    from core.reconcile.sync import close_undesired

    m = scenario_model(tmp_path, HEAD.format(workers=0) + "".join(tables))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    m.world.store.journal.clear()
    close_undesired(ctx, DesiredResult())
    return m, ctx.out


def close_pass(tmp_path, *tables: str, workers: int = 0, stop_failures=None):
    m = scenario_model(tmp_path, HEAD.format(workers=workers) + "".join(tables))
    if stop_failures:
        m.world.runtime.stop_failures = stop_failures
    out = m.do({"do": "sync", "close": True})
    return m, out


POOL = dict(session_name="worker-gc-1", agent_name="worker-1", alias="worker-1", template="worker",
            pool_managed="true", pool_slot="1", state="asleep", generation="1", instance_token="tok-1")


def closes(out) -> list[tuple[str, str]]:
    return [(a.bead_id, a.reason) for a in out.actions if a.kind == "close"]


def test_a_desired_bead_is_not_closed(tmp_path):
    m, out = close_pass(tmp_path, bead("gc-1", **POOL), workers=1)
    assert closes(out) == [] and m.world.store.session("gc-1").open


def test_an_undesired_pool_bead_is_closed_orphaned(tmp_path):
    m, out = close_pass(tmp_path, bead("gc-1", **POOL))
    assert closes(out) == [("gc-1", "orphaned")]


NAMED_MAYOR = dict(session_name="mayor", agent_name="mayor", alias="mayor", template="mayor", session_origin="named",
                   configured_named_session="true", configured_named_identity="mayor",
                   configured_named_mode="on_demand", state="asleep", sleep_reason="idle")


def test_an_undesired_named_bead_of_a_configured_session_is_preserved(tmp_path):
    """Nothing desires the mayor's canonical bead; its [[named_session]] still exists under the
    same runtime name, so preserveConfiguredNamedSessionBead keeps it as it is."""
    m, out = direct_close(tmp_path, bead("gc-1", **NAMED_MAYOR))
    b = m.world.store.session("gc-1")
    assert b.open and (b.state, b.get("retired_named_identity")) == ("asleep", "")
    assert not closes(out) and not m.world.store.journal


def test_a_blocking_bead_is_left_open_and_the_pass_goes_on(tmp_path):
    """A plain worker bead holding the mayor's runtime name blocks the named session (logged, left
    open); the next undesired bead is still closed."""
    m, out = direct_close(tmp_path, bead("gc-1", session_name="mayor", template="worker", state="asleep"),
                          bead("gc-2", **POOL))
    assert 'session beads: live bead gc-1 blocks configured named session "mayor"; leaving it open' in out.logs
    assert closes(out) == [("gc-2", "orphaned")]


PLAIN_WARNING = "plain template session gc-1 (mayor)"


def test_a_template_that_is_a_named_identity_gets_no_plain_template_warning(tmp_path):
    _, out = direct_close(tmp_path, bead("gc-1", session_name="mayor-old", template="mayor", state="asleep"))
    assert closes(out) == [("gc-1", "orphaned")]
    assert not [line for line in out.logs if PLAIN_WARNING in line]


def test_a_dead_pane_is_not_stopped_before_the_close(tmp_path):
    """stopRuntimeBeforeSessionBeadMutation asks IsRunning: a corpse pane is not running, so the
    bead is closed without a stop."""
    m, out = close_pass(tmp_path, bead("gc-1", **POOL), runtime("worker-gc-1", corpse=True, alive=False))
    assert closes(out) == [("gc-1", "orphaned")]
    assert not [a for a in out.actions if a.kind == "stop"]
    assert m.world.runtime.get("worker-gc-1") is not None


def test_a_stop_that_leaves_the_session_running_keeps_the_bead_open(tmp_path):
    m, out = close_pass(tmp_path, bead("gc-1", **POOL), runtime("worker-gc-1"),
                        stop_failures=[["worker-gc-1", 1, "", True]])
    assert closes(out) == [] and m.world.store.session("gc-1").open
    assert 'session beads: stopping orphaned session "worker-gc-1" (bead gc-1): still running after stop' in out.logs


RETIRED = dict(NAMED_MAYOR, configured_named_identity="deacon", session_name="deacon", alias="deacon",
               template="deacon")
WORK = '[[work]]\nid = "w-1"\nstatus = "in_progress"\nassignee = "deacon"\n'
WAIT = '[[wait]]\nid = "wait-1"\nsession = "gc-1"\nkind = "deps"\ndeps = ["w-1"]\n'


def retire_ctx(tmp_path, *tables: str):
    from core.outcome import Outcome
    from core.reconcile.context import TickContext

    m = scenario_model(tmp_path, HEAD.format(workers=0) + bead("gc-1", **RETIRED) + "".join(tables))
    return m, TickContext(m.city, m.world, m.semantics, Outcome())


def test_retiring_reports_success_and_logs_the_work_and_waits_it_released(tmp_path):
    from core.reconcile.sync import retire_removed_named

    m, ctx = retire_ctx(tmp_path, WORK, WAIT)
    assert retire_removed_named(ctx, ctx.store.session("gc-1"), "deacon") is True
    assert ctx.out.logs == ["session beads: unclaimed work w-1 from retired session gc-1",
                            "wait wait-1 for gc-1: canceled (retired session)"]


def test_retiring_reports_a_failed_stop_or_a_refused_write(tmp_path):
    from core.reconcile.sync import retire_removed_named

    m, ctx = retire_ctx(tmp_path, runtime("deacon"))
    ctx.rt.stop_failures = [["deacon", 1, "boom"]]
    assert retire_removed_named(ctx, ctx.store.session("gc-1"), "deacon") is False
    m, ctx = retire_ctx(tmp_path)
    ctx.store.write_faults = [["write", 1, "disk full"]]
    assert retire_removed_named(ctx, ctx.store.session("gc-1"), "deacon") is False
    assert ctx.store.session("gc-1").state == "asleep"


def test_a_removed_named_session_bead_is_archived_by_the_close_pass(tmp_path):
    m, out = direct_close(tmp_path, bead("gc-1", **RETIRED))
    b = m.world.store.session("gc-1")
    assert b.open and (b.state, b.get("retired_named_identity")) == ("archived", "deacon")
    assert not closes(out)


def test_a_bead_holding_open_work_is_kept_and_the_pass_goes_on(tmp_path):
    work = '[[work]]\nid = "w-1"\nstatus = "open"\nassignee = "worker-gc-1"\n'
    m, out = direct_close(tmp_path, bead("gc-1", **POOL), bead("gc-2", **{**POOL, "session_name": "worker-gc-2"}), work)
    assert closes(out) == [("gc-2", "orphaned")]


def test_an_undesired_failed_create_is_closed_as_one(tmp_path):
    """closeSessionBeadIfRuntimeStoppedAndUnassigned closes a failed create with
    closeFailedCreateBead, whatever the pass's reason."""
    _, out = direct_close(tmp_path, bead("gc-1", **{**POOL, "state": "failed-create"}))
    assert closes(out) == [("gc-1", "failed-create")]
