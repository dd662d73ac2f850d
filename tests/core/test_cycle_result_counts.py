"""The cycle_result record that closes a tick's trace (recordCycleResult in Gas City's session
reconciler trace): counts of decisions by site, of operations by phase name (the site for an
operation without one), of mutations by site, and of the decisions' non-empty reason and outcome
codes, with the sorted templates the decisions touched."""

from __future__ import annotations

from factories import make_city

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.records import cycle_result
from core.tracefile.record import BuildRecord
from core.world.world import World


def test_cycle_result_counts_the_tick_records():
    ctx = TickContext(make_city(Agent(name="worker")), World(), "current", Outcome())
    ctx.follow_up = True
    ctx.out.trace += [
        BuildRecord("decision", "site.b", "why", "kept", ""),
        BuildRecord("decision", "site.a", "why", "done", "worker"),
        BuildRecord("decision", "site.a", "", "", "mayor"),
        BuildRecord("operation", "op.site", operation_name="phase.one"),
        BuildRecord("operation", "op.site"),
        BuildRecord("mutation", "zz"),
        BuildRecord("mutation", "bead_metadata", "why", "done", "ignored"),
        BuildRecord("session_result", "other", "why", "done", "ignored"),
    ]
    cycle_result(ctx, "patrol")
    rec = ctx.out.trace[-1]
    assert (rec.record_type, rec.site_code, rec.reason_code, rec.outcome_code, rec.template, rec.session_name) == \
        ("cycle_result", "cycle.finish", "", "complete", "", "")
    assert rec.fields == {
        "phase": "tick", "trigger": "patrol", "templates_touched": ["mayor", "worker"], "active_template_count": 2,
        "decision_counts": {"site.a": 2, "site.b": 1}, "operation_counts": {"op.site": 1, "phase.one": 1},
        "mutation_counts": {"bead_metadata": 1, "zz": 1}, "reason_counts": {"why": 2}, "outcome_counts": {"done": 1, "kept": 1},
        "follow_up_requested": True}
    assert list(rec.fields["decision_counts"]) == ["site.a", "site.b"]
    assert list(rec.fields["operation_counts"]) == ["op.site", "phase.one"]
    assert list(rec.fields["outcome_counts"]) == ["done", "kept"]
    assert list(rec.fields["mutation_counts"]) == ["bead_metadata", "zz"]


def test_an_empty_trace_gives_empty_counts():
    ctx = TickContext(make_city(Agent(name="worker")), World(), "current", Outcome())
    cycle_result(ctx, "poke")
    f = ctx.out.trace[-1].fields
    assert (f["templates_touched"], f["active_template_count"], f["decision_counts"], f["follow_up_requested"],
            f["trigger"]) == ([], 0, {}, False, "poke")
