"""One prepared start, end to end (runPreparedStartCandidate, startPreparedStartCandidate and
commitStartResultTraced, cmd/gc/session_lifecycle_parallel.go): what the provider Start is
given, the outcome it ends with and whether it counts against the wake budget.

- A live runtime already at the name is the start's own result unless the bead holds a pending
  create claim and the runtime is not its own (ErrSessionExists, outcome session_exists).
- A zombie runtime (running, agent dead) is stopped first and the start falls through to a fresh
  Start (the ga-yms recycle); a zombie that will not stop fails the start as a provider error.
- A Start that outlives a positive startup timeout ends with context.DeadlineExceeded: outcome
  deadline_exceeded, a `duration=` and `err=` on its lifecycle line, a
  session.cold_start_timeout event for a pending create (commitStartFailure's rollback arm: no
  session id on the event), not counted.
- A Start slower than the tick but inside the timeout is enqueued and counts at once.
- A provider error is reported with its message (outcome provider_error), not counted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import scenario_model

from core.actions import Action, Event
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import StartCandidate, start_one
from core.world.runtime import StartError

NOW = datetime(2026, 3, 8, 12, tzinfo=UTC)
CITY = """name = "one start"
start = "2026-03-08T12:00:00Z"
[city.workspace]
name = "test-city"
[city.session]
startup_timeout = "{timeout}"
[[city.agent]]
name = "worker"
start_command = "run-worker"
env = {{ MODE = "test" }}
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
agent_name = "worker"
template = "worker"
generation = "3"
instance_token = "old-token"
state = "{state}"
{claim}
{runtime}
"""


def model(tmp_path, *, claim: bool = False, runtime: str = "", timeout: str = "60s", state: str = "asleep"):
    return scenario_model(tmp_path, CITY.format(
        timeout=timeout, state=state, claim='pending_create_claim = "true"' if claim else "",
        runtime=runtime))


def start(m, wave: int = 0):
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    entry = DesiredEntry(session_name="worker", template="worker", identity="worker", alias="", pool_slot=0,
                         source="new", env={"MODE": "test"})
    counted = start_one(ctx, StartCandidate("gc-1", entry, 0, "named-always", NOW), wave)
    return ctx, counted, m.world.store.session("gc-1")


def lifecycle(ctx):
    return [line for line in ctx.out.logs if line.startswith("session lifecycle:")]


def ops(ctx):
    """The start's outcome operations, beside its lifecycle record (reconciler.start.execute)."""
    return [(t.site_code, t.outcome_code, t.fields) for t in ctx.out.trace
            if t.record_type == "operation" and t.site_code != "reconciler.start.execute"]


def foreign(alive: bool = True, session_id: str = "gc-other") -> str:
    return (f'[[runtime]]\nname = "worker"\nsession_id = "{session_id}"\ninstance_token = "tok-x"\n'
            f'alive = {"true" if alive else "false"}\n')


def test_a_start_runs_the_provider_with_the_beads_new_identity(tmp_path):
    m = model(tmp_path)
    ctx, counted, b = start(m, wave=2)
    assert counted is True
    rs = m.world.runtime.get("worker")
    assert (rs.session_id, rs.instance_token, rs.template, rs.started_at, rs.command) == (
        "gc-1", b.get("instance_token"), "worker", NOW, "run-worker")
    assert b.get("instance_token") not in ("", "old-token") and b.get("generation") == "4"
    assert rs.env["MODE"] == "test" and rs.env["GC_SESSION_ID"] == "gc-1"
    assert rs.env["GC_INSTANCE_TOKEN"] == b.get("instance_token")
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=2 session=worker template=worker outcome=success duration=0s"]
    assert b.get("state") == "active"
    assert Event("session.woke", "worker", "woke (named-always)", "gc-1") in ctx.out.events


@pytest.mark.parametrize(("claim", "session_id", "outcome"), [
    (True, "gc-other", "session_exists"),     # a pending create meets another bead's runtime
    (True, "gc-1", "success"),                # a pending create meets its own runtime
    (False, "gc-other", "success"),           # no claim: a live runtime is the start's result
])
def test_a_live_runtime_at_the_name(tmp_path, claim, session_id, outcome):
    m = model(tmp_path, claim=claim, runtime=foreign(session_id=session_id))
    ctx, counted, b = start(m)
    err = ' err=session "worker" already exists' if outcome == "session_exists" else ""
    assert lifecycle(ctx) == [
        f"session lifecycle: op=start wave=0 session=worker template=worker outcome={outcome} duration=0s{err}"]
    assert counted is (outcome == "success")
    # the live runtime is never replaced or stopped
    assert m.world.runtime.get("worker").session_id == session_id
    assert [a for a in ctx.out.actions if a.kind == "stop"] == []
    if outcome == "session_exists":
        # the failed claimed create is rolled back (closed)
        assert ops(ctx)[0][:2] == ("reconciler.start.rollback_pending", "session_exists")
        assert not b.open
    else:
        assert b.get("state") == "active" and b.open


def test_a_zombie_runtime_is_stopped_and_started_afresh(tmp_path):
    m = model(tmp_path, runtime=foreign(alive=False))
    ctx, counted, b = start(m)
    assert counted is True
    assert Action("stop", "gc-1", "worker", "recycle-dead-runtime", "", "worker") in ctx.out.actions
    rs = m.world.runtime.get("worker")
    assert rs.session_id == "gc-1" and rs.alive
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=0 session=worker template=worker outcome=success duration=0s"]


@pytest.mark.parametrize("claim", [True, False])
@pytest.mark.parametrize("ours", [True, False])
def test_a_zombie_that_will_not_stop_fails_the_start_as_a_provider_error(tmp_path, claim, ours):
    # startPreparedStartCandidate: a Stop error that is not "session gone" returns "recycling
    # session %q with dead agent process", which is no ErrSessionExists: outcome provider_error,
    # no Start tried, nothing counted, whoever the zombie belongs to
    m = model(tmp_path, claim=claim, runtime=foreign(alive=False, session_id="gc-1" if ours else "gc-other"))
    m.world.runtime.stop_failures.append(["worker", 1, "stuck"])
    ctx, counted, b = start(m)
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=0 session=worker template=worker outcome=provider_error duration=0s"
        ' err=recycling session "worker" with dead agent process: stuck']
    assert counted is False
    assert m.world.runtime.starts == []
    assert not any(line.startswith("session reconciler: stopping") for line in ctx.out.logs)


def test_a_start_past_the_startup_timeout_fails_with_a_deadline(tmp_path):
    m = model(tmp_path, claim=True, timeout="30s", state="creating")
    m.world.runtime.slow_starts.append(["worker", 1, 30.0])  # exactly the timeout: the deadline fires
    ctx, counted, b = start(m, wave=1)
    assert counted is False
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=1 session=worker template=worker outcome=deadline_exceeded "
        'duration=0s err=session "worker" startup: context deadline exceeded']
    assert ctx.out.events == [Event("session.cold_start_timeout", "worker", 'session "worker" cold start timed out')]
    assert ops(ctx) == [("reconciler.start.rollback_pending", "deadline_exceeded",
                         {"error": 'session "worker" startup: context deadline exceeded'})]
    assert not b.open
    assert "worker" not in m.world.runtime.pending_starts


def test_an_unclaimed_start_past_its_deadline_counts_a_wake_failure_without_the_event(tmp_path):
    m = model(tmp_path, timeout="30s")
    m.world.runtime.slow_starts.append(["worker", 1, 45.0])
    ctx, counted, b = start(m)
    assert counted is False and ctx.out.events == []
    assert [op[:2] for op in ops(ctx)] == [("reconciler.start.failed", "deadline_exceeded")]
    assert b.open and b.get("wake_attempts") == "1"


@pytest.mark.parametrize(("timeout", "delay"), [("1s", 1.0), ("0.5s", 0.75)])
def test_a_short_positive_timeout_still_bounds_the_start(tmp_path, timeout, delay):
    m = model(tmp_path, timeout=timeout)
    m.world.runtime.slow_starts.append(["worker", 1, delay])
    ctx, counted, _ = start(m)
    assert counted is False
    assert "outcome=deadline_exceeded" in lifecycle(ctx)[0]


@pytest.mark.parametrize("delay", [0.5, 1.0])
def test_a_start_slower_than_the_tick_is_enqueued_and_counts(tmp_path, delay):
    m = model(tmp_path)
    m.world.runtime.slow_starts.append(["worker", 1, delay])
    ctx, counted, b = start(m)
    assert counted is True
    assert m.world.runtime.get("worker") is None
    p = m.world.runtime.pending_starts["worker"]
    assert (p.bead_id, p.claim, p.wave, p.ready_at) == ("gc-1", False, 0, m.world.runtime.pending_starts["worker"].ready_at)
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=0 session=worker template=worker outcome=start_enqueued duration=0s"]
    assert b.get("state") == "creating"


def test_a_provider_error_is_reported_with_its_message(tmp_path):
    m = model(tmp_path)
    m.world.runtime.start_failures.append(["worker", 1, "exec format error"])
    ctx, counted, b = start(m)
    assert counted is False
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=0 session=worker template=worker outcome=provider_error "
        "duration=0s err=exec format error"]
    assert ops(ctx) == [("reconciler.start.failed", "provider_error", {"error": "exec format error"})]


def test_a_provider_error_without_a_message_reads_start_failed(tmp_path, monkeypatch):
    m = model(tmp_path)

    def refuse(*_a, **_k):
        raise StartError("")

    monkeypatch.setattr(m.world.runtime, "start", refuse)
    ctx, counted, _ = start(m)
    assert counted is False
    assert lifecycle(ctx)[0].endswith("outcome=provider_error duration=0s err=start failed")


@pytest.mark.parametrize("claim", [True, False])
def test_a_dead_pane_that_will_not_go_leaves_the_name_taken_as_a_provider_error(tmp_path, claim):
    # the Start finds the name taken (ErrSessionExists) and the runtime observed again is not
    # live: runPreparedStartCandidate's outcome is provider_error, whoever the pane belonged to
    m = model(tmp_path, claim=claim, runtime=foreign(alive=False, session_id="gc-1") + "corpse = true\n")
    m.world.runtime.stop_failures.append(["worker", 1, "stuck"])
    ctx, counted, b = start(m)
    assert lifecycle(ctx) == [
        "session lifecycle: op=start wave=0 session=worker template=worker outcome=provider_error duration=0s"
        ' err=session "worker" already exists']
    assert counted is False
