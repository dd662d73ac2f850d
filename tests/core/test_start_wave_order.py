"""candidateWaveOrder and dependencyTemplateWaveOrder (cmd/gc/session_lifecycle_parallel.go): the
start candidates' templates are layered by Kahn's algorithm over their depends_on edges, an edge
counting only toward a dependency that is itself a candidate template and not already alive;
every candidate gets its template's wave, templates keep their first-seen order within a wave,
and a cycle falls back to strictly serial order (each candidate its own wave) with the
`dependency graph fallback` log line."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from factories import scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import StartCandidate, execute_starts, wave_order

T0 = datetime(2026, 3, 8, 12, tzinfo=UTC)
CITY = """name = "waves"
start = "2026-03-08T12:00:00Z"
[city.workspace]
name = "test-city"
[[city.agent]]
name = "db"
[[city.agent]]
name = "cache"
depends_on = ["db"]
[[city.agent]]
name = "app"
depends_on = ["cache", "db", "mail"]
[[city.agent]]
name = "mail"
"""


def cand(name: str, template: str) -> StartCandidate:
    entry = DesiredEntry(session_name=name, template=template, identity=name, alias="", pool_slot=0, source="new")
    return StartCandidate(name, entry, 0, "demand", T0)


def ctx_for(tmp_path) -> TickContext:
    m = scenario_model(tmp_path, CITY)
    return TickContext(m.city, m.world, m.semantics, Outcome())


def test_templates_are_layered_by_their_candidate_dependencies(tmp_path):
    cands = [cand("app-1", "app"), cand("cache-1", "cache"), cand("db-1", "db"), cand("app-2", "app"),
             cand("db-2", "db")]
    waves, ok = wave_order(ctx_for(tmp_path), cands)
    assert ok is True
    # mail is no candidate: app waits only on cache (wave 1), which waits on db (wave 0)
    assert waves == {0: 2, 1: 1, 2: 0, 3: 2, 4: 0}


def test_an_alive_dependency_puts_no_edge(tmp_path, monkeypatch):
    monkeypatch.setattr("core.reconcile.starts.dependency_alive", lambda ctx, t: t == "db")
    waves, ok = wave_order(ctx_for(tmp_path), [cand("cache-1", "cache"), cand("db-1", "db")])
    assert (waves, ok) == ({0: 0, 1: 0}, True)


def test_independent_templates_share_wave_zero(tmp_path):
    waves, ok = wave_order(ctx_for(tmp_path), [cand("mail-1", "mail"), cand("db-1", "db"), cand("x-1", "unknown")])
    assert (waves, ok) == ({0: 0, 1: 0, 2: 0}, True)


@pytest.mark.parametrize("extra", [[], [cand("db-1", "db")]])
def test_a_cycle_falls_back_to_serial_order(tmp_path, monkeypatch, extra):
    # a loaded config refuses a depends_on cycle, so the agents are stood in for here
    cycle = {"ping": ("pong",), "pong": ("ping",), "db": ()}

    def with_cycle(ctx):
        monkeypatch.setattr(ctx, "agent", lambda t: SimpleNamespace(qualified_name=t, depends_on=cycle[t])
                            if t in cycle else None)
        return ctx

    cands = [cand("ping-1", "ping"), cand("pong-1", "pong"), *extra]
    waves, ok = wave_order(with_cycle(ctx_for(tmp_path)), cands)
    assert ok is False and waves == {i: i for i in range(len(cands))}
    ctx = with_cycle(ctx_for(tmp_path))
    execute_starts(ctx, cands)
    assert "session reconciler: dependency graph fallback to serial start order" in ctx.out.logs
    ctx = ctx_for(tmp_path)
    execute_starts(ctx, [cand("db-1", "db")])
    assert not any("fallback" in line for line in ctx.out.logs)


def test_a_dependency_named_twice_still_layers(tmp_path):
    # validateDependsOn refuses no repeated name; Go counts each edge in indegree and lists the
    # dependent once per edge, so both edges are released when the dependency's wave is emitted
    city = CITY.replace('depends_on = ["db"]', 'depends_on = ["db", "db"]')
    m = scenario_model(tmp_path, city)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    waves, ok = wave_order(ctx, [cand("cache-1", "cache"), cand("db-1", "db")])
    assert (waves, ok) == ({0: 1, 1: 0}, True)
