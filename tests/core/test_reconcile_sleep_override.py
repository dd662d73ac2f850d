"""wakeDemandOverridesSleepSuppression (session_reconciler.go): which wake demand wakes a session
whose sleep policy suppresses config wakes. An explicit sleep intent always wins; assigned work
always overrides; pool or routed demand overrides a noninteractive policy only; a min-active
wake overrides when the config is among its reasons. The first three tests port
session_sleep_test.go's TestReconcilerWakeDemandOverridesSleepSuppressionFor* exactly."""

from __future__ import annotations

import pytest

from core.reconcile.sleep_policy import Policy, demand_overrides


def policy(sleep_class: str) -> Policy:
    return Policy(sleep_class, "", "", "", "", "", "", 0.0)


INTERACTIVE = policy("interactive_resume")
NONINTERACTIVE = policy("noninteractive")


def test_for_min_active():
    assert demand_overrides("min-active", False, ["config"], INTERACTIVE, 0, False)
    assert not demand_overrides("min-active", False, ["config"], INTERACTIVE, 0, True)
    # ordinary interactive pool demand still honors the suppression
    assert not demand_overrides("scaled:demand", False, ["config"], INTERACTIVE, 1, False)


def test_for_assigned_work():
    assert demand_overrides("assigned-work", True, ["work"], INTERACTIVE, 0, False)
    assert not demand_overrides("assigned-work", True, ["work"], INTERACTIVE, 0, True)


def test_for_routed_demand():
    # alias suppression zeroed the standby's pool count (or there is no pool entry at all)
    assert demand_overrides("routed-demand", False, ["work"], NONINTERACTIVE, 0, False)
    assert not demand_overrides("routed-demand", False, ["work"], NONINTERACTIVE, 0, True)


@pytest.mark.parametrize(("reason", "reasons", "p", "pool_desired", "want"), [
    ("scaled:demand", ["config"], NONINTERACTIVE, 1, True),  # pool demand, noninteractive policy
    ("scaled:demand", ["config"], NONINTERACTIVE, 0, False),  # no pool demand
    ("routed-demand", ["work"], INTERACTIVE, 0, False),  # routed demand, interactive policy
    ("min-active", [], INTERACTIVE, 0, False),  # min-active without the config reason
    ("idle", ["config"], INTERACTIVE, 0, False),  # the config reason without min-active
])
def test_pool_routed_and_min_active_demand(reason, reasons, p, pool_desired, want):
    assert demand_overrides(reason, False, reasons, p, pool_desired, False) is want
