"""The respawn circuit breaker at the prepared-start boundary (executePlannedStartsTraced,
cmd/gc/session_lifecycle_parallel.go, with recordSessionCircuitBreakerRestart and
persistSessionCircuitBreakerMetadata): with the opt-in breaker on, each start of a configured
named session counts a restart under its trimmed identity (namedSessionIdentityInfo) and persists
the breaker on the bead; the restart past max_restarts trips it (decision circuit_trip, the ERROR
line once, no start); while it is open each start is refused (decision circuit_open, the breaker's
metadata persisted again, no second ERROR line). A session without a configured identity, a
missing bead, or a city with the breaker off, is never gated and writes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from factories import scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import StartCandidate, _circuit_allows

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
CITY = """name = "breaker"
start = "2026-05-01T12:00:00Z"
[city.workspace]
name = "city"
[city.daemon]
session_circuit_breaker = {on}
session_circuit_breaker_max_restarts = 2
session_circuit_breaker_window = "30m"
[[city.agent]]
name = "mayor"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "mayor"
template = "mayor"
{identity}
"""
ERROR = ('ERROR session-circuit-breaker: CIRCUIT_OPEN for named session "mayor" (restarts=3 in last 30m0s, '
         'no progress). Supervisor will NOT respawn. Run `gc session reset mayor` to clear.')


def model(tmp_path, on: bool = True, identity: str = " mayor "):
    ident = f'configured_named_identity = "{identity}"' if identity else ""
    return scenario_model(tmp_path, CITY.format(on="true" if on else "false", identity=ident))


def gate(m, minutes: int, bead_id: str = "gc-1"):
    """One start's pass through the gate, `minutes` after T0 (the breaker memory carried over)."""
    m.world.now = T0 + timedelta(minutes=minutes)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    entry = DesiredEntry(session_name="mayor", template="mayor", identity="mayor", alias="", pool_slot=0,
                         source="new")
    allowed = _circuit_allows(ctx, StartCandidate(bead_id, entry, 0, "named-always", T0))
    return ctx, allowed, m.world.store.session("gc-1")


def decisions(ctx):
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields)
            for t in ctx.out.trace if t.record_type == "decision"]


def test_restarts_are_counted_until_the_breaker_trips_then_it_refuses(tmp_path):
    m = model(tmp_path)
    ctx, allowed, b = gate(m, 0)
    assert allowed is True and decisions(ctx) == [] and ctx.out.logs == []
    assert b.get("session_circuit_state") == "CIRCUIT_CLOSED"
    assert b.get("session_circuit_restarts") == '["2026-05-01T12:00:00Z"]'
    ctx, allowed, b = gate(m, 1)
    assert allowed is True
    assert b.get("session_circuit_restarts") == '["2026-05-01T12:00:00Z","2026-05-01T12:01:00Z"]'
    # the third restart in the window, max_restarts 2: the breaker trips and the start waits
    ctx, allowed, b = gate(m, 2)
    assert allowed is False
    assert decisions(ctx) == [("reconciler.session.circuit_trip", "circuit_trip", "skipped", "mayor", "mayor",
                               {"identity": "mayor"})]
    assert ctx.out.logs == [ERROR]
    assert b.get("session_circuit_state") == "CIRCUIT_OPEN" and b.get("session_circuit_open_restart_count") == "3"
    # open: refused, persisted again (a fresh bead copy shows the write), logged no more
    m.do({"do": "set_session", "id": "gc-1", "metadata": {"session_circuit_state": ""}})
    ctx, allowed, b = gate(m, 3)
    assert allowed is False
    assert decisions(ctx) == [("reconciler.session.circuit_open", "circuit_open", "skipped", "mayor", "mayor",
                               {"identity": "mayor"})]
    assert ctx.out.logs == []
    assert b.get("session_circuit_state") == "CIRCUIT_OPEN"


def test_an_open_breaker_logs_its_error_once_even_when_first_met_open(tmp_path):
    # a breaker that tripped elsewhere (its ERROR line not written yet) logs it at the first refusal
    m = model(tmp_path)
    for minute in range(3):
        gate(m, minute)
    c = m.world.memory.circuits["mayor"]
    m.world.memory = m.world.memory.set("circuits", "mayor", replace(c, logged_open_once=False))
    ctx, allowed, _ = gate(m, 3)
    assert allowed is False and ctx.out.logs == [ERROR]


@pytest.mark.parametrize(("on", "identity", "bead_id"), [
    (False, " mayor ", "gc-1"),   # the breaker is off
    (True, "", "gc-1"),           # not a configured named session
    (True, "   ", "gc-1"),        # an identity of blanks trims to none
    (True, " mayor ", "gc-gone"),  # no bead
])
def test_an_ungated_start_is_allowed_and_writes_nothing(tmp_path, on, identity, bead_id):
    m = model(tmp_path, on=on, identity=identity)
    before = m.world.store.session("gc-1").metadata
    for minute in range(4):  # more than max_restarts
        ctx, allowed, b = gate(m, minute, bead_id)
        assert allowed is True and decisions(ctx) == [] and ctx.out.logs == []
    assert b.metadata == before
