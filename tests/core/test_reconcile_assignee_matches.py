"""sessionAssigneeMatches (cmd/gc/compute_awake_set.go), one case per rule."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from core.reconcile.awake import AwakeBead, AwakeNamed, assignee_matches

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)


def bead(**kw) -> AwakeBead:
    base = {f.name: (False if f.type in ("bool", bool) else None if "datetime | None" in str(f.type) else "")
            for f in fields(AwakeBead)}
    base.update(id="gc-1", session_name="boss", template="rig/worker", created_at=T0)
    base.update(kw)
    return AwakeBead(**base)


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
