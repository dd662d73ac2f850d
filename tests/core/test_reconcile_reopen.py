"""closedNamedSessionReopenEligible (internal/session/named_config.go): which closed canonical
named bead sync may reopen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.reconcile.sync import reopen_eligible
from core.world.beads import SessionBead

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


@pytest.mark.parametrize("md, want", [
    ({}, True),
    ({"close_reason": "suspended", "state": "suspended"}, True),
    ({"close_reason": "drained", "state": "drained"}, True),
    ({"continuity_eligible": "true"}, True),
    ({"continuity_eligible": " false "}, False),
    *[({"close_reason": f" {r} "}, False) for r in ("duplicate", "duplicate-repair", "gc_swept", "orphaned",
                                                      "reconfigured", "stale-session", "failed-create")],
    *[({"state": r}, False) for r in ("duplicate", "duplicate-repair", "gc_swept", "orphaned",
                                        "reconfigured", "stale-session", "failed-create")],
])
def test_reopen_eligibility(md, want):
    assert reopen_eligible(SessionBead("gc-1", T0, md, False)) is want
