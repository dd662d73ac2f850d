"""checkChurn (cmd/gc/session_reconciler.go, recordChurn and ClearChurnPatch): a session found
dead between 30 s and 5 minutes after its wake counts a churn cycle (its conversation reset, its
wake stamp released, its tick ended); the third cycle quarantines it with sleep_reason
context-churn and a quarantine action; a death after 5 minutes was productive and zeroes the
count; a live session, or a rapid crash (the stability check's), is no churn."""

from __future__ import annotations

import pytest
from factories import scenario_model

from core.actions import Action
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.exits_check import check_churn

CITY = """name = "churn"
start = "2026-03-08T12:00:00Z"
[city.workspace]
name = "test-city"
[[city.agent]]
name = "worker"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
template = "worker"
agent_name = "worker"
state = "active"
generation = "2"
session_key = "key-1"
last_woke_at = "{woke}"
churn_count = "{count}"
"""


def check(tmp_path, woke: str, count: str = "", alive: bool = False):
    m = scenario_model(tmp_path, CITY.format(woke=woke, count=count))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ended = check_churn(ctx, m.world.store.session("gc-1"), alive)
    return ctx, ended, m.world.store.session("gc-1")


def test_a_death_two_minutes_after_waking_counts_a_churn_cycle(tmp_path):
    ctx, ended, b = check(tmp_path, "2026-03-08T11:58:00Z", "1")
    assert ended is True
    assert b.get("churn_count") == "2" and b.get("last_woke_at") == "" and b.get("session_key") == ""
    assert b.get("sleep_reason") == "" and ctx.out.actions == []


def test_the_third_cycle_quarantines(tmp_path):
    ctx, ended, b = check(tmp_path, "2026-03-08T11:58:00Z", "2")
    assert ended is True
    assert b.get("churn_count") == "3" and b.get("sleep_reason") == "context-churn"
    assert b.get("quarantined_until") and b.get("last_woke_at") == ""
    assert ctx.out.actions == [Action("quarantine", "gc-1", "worker", "context-churn", "churn_count=3", "worker")]


@pytest.mark.parametrize("count", ["2", "0", ""])
def test_a_productive_death_zeroes_the_count(tmp_path, count):
    ctx, ended, b = check(tmp_path, "2026-03-08T11:50:00Z", count)
    assert ended is False
    assert b.get("churn_count") == ("0" if count == "2" else count)
    assert b.get("last_woke_at") == "2026-03-08T11:50:00Z" and b.get("session_key") == "key-1"
    assert ctx.out.actions == []


@pytest.mark.parametrize(("woke", "alive"), [("2026-03-08T11:58:00Z", True), ("2026-03-08T11:59:50Z", False)])
def test_a_live_session_or_a_rapid_crash_is_no_churn(tmp_path, woke, alive):
    ctx, ended, b = check(tmp_path, woke, "2", alive)
    assert ended is False
    assert b.get("churn_count") == "2" and b.get("last_woke_at") == woke and ctx.out.actions == []
