"""The awake set's rows (core.awake_row.AwakeRow, made by core.reconcile.wake_apply.awake_rows):
the record's fields, and its JSON form as the state JSON's `awake[]` and explain's
`lifecycle.awake` print it (docs/scenario-extensions.md, "awake[] rows")."""

from __future__ import annotations

from factories import awake_bead

from core.awake_row import AssignedWork, AwakeRow, BridgedBead
from core.reconcile.awake import AwakeDecision, WakeEval
from core.reconcile.wake_apply import awake_rows

DECISION_KEYS = ["should_wake", "reason", "wake_reasons", "sleep_policy_suppressed", "has_assigned_work",
                 "assigned_work_bead", "requires_fresh_cycle"]


def _row(**fields) -> AwakeRow:
    base = dict(session_name="worker-1", bead_id="gc-1", should_wake=True, reason="assigned-work",
                wake_reasons=("work",), sleep_policy_suppressed=False, has_assigned_work=True,
                assigned_work_bead="w-2", requires_fresh_cycle=False)
    return AwakeRow(**{**base, **fields})


def test_rows_are_records_sorted_by_session_name_one_per_decided_session() -> None:
    beads = [awake_bead(id="gc-2", session_name="zeta"), awake_bead(id="gc-1", session_name="alpha"),
             awake_bead(id="gc-3", session_name="undecided")]
    decisions = {"zeta": AwakeDecision(True, "named-always"), "alpha": AwakeDecision(False, "idle-sleep")}
    evals = {"gc-2": WakeEval(["config"], "config", True, False)}
    rows = awake_rows(decisions, evals, beads)
    assert [(r.session_name, r.bead_id) for r in rows] == [("alpha", "gc-1"), ("zeta", "gc-2")]
    alpha, zeta = rows
    assert alpha.wake_reasons == () and alpha.sleep_policy_suppressed is False  # no WakeEval for it
    # a config wake the sleep policy suppressed on a session the set wakes
    assert zeta.wake_reasons == ("config",) and zeta.sleep_policy_suppressed is True
    # made without the computation's input: no `input` or `work` at all, not empty tables
    assert alpha.input is None and alpha.work is None
    assert list(alpha.to_json()) == ["session_name", "bead_id", *DECISION_KEYS]


def test_a_row_prints_the_documented_keys_in_order_and_its_work_by_id_in_input_order() -> None:
    bridged = BridgedBead(template="rig/worker", state="active", sleep_reason="", named_identity="",
                          explicit_wake=False, restart_requested=False, reset_pending=True, running=True,
                          attached=False, pending_interaction=False)
    work = (AssignedWork("w-2", "open", True, False), AssignedWork("w-10", "in_progress", False, True))
    row = _row(input=bridged, work=work)
    js = row.to_json()
    assert list(js) == ["session_name", "bead_id", *DECISION_KEYS, "input", "work"]
    assert js["wake_reasons"] == ["work"]
    assert js["input"]["template"] == "rig/worker" and js["input"]["reset_pending"] is True
    assert list(js["input"]) == ["template", "state", "sleep_reason", "named_identity", "explicit_wake",
                                 "restart_requested", "reset_pending", "running", "attached", "pending_interaction"]
    assert js["work"] == {"w-2": {"status": "open", "ready": True, "blocked": False},
                          "w-10": {"status": "in_progress", "ready": False, "blocked": True}}
    assert list(js["work"]) == ["w-2", "w-10"]
    # explain's lifecycle.awake is the same row without whom it decides for
    assert row.decision_json() == {k: v for k, v in js.items() if k not in ("session_name", "bead_id")}
    assert list(row.decision_json()) == [*DECISION_KEYS, "input", "work"]
