"""The build's indexed template lookups answer exactly what Gas City's linear scans answer
(first match wins; an ambiguous instance identity resolves to nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from core.config.city_config import Agent, City
from core.desired.lookup import TemplateLookup, parse_qualified
from core.identity import (
    SEMANTICS,
    expanded_session_identities,
    has_configured_bound,
    in_bounds_slot,
    instance_expansion,
    persisted_identity_slot,
)


# ---- the scans, as Gas City writes them (and as the build did before it was indexed) ----
def scan_find(city: City, template: str) -> Agent | None:
    template = (template or "").strip()
    if not template:
        return None
    a = city.agent(template)
    if a is not None:
        return a
    dir_, name = parse_qualified(template)
    for a in city.agents:
        if not a.binding and a.dir == dir_ and a.name == name:
            return a
    binding, dot, unbound = name.partition(".")
    if dot and binding.strip():
        for a in city.agents:
            if not a.binding and a.dir.strip() == dir_.strip() and a.name.strip() == unbound.strip():
                return a
    return None


def scan_legacy(city: City, semantics: str, stored: str) -> str:
    stored = (stored or "").strip()
    if not stored:
        return ""
    a = scan_find(city, stored)
    if a is not None:
        return a.qualified_name
    match = ""
    for a in city.agents:
        if not instance_expansion(a, semantics) or parse_qualified(a.qualified_name)[1] != stored:
            continue
        if match and match != a.qualified_name:
            return ""
        match = a.qualified_name
    return match


def scan_identity(city: City, semantics: str, identity: str) -> str:
    identity = (identity or "").strip()
    if not identity:
        return ""
    a = scan_find(city, identity)
    if a is not None:
        return a.qualified_name
    legacy = scan_legacy(city, semantics, identity)
    if legacy:
        return legacy
    match = ""
    for a in city.agents:
        if not instance_expansion(a, semantics):
            continue
        n = persisted_identity_slot(a, True, identity)
        if n <= 0 or (has_configured_bound(a) and not in_bounds_slot(a, n)):
            continue
        if match and match != a.qualified_name:
            return ""
        match = a.qualified_name
    return match


def scan_route(city: City, semantics: str, target: str) -> str:
    if not target:
        return target
    for a in city.agents:
        if not expanded_session_identities(a, semantics):
            continue
        prefix = a.qualified_name + "-"
        if not target.startswith(prefix):
            continue
        tail = target[len(prefix):]
        if not tail.isdigit() or int(tail) < 1:
            continue
        m = a.max_active_sessions
        if m is not None and m >= 0 and int(tail) > m:
            continue
        return a.qualified_name
    return target


# ---- generated cities and spellings ----
NAMES = ("a", "a-1", "w", "gc")
agents = st.builds(
    Agent,
    name=st.sampled_from(NAMES),
    dir=st.sampled_from(("", "r", "r/s")),
    binding=st.sampled_from(("", "b")),
    max_active_sessions=st.sampled_from((None, -1, 0, 1, 2, 3)),
    min_active_sessions=st.sampled_from((None, 0, 1)),
    scale_check=st.sampled_from(("", "printf 1")),
    namepool_names=st.sampled_from(((), ("nux",), ("nux", "a-2"), ("w",))),
)
SPELLINGS = [f"{pad}{d}{b}{n}{suffix}{pad}"
             for d in ("", "r/", "r/s/", "x/") for b in ("", "b.", "c.") for n in NAMES + ("nux", "a-2", "zz")
             for suffix in ("", "-1", "-2", "-3", "-4", "-0", "-gc-7", "-gc-", "-x", "-") for pad in ("", " ")]


@settings(max_examples=60, deadline=None)
@given(st.lists(agents, min_size=1, max_size=6), st.sampled_from(SEMANTICS))
def test_indexed_lookups_match_the_scans(agent_list, semantics):
    city = City(root="", path="", agents=agent_list)
    lookup = TemplateLookup(city, semantics)
    for _ in range(2):  # the second pass reads the remembered answers
        for w in SPELLINGS:
            assert lookup.find_agent_by_template(w) is scan_find(city, w), w
            assert lookup.legacy_pool_template(w) == scan_legacy(city, semantics, w), w
            assert lookup.template_for_identity(w) == scan_identity(city, semantics, w), w
            assert lookup.normalize_route(w.strip()) == scan_route(city, semantics, w.strip()), w


def test_a_city_keeps_its_lookup_until_its_agents_change():
    city = City(root="", path="", agents=[Agent("w", dir="r", max_active_sessions=3)])
    from core.desired.lookup import template_lookup

    first = template_lookup(city, "current")
    assert template_lookup(city, "current") is first
    assert template_lookup(city, "pre-2053") is not first
    assert first.template_for_identity("r/w-2") == "r/w"
    city.agents = [Agent("w", dir="q", max_active_sessions=3)]
    assert template_lookup(city, "current").template_for_identity("r/w-2") == ""


def test_an_instance_of_a_template_whose_name_holds_gc_reads_its_last_legacy_suffix():
    """`db-gc-main-gc-2` is the legacy slot-2 name of the template `db-gc-main`: the `-gc-N`
    suffix is the last one in the identity, not the first."""
    city = City(root="", path="", agents=[Agent("db-gc-main", max_active_sessions=3), Agent("w", max_active_sessions=3)])
    lookup = TemplateLookup(city, "current")
    for identity, want in [("db-gc-main-gc-2", "db-gc-main"), ("db-gc-main-2", "db-gc-main"),
                           ("db-gc-main-gc-4", ""), ("w-gc-3", "w"), ("w-gc-x", "")]:
        assert lookup.template_for_identity(identity) == scan_identity(city, "current", identity) == want, identity


def test_an_empty_spelling_resolves_to_no_template():
    """Even in a city with an agent whose name could pass for a placeholder."""
    city = City(root="", path="", agents=[Agent("XXXX"), Agent("w", max_active_sessions=3)])
    lookup = TemplateLookup(city, "current")
    for blank in ("", "  ", None):
        assert lookup.legacy_pool_template(blank) == lookup.template_for_identity(blank) == ""
        assert lookup.find_agent_by_template(blank) is None
    assert lookup.legacy_pool_template("XXXX") == lookup.template_for_identity("XXXX") == "XXXX"


def test_a_leading_slash_is_the_v1_dir_and_name_form_of_a_city_agent():
    """AgentMatchesIdentity's V1 fallback: `/w` parses to dir "" and name "w", which is the
    unbound city agent `w`; a bound agent is not found by its bare dir and name."""
    city = City(root="", path="", agents=[Agent("w", max_active_sessions=3),
                                          Agent("p", binding="pk", max_active_sessions=3)])
    lookup = TemplateLookup(city, "current")
    assert lookup.find_agent_by_template("/w") is city.agents[0]
    assert lookup.find_agent_by_template("/p") is None
    assert lookup.template_for_identity("/w") == "w"


def test_normalize_template_trims_and_leaves_a_blank_template_blank():
    """normalizeAgentTemplateIdentity: blank -> "", a configured spelling -> its qualified name,
    anything else -> itself trimmed; a city with an agent named like a placeholder changes
    nothing for a blank template."""
    from core.desired.context import BuildContext
    from core.world.world import World

    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent("XXXX"), Agent("w", max_active_sessions=3)])
    ctx = BuildContext(city, World(datetime(2026, 5, 4, 12, tzinfo=UTC)), "current", [])
    assert [ctx.normalize_template(t) for t in ("", "   ", " /w ", "ghost ")] == ["", "", "w", "ghost"]
