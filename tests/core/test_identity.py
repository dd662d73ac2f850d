"""Identity predicates and naming under the three semantics (gascity-config.md 4.1)."""

from __future__ import annotations

import pytest

from core.config.city_config import Agent
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


# ---------------------------------------------------------------- what an operator reads, exactly

from core.config.city_config import City, NamedSession, Workspace  # noqa: E402
from core.identity import (  # noqa: E402
    Shape,  # noqa: E402
    basename,
    has_configured_bound,
    in_bounds_slot,
    owns_pool_session_name,
    persisted_identity_slot,
    predicates,
    usable_identity_slot,
)

SLOTS3 = Agent(name="polecat", dir="rig", max_active_sessions=3)
CREW = Agent(name="worker", dir="rig", max_active_sessions=5, namepool_names=("furiosa", "nux"))


@pytest.mark.parametrize("agent, semantics, want", [
    (POOL_FLAVOUR, "current", dict(SIE=True, UCS=True, SESI=False, SMS=False, SGE=True, unlimited=False)),
    (POOL_FLAVOUR, "pre-2053", dict(SIE=True, UCS=False, SESI=True, SMS=False, SGE=True, unlimited=False)),
    (UNLIMITED, "current", dict(SIE=True, UCS=False, SESI=True, SMS=True, SGE=True, unlimited=True)),
    (DISABLED, "current", dict(SIE=True, UCS=False, SESI=False, SMS=True, SGE=False, unlimited=False)),
    (Agent(name="dog", max_active_sessions=-1), "current",
     dict(SIE=True, UCS=False, SESI=True, SMS=True, SGE=True, unlimited=True)),
    (SLOTS3, "pre-1989", dict(SIE=True, UCS=False, SESI=True, SMS=True, SGE=True, unlimited=False)),
    (POOL_FLAVOUR, "pre-1989", dict(SIE=False, UCS=False, SESI=False, SMS=False, SGE=True, unlimited=False)),
])
def test_predicates_table_is_exact(agent, semantics, want):
    assert predicates(agent, semantics) == want


@pytest.mark.parametrize("agent, semantics, want", [
    (DISABLED, "current", Shape("disabled", "disabled", "max_active_sessions = 0: no generic sessions")),
    (CREW, "current", Shape("namepool", "namepool", "namepool set (2 names): identities come from the list")),
    (NAMED_FLAVOUR, "current", Shape("canonical-singleton", "canonical singleton",
                                     "max_active_sessions = 1 and no namepool: one session named exactly "
                                     "cashmaster/refinery")),
    (UNLIMITED, "current", Shape("unlimited", "unlimited pool", "max_active_sessions unset: dog-1, dog-2, ... without bound")),
    (Agent(name="dog", max_active_sessions=-1), "current",
     Shape("unlimited", "unlimited pool", "max_active_sessions unset: dog-1, dog-2, ... without bound")),
    (POOL_FLAVOUR, "pre-2053", Shape("slot-pool", "slot pool (1)",
                                     "pre-2053 rules: max = 1 with min/scale_check expands to refinery-1")),
    (NAMED_FLAVOUR, "pre-1989", Shape("slot-pool", "slot pool (1)", "pre-1989 rules: max = 1 expands to refinery-1")),
    (POOL_FLAVOUR, "pre-1989", Shape("slot-pool", "slot pool (1)", "pre-1989 rules: max = 1 expands to refinery-1")),
    (NAMED_FLAVOUR, "pre-2053", Shape("canonical-singleton", "singleton", "max_active_sessions = 1: bare name")),
    (SLOTS3, "current", Shape("slot-pool", "slot pool (3)", "max_active_sessions = 3: polecat-1 .. polecat-3")),
])
def test_shape_is_exact(agent, semantics, want):
    assert shape(agent, None, semantics) == want
    assert shape(agent, City(root=".", path="city.toml", agents=[agent]), semantics) == want


def test_shape_of_a_named_backing_template_names_its_sessions_and_keeps_the_generic_shape():
    city = City(root=".", path="city.toml", agents=[NAMED_FLAVOUR],
                named_sessions=[NamedSession(template="refinery", dir="cashmaster", mode="always"),
                                NamedSession(template="refinery", dir="cashmaster", name="boss")])
    assert shape(NAMED_FLAVOUR, city) == Shape(
        "named", "named + canonical singleton",
        "backs [[named_session]] cashmaster/refinery (always), cashmaster/boss (on_demand); generic shape: "
        "max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery")


@pytest.mark.parametrize("template, identity, want", [
    ("{{.City}}-{{.Agent}}", "rig/gastown.mayor", "harbor-rig--gastown__mayor"),
    ("{{ .Dir }}:{{ .Name }}", "rig/sub/mayor", "rig/sub:mayor"),
    ("{{.Dir}}|{{.Name}}", "mayor", "|mayor"),
    ("s-{{.Unknown}}-{{.Name}}", "mayor", "s--mayor"),
    ("", "rig/mayor", "rig--mayor"),
    ("   ", "rig/mayor", "   "),
])
def test_session_name_for_renders_the_workspace_session_template(template, identity, want):
    """SessionNameFor: City, Agent (sanitized), Dir and Name (split at the last slash)."""
    city = City(root=".", path="city.toml", workspace=Workspace(name="harbor", session_template=template))
    assert session_name_for(city, identity) == want


def test_request_identity_passes_its_semantics_on():
    """Under pre-2053 the scale_check carve-out expands max = 1; under pre-1989 it does not, and
    every request is numbered; under current the singleton stays bare."""
    assert request_identity(POOL_FLAVOUR, 2, "pre-2053") == ("cashmaster/refinery-2", 2)
    assert request_identity(NAMED_FLAVOUR, 0, "pre-1989") == ("cashmaster/refinery-1", 1)
    assert request_identity(NAMED_FLAVOUR, 3, "pre-2053") == ("cashmaster/refinery", 0)
    assert request_identity(SLOTS3, 2, "current") == ("rig/polecat-2", 2)
    assert instance_expansion(Agent(name="x", max_active_sessions=2), "pre-1989") is True


def test_slot_bounds():
    """inBoundsPoolSlot / usablePoolIdentitySlot: bounded by the namepool length and a positive max."""
    assert [in_bounds_slot(SLOTS3, n) for n in (0, 1, 3, 4)] == [False, True, True, False]
    assert [in_bounds_slot(CREW, n) for n in (1, 2, 3)] == [True, True, False]
    free = Agent(name="dog", namepool_names=("a", "b"))
    assert has_configured_bound(free) and [in_bounds_slot(free, n) for n in (2, 3)] == [True, False]
    zero = Agent(name="z", max_active_sessions=0)
    assert in_bounds_slot(zero, 5) is True  # max 0 bounds nothing by itself
    assert in_bounds_slot(UNLIMITED, 1) is False and usable_identity_slot(UNLIMITED, 99) is True
    assert usable_identity_slot(UNLIMITED, 0) is False and usable_identity_slot(SLOTS3, 4) is False


def test_basename_and_pool_session_name_ownership():
    assert basename("a/b/c") == "c" and basename("c") == "c"
    assert owns_pool_session_name("claude-gc-7", "rig/claude", "gc-7")
    assert owns_pool_session_name("custom-gc-7", "rig/claude", "gc-7")
    assert not owns_pool_session_name("claude-gc-70", "rig/claude", "gc-7")
    assert not owns_pool_session_name("claudegc-7", "rig/claude", "gc-7")


def test_persisted_identity_slot_reads_each_form():
    bound = Agent(name="polecat", dir="repo", binding="gastown", namepool_names=("furiosa", "nux"))
    assert persisted_identity_slot(SLOTS3, False, "", "  ", "rig/polecat-1") == 1
    assert persisted_identity_slot(SLOTS3, False, "polecat-2") == 0
    assert persisted_identity_slot(SLOTS3, True, "polecat-2") == 2
    assert persisted_identity_slot(bound, True, "gastown.polecat-3") == 3
    assert persisted_identity_slot(bound, False, "gastown.polecat-1") == 1
    assert persisted_identity_slot(SLOTS3, True, "polecat-1") == 1
    assert persisted_identity_slot(bound, True, "polecat-3") == 0  # a binding forbids the bare form
    assert persisted_identity_slot(bound, False, "nux") == 2
    assert persisted_identity_slot(bound, False, "repo/gastown.furiosa") == 1
    assert persisted_identity_slot(SLOTS3, False, "rig/polecat-0", "rig/polecat-2") == 2


def test_semantics_labels_name_the_pull_request_and_pass_an_unknown_id_through():
    from core.identity import semantics_label

    assert [semantics_label(s) for s in ("current", "pre-2053", "pre-1989")] == \
        ["current Gas City", "before Gas City #2053", "before Gas City #1989"]
    assert semantics_label("pre-9999") == "pre-9999"


def test_resolve_pool_slot_reads_what_strconv_atoi_reads():
    # resolvePoolSlot (session_beads.go; TestResolvePoolSlot_*) returns strconv.Atoi's value of
    # the suffix when Atoi accepts it: ASCII digits within int64 after an optional sign, leading
    # zeros allowed. Otherwise a legacy `gc-` suffix is read with Atoi's error dropped: 0 for
    # invalid syntax, the clamped int64 for a value out of range.
    from core.identity import resolve_pool_slot

    assert resolve_pool_slot("worker-3", "worker") == 3
    assert resolve_pool_slot("overseer", "overseer") == 0
    assert resolve_pool_slot("worker-abc", "worker") == 0
    assert resolve_pool_slot("worker-gc-1", "worker") == 1
    assert resolve_pool_slot("worker-gc-abc", "worker") == 0
    assert resolve_pool_slot("fenrir", "worker") == 0
    assert resolve_pool_slot("rig/claude-007", "rig/claude") == 7
    assert resolve_pool_slot("rig/claude-gc-012", "rig/claude") == 12
    assert resolve_pool_slot("rig/claude-+3", "rig/claude") == 3
    assert resolve_pool_slot("rig/claude--3", "rig/claude") == -3
    assert resolve_pool_slot("rig/claude-gc-+3", "rig/claude") == 3
    assert resolve_pool_slot("rig/claude-gc-99999999999999999999", "rig/claude") == (1 << 63) - 1
    assert resolve_pool_slot("rig/claude-gc--99999999999999999999", "rig/claude") == -(1 << 63)
    for tail in ("", "+", "٣", "gc-", "gc-x", "99999999999999999999", "1_0", " 3", "0x3"):
        assert resolve_pool_slot(f"rig/claude-{tail}", "rig/claude") == 0, tail
    assert resolve_pool_slot("rig/claude-0", "rig/claude") == 0
