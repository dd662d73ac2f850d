"""The concrete identity persisted on a manual or legacy bead (sessionBeadQualifiedNameInfo,
normalizeSessionBeadQualifiedName), one case per rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent
from core.desired.context import normalize_identity_for, session_qualified_name
from core.world.beads import SessionBead

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
MULTI = Agent(name="w", dir="rig", max_active_sessions=3)
SINGLE = Agent(name="s", dir="rig", max_active_sessions=1)
BOUND = Agent(name="p", dir="repo", binding="gt", max_active_sessions=3)


@pytest.mark.parametrize("agent, identity, want", [
    (MULTI, "", ""), (MULTI, "  ", ""), (MULTI, "rig/w", "rig/w"), (MULTI, "other/x", "other/x"),
    (MULTI, "w-2", "rig/w-2"), (MULTI, " w-2 ", "rig/w-2"), (BOUND, "gt.p-1", "gt.p-1"), (BOUND, "p-1", "repo/gt.p-1"),
])
def test_normalize_identity_for(agent, identity, want):
    assert normalize_identity_for(agent, identity) == want


@pytest.mark.parametrize("agent, md, want", [
    (MULTI, {"agent_name": "w-2"}, "rig/w-2"),
    (SINGLE, {"agent_name": "rig/s"}, "rig/s"),
    (SINGLE, {"agent_name": "x"}, "rig/x"),
    (MULTI, {"agent_name": "rig/w", "session_name": "w-gc-1"}, "rig/w-gc-1"),   # legacy aliasless pooled bead
    (MULTI, {"session_name": "s-gc-4"}, "rig/s-gc-4"),
    (MULTI, {"agent_name": "rig/w", "alias": "rig/w-3", "session_name": "w-gc-1"}, "rig/w-3"),
    (MULTI, {"alias": "other/w-3"}, "rig/w-3"),                                 # the instance part, under this dir
    (MULTI, {"session_name": "lead", "session_name_explicit": "true", "alias": "w-1"}, "rig/w-1"),
    (MULTI, {"session_name": "lead", "session_name_explicit": "true"}, "rig/lead"),
    (MULTI, {}, "rig/w"),
    (SINGLE, {"session_name": "lead", "session_name_explicit": "true"}, "rig/lead"),
    (SINGLE, {"session_name": "lead"}, "rig/s"),                                # no explicit name for a single
    (SINGLE, {"session_name": "lead", "session_name_explicit": "true", "alias": "boss"}, "rig/s"),
    (BOUND, {"alias": "gt.p-2"}, "repo/gt.p-2"),
    (BOUND, {"alias": "  "}, "repo/gt.p"),
])
def test_session_qualified_name(agent, md, want):
    assert session_qualified_name(agent, SessionBead("b1", T0, md)) == want
