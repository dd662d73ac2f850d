"""sessionAssigneeMatches (cmd/gc/compute_awake_set.go), one case per rule."""

from __future__ import annotations

import pytest
from factories import awake_bead

from core.reconcile.awake import AwakeBead, AwakeNamed, assignee_matches


def bead(**kw) -> AwakeBead:
    return awake_bead(**{"session_name": "boss", "template": "rig/worker", **kw})


NAMED = [AwakeNamed("rig/boss", "rig/worker", "always", "boss"), AwakeNamed("other", "", "always", "boss"),
         AwakeNamed("wrong-template", "rig/mayor", "always", "boss"), AwakeNamed("no-runtime", "", "always", "")]


@pytest.mark.parametrize("kw, assignee, want", [
    ({}, "", False),
    ({}, "gc-1", True),
    ({}, "boss", True),
    ({"named_identity": "rig/boss"}, "rig/boss", True),
    ({"named_identity": "rig/boss"}, "other", False),          # a named identity decides alone
    ({}, "rig/boss", False),                                   # not configured named
    ({"configured_named": True}, "rig/boss", True),
    ({"configured_named": True}, "other", True),               # a named session without a template
    ({"configured_named": True}, "wrong-template", False),
    ({"configured_named": True}, "nobody", False),
    ({"configured_named": True, "session_name": "", "id": "gc-2"}, "no-runtime", False),
])
def test_assignee_matches(kw, assignee, want):
    assert assignee_matches(NAMED, bead(**kw), assignee) is want
