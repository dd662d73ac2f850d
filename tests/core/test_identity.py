"""Identity predicates and naming under the three semantics (gascity-config.md 4.1)."""

from __future__ import annotations

import pytest

from core.config.model import Agent
from core.identity import (
    canonical_singleton,
    expanded_session_identities,
    instance_expansion,
    multiple_sessions,
    pool_session_name,
    request_identity,
    sanitize,
    session_name_for,
    shape,
)

POOL_FLAVOUR = Agent(name="refinery", dir="cashmaster", max_active_sessions=1, scale_check="printf 1")
NAMED_FLAVOUR = Agent(name="refinery", dir="cashmaster", max_active_sessions=1)
NAMEPOOL_ONE = Agent(name="worker", dir="rig", max_active_sessions=1, namepool_names=("furiosa",))
UNLIMITED = Agent(name="dog", dir="gascity")
DISABLED = Agent(name="worker", max_active_sessions=0, min_active_sessions=0)


@pytest.mark.parametrize("agent, semantics, ucs, sie, sesi, sms", [
    (POOL_FLAVOUR, "current", True, True, False, False),
    (POOL_FLAVOUR, "pre-2053", False, True, True, False),
    (POOL_FLAVOUR, "pre-1989", False, False, False, False),
    (NAMED_FLAVOUR, "current", True, False, False, False),
    (NAMED_FLAVOUR, "pre-2053", False, False, False, False),
    (NAMEPOOL_ONE, "current", False, True, True, True),
    (UNLIMITED, "current", False, True, True, True),
    (DISABLED, "current", False, True, False, True),
], ids=["pool-flavour", "pool-flavour-pre2053", "pool-flavour-pre1989", "named-flavour", "named-flavour-pre2053",
        "namepool-max-one", "unlimited", "max-zero-min-set"])
def test_predicates(agent, semantics, ucs, sie, sesi, sms):
    assert canonical_singleton(agent, semantics) is ucs
    assert instance_expansion(agent, semantics) is sie
    assert expanded_session_identities(agent, semantics) is sesi
    assert multiple_sessions(agent) is sms


@pytest.mark.parametrize("agent, semantics, slot, want", [
    (POOL_FLAVOUR, "current", 1, ("cashmaster/refinery", 0)),
    (POOL_FLAVOUR, "pre-2053", 1, ("cashmaster/refinery-1", 1)),
    (NAMED_FLAVOUR, "pre-2053", 1, ("cashmaster/refinery", 0)),
    (NAMED_FLAVOUR, "pre-1989", 1, ("cashmaster/refinery-1", 1)),
    (NAMEPOOL_ONE, "current", 1, ("rig/furiosa", 1)),
    (NAMEPOOL_ONE, "current", 2, ("rig/worker-2", 2)),
    (UNLIMITED, "current", 7, ("gascity/dog-7", 7)),
])
def test_request_identity(agent, semantics, slot, want):
    assert request_identity(agent, slot, semantics) == want


def test_bound_namepool_instance_is_qualified_with_dir_and_binding():
    polecat = Agent(name="polecat", dir="repo", binding="gastown", namepool_names=("furiosa", "nux"))
    assert request_identity(polecat, 2) == ("repo/gastown.nux", 2)
    assert request_identity(polecat, 3) == ("repo/gastown.polecat-3", 3)


def test_runtime_names():
    assert sanitize("repo/gastown.mayor") == "repo--gastown__mayor"
    assert session_name_for(None, "gastown.mayor") == "gastown__mayor"
    assert pool_session_name("rig/claude", "gc-7") == "claude-gc-7"


def test_shape_names_the_rule_that_applied():
    assert shape(POOL_FLAVOUR).kind == "canonical-singleton"
    assert shape(POOL_FLAVOUR, None, "pre-2053").kind == "slot-pool"
    assert shape(DISABLED).kind == "disabled"
    assert shape(NAMEPOOL_ONE).kind == "namepool"
