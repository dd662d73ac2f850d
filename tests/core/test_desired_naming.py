"""derivePoolSessionName and the explicit-name rules (catalog A14)."""

from __future__ import annotations

import pytest

from core.desired.naming import SessionNameError, derive_pool_session_name, validate_explicit_name


def never(_: str) -> bool:
    return False


@pytest.mark.parametrize("template, bead_id, alias, want", [
    ("claude", "gc-1", "", "claude-gc-1"),
    ("claude", "gc-1", "   ", "claude-gc-1"),
    ("crew-gastown", "gc-2", "crew--gastown", "crew--gastown"),
    ("rig/claude", "gc-7", "", "claude-gc-7"),
    ("repo/gastown.polecat", "gc-3", "", "gastown__polecat-gc-3"),
], ids=["empty-alias", "whitespace-alias", "alias-wins", "basename", "binding-sanitized"])
def test_derive_pool_session_name(template, bead_id, alias, want):
    assert derive_pool_session_name(template, bead_id, alias, never) == want


def test_claimed_alias_gets_the_bead_id_appended():
    taken = {"crew--gastown"}
    assert derive_pool_session_name("crew-gastown", "gc-9", "crew--gastown", taken.__contains__) == "crew--gastown-gc-9"


def test_claimed_fallback_is_an_error():
    with pytest.raises(SessionNameError):
        derive_pool_session_name("crew", "gc-1", "crew", lambda n: True)


@pytest.mark.parametrize("alias", ["s-crew", "crew demo", "a" * 65])
def test_invalid_alias_is_rejected(alias):
    with pytest.raises(SessionNameError):
        validate_explicit_name(alias)


def test_the_name_limit_is_64_characters_and_each_refusal_says_why():
    """ValidateExplicitName: 64 characters pass, 65 are too many; the error names the name and the rule."""
    assert validate_explicit_name("a" * 64) == "a" * 64
    with pytest.raises(SessionNameError, match="exceeds max length 64"):
        validate_explicit_name("a" * 65)
    with pytest.raises(SessionNameError, match="invalid session name: .crew demo."):
        validate_explicit_name("crew demo")


def test_a_claimed_fallback_name_is_refused_by_its_own_name():
    """derivePoolSessionName checks the `<alias>-<bead id>` fallback itself before using it."""
    taken = {"crew", "crew-gc-1"}
    with pytest.raises(SessionNameError, match="crew-gc-1"):
        derive_pool_session_name("crew", "gc-1", "crew", taken.__contains__)


def test_collision_suffix_may_not_exceed_the_name_limit():
    with pytest.raises(SessionNameError):
        derive_pool_session_name("crew", "gc-1", "a" * 64, lambda n: n == "a" * 64)


# ---------------------------------------------------------------- tmux_alias and taken names

from core.config.city_config import Agent, City, NamedSession, Rig, Workspace  # noqa: E402
from core.desired.context import BuildContext  # noqa: E402
from core.desired.naming import resolve_tmux_alias, session_name_taken  # noqa: E402
from core.world.world import World  # noqa: E402


def ctx_of(agents=(), named=(), rigs=()) -> BuildContext:
    city = City(root="/city", path="/city/city.toml", agents=list(agents), named_sessions=list(named),
                rigs=list(rigs), workspace=Workspace(name="harbor"))
    return BuildContext(city, World(), "current", [])


@pytest.mark.parametrize("spec, want", [
    ("", ""), ("   ", ""),
    ("{{.Agent}}", "alpha--crew"), ("{{ .AgentBase }}-x", "crew-x"), ("{{.Rig}}.{{.CityName}}", "alpha__harbor"),
    ("  lead  ", "lead"),
])
def test_resolve_tmux_alias_expands_the_identity_fields_and_sanitizes(spec, want):
    """ResolveTmuxAlias (PathContextForQualifiedName): Agent is the qualified name, AgentBase its
    last part, Rig the agent's rig, CityName the city's; the result is trimmed and sanitized."""
    a = Agent(name="crew", dir="alpha", tmux_alias=spec)
    assert resolve_tmux_alias(ctx_of([a], rigs=[Rig(name="alpha", path="alpha")]), a) == want


def test_resolve_tmux_alias_refuses_an_unknown_field():
    a = Agent(name="crew", tmux_alias="{{.Nope}}")
    with pytest.raises(SessionNameError, match="expanding tmux_alias '{{.Nope}}': no field 'Nope'"):
        resolve_tmux_alias(ctx_of([a]), a)
    assert resolve_tmux_alias(ctx_of([a]), Agent(name="crew", tmux_alias="{{.Rig}}x")) == "x"


def test_session_name_taken_by_open_closed_and_named_holders():
    ctx = ctx_of(named=[NamedSession(template="mayor")])
    st, now = ctx.store, ctx.now
    st.create_session({"session_name": "s1", "alias": "a1", "agent_name": "n1", "template": "t1"}, now, bead_id="gc-1")
    for name in ("s1", "a1", "n1", "t1"):
        assert session_name_taken(ctx, name) and not session_name_taken(ctx, name, self_id="gc-1"), name
    st.create_session({"session_name": "f1", "state": "failed-create"}, now, bead_id="gc-2")
    assert not session_name_taken(ctx, "f1")
    st.create_session({"session_name": "c1"}, now, bead_id="gc-3")
    st.create_session({"session_name": "c2", "configured_named_session": "true"}, now, bead_id="gc-4")
    st.create_session({"session_name": "c3", "configured_named_identity": "boss"}, now, bead_id="gc-5")
    st.create_session({"session_name": "c4", "pool_managed": "true", "session_origin": "ephemeral"}, now, bead_id="gc-6")
    st.create_session({"session_name": "c5", "pool_managed": "true", "session_origin": "manual"}, now, bead_id="gc-7")
    st.create_session({"session_name": "c6", "state": "failed-create"}, now, bead_id="gc-8")
    for bid in ("gc-3", "gc-4", "gc-5", "gc-6", "gc-7", "gc-8"):
        st.close_session(bid, "done", now)
    st.update_session("gc-8", {"state": "failed-create"})  # a create that failed, closed as such
    assert session_name_taken(ctx, "c1") and not session_name_taken(ctx, "c1", self_id="gc-3")
    assert [session_name_taken(ctx, n) for n in ("c2", "c3", "c4", "c5", "c6")] == [False, False, False, True, False]
    assert session_name_taken(ctx, "mayor") and not session_name_taken(ctx, "deacon")


def test_a_closed_explicit_name_is_kept_behind_released_holders_of_the_same_name():
    """Every closed holder is looked at: a named or ephemeral pool bead that released the name
    does not hide a later closed bead that still keeps it."""
    for released in ({"configured_named_session": "true"}, {"pool_managed": "true", "session_origin": "ephemeral"}):
        ctx = ctx_of()
        st, now = ctx.store, ctx.now
        st.create_session({"session_name": "c7", **released}, now, bead_id="gc-1")
        st.create_session({"session_name": "c7"}, now, bead_id="gc-2")
        for bid in ("gc-1", "gc-2"):
            st.close_session(bid, "done", now)
        assert session_name_taken(ctx, "c7"), released
        assert not session_name_taken(ctx, "c7", self_id="gc-2")


def test_without_a_self_id_every_holder_counts():
    """Whatever its id: ids are the store's to choose, so no id is set aside by default."""
    for bid in ("gc-1", "XXXX", "ext-7"):
        ctx = ctx_of()
        ctx.store.create_session({"session_name": "s1"}, ctx.now, bead_id=bid)
        assert session_name_taken(ctx, "s1"), bid


def test_resolve_tmux_alias_path_fields_are_the_rig_root_city_root_and_worktrees_root():
    """PathContextForQualifiedName: RigRoot is the agent's rig's path, CityRoot the city's path and
    WorktreesRoot `<city>/.gc/worktrees`; each slash becomes `--` and each dot `__` once sanitized."""
    a = Agent(name="crew", dir="alpha", tmux_alias="{{.RigRoot}}|{{.CityRoot}}|{{.WorktreesRoot}}")
    ctx = ctx_of([a], rigs=[Rig(name="alpha", path="/src/alpha")])
    assert resolve_tmux_alias(ctx, a) == "--src--alpha|--city|--city--__gc--worktrees"
    city_agent = Agent(name="crew", tmux_alias="{{.AgentBase}}x{{.RigRoot}}")
    # a city-level agent: AgentBase is its whole name, and it has no rig, so no rig root
    assert resolve_tmux_alias(ctx_of([city_agent], rigs=[Rig(name="alpha", path="/src/alpha")]), city_agent) == "crewx"


def test_resolve_tmux_alias_finds_the_rig_an_agents_dir_points_at():
    """PathContextForQualifiedName takes the rig from ConfiguredRigName: the rig the agent's dir
    names, else the rig whose path the dir is; a dir that is neither gives no rig."""
    rig = Rig(name="alpha", path="/src/alpha")
    by_path = Agent(name="crew", dir="/src/alpha", tmux_alias="{{.Rig}}@{{.RigRoot}}")
    assert resolve_tmux_alias(ctx_of([by_path], rigs=[rig]), by_path) == "alpha@--src--alpha"
    elsewhere = Agent(name="crew", dir="/src/beta", tmux_alias="{{.Rig}}@{{.RigRoot}}")
    assert resolve_tmux_alias(ctx_of([elsewhere], rigs=[rig]), elsewhere) == "@"
