"""The wake budget and wake fairness of start execution (executePlannedStartsTraced and
sortCandidatesByWakeFairness, cmd/gc/session_lifecycle_parallel.go): ready candidates go least
recently woken (else oldest created) first, then round-robin across templates so one template's
backlog cannot spend the tick's budget (gc-unpyk); they start in batches of at most
defaultStartDependencyRecheckBatchSize (3) and never more than `[daemon] max_wakes_per_tick` in a
tick, the rest logged deferred_by_wake_budget; a start that finds the asynchronous start limiter
(capacity max_wakes_per_tick, shared with starts still in flight) full waits
(deferred_by_async_start_limit) and does not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import StartCandidate, execute_starts, fairness_sort
from core.world.runtime import PendingStart

T0 = datetime(2026, 3, 8, 12, tzinfo=UTC)
# (bead, template, minutes before T0 it last woke)
BEADS = [("w1", "worker", 50), ("w2", "worker", 40), ("w3", "worker", 30), ("w4", "worker", 25),
         ("h1", "helper", 20), ("h2", "helper", 10)]


def city(max_wakes: int) -> str:
    text = (f'name = "budget"\nstart = "2026-03-08T12:00:00Z"\n[city.workspace]\nname = "test-city"\n'
            f'[city.daemon]\nmax_wakes_per_tick = {max_wakes}\n'
            '[[city.agent]]\nname = "worker"\n[[city.agent]]\nname = "helper"\n')
    for bid, template, _ in BEADS:
        text += (f'[[session]]\nid = "{bid}"\n[session.metadata]\nsession_name = "{bid}"\ntemplate = "{template}"\n'
                 f'agent_name = "{template}"\nstate = "asleep"\n')
    return text


def cand(bid: str, template: str, minutes: int) -> StartCandidate:
    entry = DesiredEntry(session_name=bid, template=template, identity=bid, alias="", pool_slot=0, source="new",
                         bead_id=bid)
    return StartCandidate(bid, entry, 0, "demand", T0 - timedelta(minutes=minutes))


def run(tmp_path, max_wakes: int, pending: int = 0):
    m = scenario_model(tmp_path, city(max_wakes))
    for i in range(pending):  # starts still in flight from an earlier tick
        m.world.runtime.pending_starts[f"old-{i}"] = PendingStart(
            f"old-{i}", f"gc-old-{i}", "", "worker", {}, T0, T0 + timedelta(minutes=5), False, "", 0, "old")
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    woke = execute_starts(ctx, [cand(*b) for b in BEADS])
    outcomes = [(line.split("session=")[1].split()[0], line.split("outcome=")[1].split()[0])
                for line in ctx.out.logs if line.startswith("session lifecycle:") and "outcome=" in line]
    return woke, outcomes


def test_fairness_is_oldest_first_then_round_robin_across_templates():
    cands = [cand(*b) for b in reversed(BEADS)]
    assert [c.bead_id for c in fairness_sort(cands)] == ["w1", "h1", "w2", "h2", "w3", "w4"]


def test_fairness_rounds_count_each_template_apart():
    # three templates, uneven backlogs: each round takes one of each template still waiting
    cands = [cand("a1", "a", 9), cand("a2", "a", 8), cand("a3", "a", 7), cand("b1", "b", 6), cand("c1", "c", 5),
             cand("b2", "b", 4)]
    assert [c.bead_id for c in fairness_sort(cands)] == ["a1", "b1", "c1", "a2", "b2", "a3"]


@pytest.mark.parametrize(("max_wakes", "started"), [(1, 1), (3, 3), (4, 4), (6, 6)])
def test_the_budget_caps_the_starts_and_defers_the_rest_in_fairness_order(tmp_path, max_wakes, started):
    woke, outcomes = run(tmp_path, max_wakes)
    order = ["w1", "h1", "w2", "h2", "w3", "w4"]
    assert woke == started
    assert outcomes == ([(n, "success") for n in order[:started]]
                        + [(n, "deferred_by_wake_budget") for n in order[started:]])


def test_starts_still_in_flight_hold_async_limiter_slots(tmp_path):
    # budget 4 with 4 starts in flight: the limiter is full, every candidate waits and none counts
    woke, outcomes = run(tmp_path, 4, pending=4)
    assert woke == 0
    assert outcomes == [(n, "deferred_by_async_start_limit") for n in ["w1", "h1", "w2", "h2", "w3", "w4"]]
    # one slot free: the (synchronous) starts go through, up to the budget
    woke, outcomes = run(tmp_path, 4, pending=3)
    assert woke == 4 and [o for _, o in outcomes].count("success") == 4


def test_no_candidates_start_nothing(tmp_path):
    m = scenario_model(tmp_path, city(5))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    assert execute_starts(ctx, []) == 0 and ctx.out.logs == []


def test_a_wave_of_several_candidates_is_summarised(tmp_path):
    m = scenario_model(tmp_path, city(2))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    execute_starts(ctx, [cand(*b) for b in BEADS[:2]])
    assert ctx.out.logs[-1] == "session lifecycle: op=start wave=0 candidates=2 duration=0s"
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    execute_starts(ctx, [cand(*BEADS[4])])
    assert not any("candidates=" in line for line in ctx.out.logs)


DEPS = """name = "waves"
start = "2026-03-08T12:00:00Z"
[city.workspace]
name = "test-city"
[city.daemon]
max_wakes_per_tick = {max_wakes}
[[city.agent]]
name = "db"
[[city.agent]]
name = "app"
depends_on = ["db"]
""" + "".join(f'[[session]]\nid = "{bid}"\n[session.metadata]\nsession_name = "{bid}"\ntemplate = "{t}"\n'
              f'agent_name = "{t}"\nstate = "asleep"\n' for bid, t in
              [("db1", "db"), ("app1", "app"), ("app2", "app"), ("app3", "app")])


@pytest.mark.parametrize(("max_wakes", "expected"), [
    # the budget is spent by wave 0: the whole later wave is deferred before its dependencies are
    # read (app's dependency is not alive here, yet no candidate is logged blocked_on_dependencies)
    (1, [("db1", "success"), ("app1", "deferred_by_wake_budget"), ("app2", "deferred_by_wake_budget"),
         ("app3", "deferred_by_wake_budget")]),
    # one wake left for wave 1: one start, the rest deferred
    (2, [("db1", "success"), ("app1", "success"), ("app2", "deferred_by_wake_budget"),
         ("app3", "deferred_by_wake_budget")]),
])
def test_a_later_wave_starts_within_what_earlier_waves_left_of_the_budget(tmp_path, monkeypatch, max_wakes,
                                                                           expected):
    m = scenario_model(tmp_path, DEPS.format(max_wakes=max_wakes))
    # db counts alive for the wave-1 checks once started when the budget leaves room for wave 1
    # (the desired state is not built here)
    monkeypatch.setattr("core.reconcile.starts.deps_alive",
                        lambda ctx, t: t != "app" or (max_wakes > 1 and ctx.rt.alive("db1")))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    woke = execute_starts(ctx, [cand("app1", "app", 9), cand("app2", "app", 8), cand("app3", "app", 7),
                                cand("db1", "db", 1)])
    outcomes = [(line.split("session=")[1].split()[0], line.split("outcome=")[1].split()[0])
                for line in ctx.out.logs if line.startswith("session lifecycle:") and "outcome=" in line]
    assert outcomes == expected
    assert woke == max_wakes
    assert "session lifecycle: op=start wave=1 candidates=3 duration=0s" in ctx.out.logs


def test_a_candidate_whose_dependency_died_since_the_wave_began_waits_alone(tmp_path, monkeypatch):
    # runPreparedStartCandidate's batch re-check: w1's dependency dies between the wave's readiness
    # check and its batch; it is logged blocked and the rest of its batch still starts
    seen: dict[str, int] = {}

    def deps(ctx, template):
        seen[template] = seen.get(template, 0) + 1
        return not (template == "worker" and seen[template] > 1)

    monkeypatch.setattr("core.reconcile.starts.deps_alive", deps)
    m = scenario_model(tmp_path, city(5))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    woke = execute_starts(ctx, [cand(*BEADS[0]), cand(*BEADS[4])])
    outcomes = [(line.split("session=")[1].split()[0], line.split("outcome=")[1].split()[0])
                for line in ctx.out.logs if line.startswith("session lifecycle:") and "outcome=" in line]
    assert outcomes == [("w1", "blocked_on_dependencies"), ("h1", "success")]
    assert woke == 1
