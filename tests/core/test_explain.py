"""Focused `explain` cases: a deferral and its reclaim, a named session, a dependency floor, a
discovered session, a closed orphan, adoption, spellings and the Why panel's entry point."""

from __future__ import annotations

import pathlib

import pytest

from core.explain.explanation import (
    ExplainError,
    explain_session,
    known_names,
    render_explanation,
)
from core.explain.records import Explanation
from core.explain.run import explain_target, run_target

SCN = pathlib.Path(__file__).parent.parent / "scenarios"
B9 = str(SCN / "desired" / "B9-two-tick-reclaim.toml")
S8 = str(SCN / "incidents" / "S8-deferred-alias-backoff.toml")
S1 = str(SCN / "incidents" / "S1-named-max1-no-phantom-slot.toml")
F3 = str(SCN / "desired" / "F3-discovered-root-gets-floor.toml")
R18 = str(SCN / "reconcile" / "R18-orphan-dead-closed.toml")
R36 = str(SCN / "reconcile" / "R36-adoption-pool-slot.toml")
S10 = str(SCN / "incidents" / "S10-drained-predecessor-swept-then-alias-claimed.toml")


def rules(x: Explanation) -> list[str]:
    return [r.rule for r in x.rules]


def test_b9_deferred_on_the_first_tick_then_reclaimed_on_the_second() -> None:
    first = explain_target(B9, "gc-stale", steps=1)
    assert first.desired and first.demand.source == "resume" and first.demand.work_bead == "w-1"
    assert rules(first)[:3] == ["shape.canonical_singleton", "demand.resume", "slot.canonical"]
    assert "alias.deferred" in rules(first)
    a = first.alias
    assert a is not None and a.retry is not None
    r = a.retry
    assert a.state == "deferred" and r.wanted == "cashmaster/refinery" and r.attempts == 1
    assert r.backoff == "30s" and r.next_retry_at == "2026-05-16T12:00:30Z" and r.retry_due is False
    # the canonical holder was swept on that same tick: nothing holds the alias any more
    assert r.holder == "" and "next sync or normalization claims it" in a.explanation
    assert first.identity.bead_agent_name == "cashmaster/refinery-1"
    assert first.identity.desired_identity == "cashmaster/refinery"
    assert "deferred" in first.summary

    last = explain_target(B9, "gc-stale")
    assert last.alias.state == "claimed" and last.alias.bead == "cashmaster/refinery"
    assert "alias.reclaimed" in rules(last) and "alias.deferred" not in rules(last)
    assert last.alias.history == ("cashmaster/refinery-1",)
    assert [(h.step, h.kind) for h in last.history or ()] == [(1, "defer_alias"), (3, "normalize")]
    # the old spelling still finds the session
    assert explain_target(B9, "cashmaster/refinery-1").lifecycle.bead == "gc-stale"


def test_deferral_names_the_live_holder_and_the_backoff() -> None:
    x = explain_target(S8, "gc-2", steps=1)
    a = x.alias
    assert a is not None and a.retry is not None
    assert (a.retry.holder, a.retry.holder_state, a.retry.attempts, a.retry.backoff) == ("gc-1", "awake", 1, "30s")
    assert "gc-1 (awake) holds it" in a.explanation and "next at 2026-08-01T12:00:30Z" in a.explanation
    later = explain_target(S8, "gc-2", steps=5).alias
    assert later is not None and later.retry is not None
    assert (later.retry.attempts, later.retry.backoff) == (2, "1m0s")
    # the holder itself: undesired but kept alive by its work
    holder = explain_target(S8, "gc-1", steps=1)
    assert not holder.desired and holder.rules[-1].rule == "undesired.canonical_duplicate"
    assert "gc-2" in holder.rules[-1].detail
    assert holder.alias.state == "held"


def test_named_session_by_identity() -> None:
    x = explain_target(S1, "cashmaster/refinery", steps=1)
    assert x.matched_by == "alias"  # the entry's alias is its identity; alias ranks first
    assert rules(x)[:2] == ["shape.named", "demand.named_on_demand"]
    assert x.alias.state == "named" and x.demand.named_demand is True
    assert x.identity.shape == "named"
    assert x.lifecycle.wake_reason == "assigned-work"
    assert "start (assigned-work)" in x.lifecycle.last_step.actions
    # the runtime name and the bead id are the same session
    by_name = explain_target(S1, "cashmaster--refinery", steps=1)
    assert by_name.lifecycle.bead == x.lifecycle.bead == "gc-1"
    assert by_name.matched_by == "session name"


def test_dependency_floor_and_the_discovered_root() -> None:
    floor = explain_target(F3, "gc-1")
    assert floor.demand.source == "dependency-floor"
    assert "demand.dependency_floor" in rules(floor)
    assert "helper depends_on db" in floor.demand.explanation
    assert floor.alias.state == "none" and floor.slot.explanation.startswith("no slot: dependency floor")
    assert "runs as db-1" in floor.identity.explanation
    # the floor takes the bead's session name as its identity, and says so right after the alias rule
    names = rules(floor)
    assert names.index("identity.floor_session_name") == names.index("alias.none") + 1
    detail = floor.rules[names.index("identity.floor_session_name")].detail
    assert "canonical identity db-1" in detail and "session name db-gc-1" in detail
    root = explain_target(F3, "s-gc-100")
    assert root.lifecycle.bead == "gc-100" and root.demand.source == "discovered"
    assert "demand.discovered" in rules(root)


def test_closed_orphan_says_why_it_is_not_desired() -> None:
    x = explain_target(R18, "orphan")
    assert x.lifecycle.bead == "gc-1" and not x.lifecycle.open and not x.desired
    assert rules(x) == ["shape.unconfigured", "identity.recorded", "undesired.closed"]
    assert "closed as orphaned" in x.rules[-1].detail
    assert x.demand.reason == "undesired.closed"
    assert x.lifecycle.close_reason == "session orphaned: configured agent removed"
    assert [(h.kind, h.reason) for h in x.history or ()] == [("close", "orphaned")]


def test_swept_predecessor_and_its_replacement() -> None:
    old = explain_target(S10, "gc-1")
    assert "gc_swept" in old.summary and old.alias.state == "released"
    new = explain_target(S10, "repo/refinery")
    assert new.lifecycle.bead == "gc-2" and new.alias.state == "claimed"


def test_adopted_bead_starts_its_chain_with_the_adoption() -> None:
    ran = run_target(R36)
    adopted = [h.bead_id for h in ran.history if h.kind == "adopt"]
    assert adopted
    x = explain_session(ran.model, adopted[0], outcome=ran.last, history=ran.history)
    assert x.rules[0].rule.startswith("adopt.")
    assert "adoption barrier" in x.rules[0].detail


def test_unknown_session_lists_the_known_names() -> None:
    with pytest.raises(ExplainError) as e:
        explain_target(B9, "nobody")
    msg = str(e.value)
    assert "'nobody'" in msg and "gc-stale" in msg and "cashmaster/refinery" in msg and "s-refinery-canonical" in msg


def test_steps_out_of_range() -> None:
    with pytest.raises(ExplainError, match="has only 3 step"):
        explain_target(B9, "gc-stale", steps=4)
    with pytest.raises(ExplainError, match="--steps"):
        explain_target(B9, "gc-stale", steps=-1)


def test_before_any_step_beads_are_explained_without_a_build() -> None:
    x = explain_target(B9, "gc-canonical", steps=0)
    assert not x.desired and x.rules[-1].rule == "undesired.no_build"
    assert x.target.steps_run == 0


def test_semantics_override_reaches_the_model() -> None:
    x = explain_target(B9, "gc-stale", steps=1, semantics="pre-2053")
    assert x.identity.semantics == "pre-2053" and x.target.semantics == "pre-2053"


def test_why_panel_entry_point_keeps_its_shape() -> None:
    ran = run_target(B9)
    x = explain_session(ran.model, "gc-stale")
    assert x.found and x.rules and x.history is None and x.lifecycle is not None and x.lifecycle.last_step is None
    assert "history" not in x.to_json() and x.to_json()["lifecycle"]["last_step"] == {}
    for name, section in x.sections():
        assert section is not None and section.to_json(), name
    missing = explain_session(ran.model, "nobody")
    assert missing.found is False and missing.rules == ()
    assert all(section is None for _, section in missing.sections())
    assert "gc-stale" in known_names(ran.model)


def test_text_form_reads_top_to_bottom() -> None:
    text = render_explanation(explain_target(B9, "gc-stale", steps=1))
    lines = text.splitlines()
    assert lines[0].startswith("cashmaster/refinery is desired (resume)")
    order = [lines.index(h) for h in ("rules", "identity", "alias", "slot", "demand", "lifecycle", "history")]
    assert order == sorted(order)
    assert "   1. shape.canonical_singleton" in lines


S7 = str(SCN / "incidents" / "S7-named-predecessor-session-name-reclaimed.toml")


def test_lifecycle_carries_the_awake_set_row_of_the_last_tick() -> None:
    live = explain_target(S7, "gc-live")
    row = live.lifecycle.awake
    assert row.should_wake is True and row.reason == "assigned-work" and row.wake_reasons == ("work",)
    assert row.has_assigned_work is True and row.assigned_work_bead == "w-1"
    assert "the last tick's awake set wants it awake: assigned-work (work assigned to it)" in live.lifecycle.explanation
    old = explain_target(S7, "gc-old")
    assert old.lifecycle.awake.should_wake is False and old.lifecycle.awake.reason == ""
    assert "the last tick's awake set has no wake reason for it" in old.lifecycle.explanation
    # before any tick there is no awake set
    assert explain_target(S7, "gc-live", steps=0).lifecycle.awake is None


def test_a_step_without_a_tick_keeps_the_last_ticks_awake_set_for_explain(tmp_path) -> None:
    text = pathlib.Path(S7).read_text().replace('[[expect]]', '[[step]]\ndo = "advance"\nby = "5s"\n\n[[expect]]', 1)
    path = tmp_path / "s7-advance.toml"
    path.write_text(text.replace("after = 2", "after = 3"))
    x = explain_target(str(path), "gc-live")
    assert x.target.steps_run == 3 and x.lifecycle.awake.reason == "assigned-work"


def test_a_floor_whose_bead_records_its_session_name_says_what_it_runs_as() -> None:
    """The demo's witness floor: bead and entry agree on witness-gc-N, so the identity sentence
    must still say the canonical identity is only what it runs as, not its shape's name."""
    from core.demo import open_demo
    from core.explain.explanation import explain_session
    d = open_demo()
    for _ in range(8):
        d.step()
    floor = next(e for e in d.model.last_desired.entries.values() if e.template == "harbor/witness")
    x = explain_session(d.model, floor.bead_id)
    assert x.demand.source == "dependency-floor"
    name = x.identity.session_name
    assert x.identity.explanation == (f"desired under its session name {name} (dependency floor); "
                                            "it runs as harbor/witness")


def test_a_duplicate_floor_bead_is_explained_as_such() -> None:
    """The demo's first tick mints the witness floor twice (Gas City's refresh pass cannot reuse
    the build's bead, which sync has not marked dependency_only yet): the canonical alias stays
    with the earlier bead, and explain must say why it is undesired, not blame missing demand."""
    from core.demo import open_demo
    from core.explain.explanation import explain_session
    d = open_demo()
    for _ in range(2):
        d.step()
    floor = next(e for e in d.model.last_desired.entries.values() if e.template == "harbor/witness")
    assert "demand.duplicate_floor" in [w.rule for w in floor.why]
    x = explain_session(d.model, "harbor/witness")
    assert x.desired is False and x.demand.reason == "undesired.duplicate_floor"
    assert floor.bead_id in x.demand.explanation and "dependency_only" in x.demand.explanation
