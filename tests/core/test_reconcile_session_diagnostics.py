"""Two per-session diagnostics of reconcileSessionBeads (cmd/gc/session_reconciler.go), called
directly. recordResetStallIfDue: a committed conversation reset (continuation_reset_pending with
a reset_committed_at that parses) whose session is still not alive more than the startup timeout
later is logged, evented (session.reset_stalled) and traced once per bead (the drain tracker's
markResetStall). emitSessionUnknownStateDiagnostic: a bead in a state the reconciler does not
know is logged and evented once per state value, escalated once after 30 minutes, and always
traced as skipped with the raw state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import record_reset_stall, unknown_state
from core.world.world import World


def setup(**md: str) -> TickContext:
    world = World()
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", **md), "create")
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.startup_timeout = 60.0
    return ctx


def records(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in ctx.out.trace]


# ---------------------------------------------------------------------------- reset stall

RESET = {"continuation_reset_pending": "true", "reset_committed_at": "2025-12-31T23:58:59Z"}  # 61 s before now
MSG = "session reconciler: reset stalled for worker-rt: elapsed_s=61 reset_committed_at=2025-12-31T23:58:59Z bead_id=gc-1"


def test_a_reset_still_not_alive_after_the_startup_timeout_is_reported_once():
    ctx = setup(**RESET)
    record_reset_stall(ctx, ctx.store.session("gc-1"), "tpl", "worker-rt", False)
    assert ctx.out.logs == [MSG]
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.reset_stalled", "worker-rt", MSG, "gc-1")]
    assert records(ctx) == [("reconciler.session.reset_stalled", "reset_stalled", "failed", "tpl", "worker-rt",
                             {"bead_id": "gc-1", "elapsed_s": 61, "reset_committed_at": "2025-12-31T23:58:59Z",
                              "startup_timeout_s": 60})]
    assert ctx.mem.reset_stalls.get("gc-1") is True
    ctx.now += timedelta(minutes=5)
    record_reset_stall(ctx, ctx.store.session("gc-1"), "tpl", "worker-rt", False)
    assert len(ctx.out.logs) == 1 and len(ctx.out.events) == 1 and len(ctx.out.trace) == 1


@pytest.mark.parametrize(("md", "alive", "timeout"), [
    ({**RESET, "reset_committed_at": "2025-12-31T23:59:00Z"}, False, 60.0),  # exactly the timeout: not yet
    (RESET, True, 60.0),  # alive: the reset took
    (RESET, False, 0.0),  # no startup timeout
    ({**RESET, "continuation_reset_pending": "false"}, False, 60.0),  # no reset pending
    ({**RESET, "reset_committed_at": "soon"}, False, 60.0),  # a commit time that does not parse
])
def test_no_stall_is_reported(md, alive, timeout):
    ctx = setup(**md)
    ctx.startup_timeout = timeout
    record_reset_stall(ctx, ctx.store.session("gc-1"), "tpl", "worker-rt", alive)
    assert (ctx.out.logs, ctx.out.events, ctx.out.trace) == ([], [], [])
    assert "gc-1" not in ctx.mem.reset_stalls


def test_the_elapsed_seconds_are_truncated_and_the_raw_stamp_trimmed():
    ctx = setup(continuation_reset_pending=" true ", reset_committed_at=" 2025-12-31T23:58:00Z ")
    ctx.now += timedelta(milliseconds=900)
    record_reset_stall(ctx, ctx.store.session("gc-1"), "tpl", "worker-rt", False)
    assert records(ctx)[0][5]["elapsed_s"] == 120
    assert records(ctx)[0][5]["reset_committed_at"] == "2025-12-31T23:58:00Z"


# ---------------------------------------------------------------------------- unknown state

FIRST = 'session "worker" has unrecognized state "hibernating"; reconciler is skipping it (forward-compatible rollback)'


def test_a_first_sight_is_logged_evented_stamped_and_traced():
    ctx = setup(state="hibernating", unknown_state_escalated_at="2025-12-31T00:00:00Z")
    unknown_state(ctx, ctx.store.session("gc-1"))
    assert ctx.out.logs == ['session reconciler: skipping worker with unknown state "hibernating"']
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.unknown_state", "gc-1", FIRST, "gc-1")]
    b = ctx.store.session("gc-1")
    assert (b.get("unknown_state_first_seen"), b.get("unknown_state_value"), b.get("unknown_state_escalated_at")) == \
        ("2026-01-01T00:00:00Z", "hibernating", "")
    assert records(ctx) == [("reconciler.session.skip_unknown_state", "unknown_state_skipped", "skipped", "worker",
                             "worker", {"state": "hibernating"})]


def test_a_seen_state_is_only_traced_until_its_escalation_is_due():
    ctx = setup(state="hibernating", unknown_state_first_seen="2025-12-31T23:30:01Z",
                unknown_state_value="hibernating")
    before = ctx.store.session("gc-1")
    unknown_state(ctx, before)
    assert (ctx.out.logs, ctx.out.events) == ([], [])
    assert ctx.store.session("gc-1").metadata == before.metadata
    assert [t.outcome_code for t in ctx.out.trace] == ["skipped"]


def test_the_escalation_is_said_once_after_thirty_minutes():
    ctx = setup(state="hibernating", unknown_state_first_seen="2025-12-31T23:30:00Z",
                unknown_state_value="hibernating")
    unknown_state(ctx, ctx.store.session("gc-1"))
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == [
        ("session.unknown_state", "gc-1", 'session "worker" still has unrecognized state "hibernating" after 30m0s; '
         "reconciler continues to skip it \u2014 operator or pack recovery required", "gc-1")]
    b = ctx.store.session("gc-1")
    assert (b.get("unknown_state_escalated_at"), b.get("unknown_state_first_seen")) == \
        ("2026-01-01T00:00:00Z", "2025-12-31T23:30:00Z")
    assert ctx.out.logs == []
    unknown_state(ctx, b)
    assert len(ctx.out.events) == 1


def test_a_first_seen_stamp_that_does_not_parse_never_escalates():
    ctx = setup(state="hibernating", unknown_state_first_seen="long ago", unknown_state_value="hibernating")
    unknown_state(ctx, ctx.store.session("gc-1"))
    assert ctx.out.events == [] and ctx.store.session("gc-1").get("unknown_state_escalated_at") == ""


def test_the_diagnostic_names_the_trimmed_session_and_traces_the_raw_one():
    ctx = setup(state="hibernating")
    ctx.store.update_session("gc-1", {"session_name": " worker "})
    unknown_state(ctx, ctx.store.session("gc-1"))
    assert ctx.out.logs == ['session reconciler: skipping worker with unknown state "hibernating"']
    assert ctx.out.events[0].message == FIRST
    assert [(t.template, t.session_name) for t in ctx.out.trace] == [("worker", " worker ")]


def test_a_new_state_value_restarts_the_window_and_lifts_the_escalation():
    ctx = setup(state="dormant", unknown_state_first_seen="2025-12-31T00:00:00Z", unknown_state_value="hibernating",
                unknown_state_escalated_at="2025-12-31T00:30:00Z")
    unknown_state(ctx, ctx.store.session("gc-1"))
    b = ctx.store.session("gc-1")
    assert (b.get("unknown_state_first_seen"), b.get("unknown_state_value"), b.get("unknown_state_escalated_at")) == \
        ("2026-01-01T00:00:00Z", "dormant", "")
    assert len(ctx.out.events) == 1 and "dormant" in ctx.out.events[0].message


def test_a_one_second_startup_timeout_still_reports_a_stall():
    # only a timeout of zero or less turns the diagnostic off
    ctx = setup(**RESET)
    ctx.startup_timeout = 1.0
    record_reset_stall(ctx, ctx.store.session("gc-1"), "tpl", "worker-rt", False)
    assert [t.fields["startup_timeout_s"] for t in ctx.out.trace] == [1]
