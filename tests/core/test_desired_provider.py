"""The reduced provider resolution (config.ResolveProvider) and the build's session transport
check (validateAgentSessionTransportForBuild): one case per rule."""

from __future__ import annotations

import pytest
from factories import make_city

from core.config.city_config import Agent, City, Section, SessionSettings, Workspace
from core.desired.provider import (
    ResolvedProvider,
    resolve_provider,
    resolve_resume_command,
    resolve_session_command,
    session_transport,
    transport_error,
)


def city(specs: dict | None = None, session_provider: str = "", workspace_provider: str = "") -> City:
    return make_city(root="/c", path="/c/city.toml", workspace=Workspace(name="c", provider=workspace_provider),
                     session=SessionSettings(provider=session_provider),
                provider_specs={k: Section(v, "/c/city.toml", f"providers.{k}") for k, v in (specs or {}).items()})


def test_a_start_command_is_the_launch_command_with_no_provider_and_its_own_resume_command():
    rp = resolve_provider(city(), Agent(name="w", provider="claude", start_command="run me",
                                         extra={"resume_command": "run again"}))
    assert rp == ResolvedProvider(command="run me", resume_command="run again")
    assert resolve_provider(city(), Agent(name="w", start_command="run me")).resume_command == ""


def test_the_provider_is_the_agents_else_the_inherited_else_the_workspaces():
    assert resolve_provider(city(workspace_provider="codex"), Agent(name="w", provider="gemini")).name == "gemini"
    assert resolve_provider(city(workspace_provider="codex"),
                            Agent(name="w", inherited_provider="kimi")).name == "kimi"
    assert resolve_provider(city(workspace_provider="codex"), Agent(name="w")).name == "codex"
    assert resolve_provider(city(), Agent(name="w")) is None
    assert resolve_provider(city(), Agent(name="w", provider="nosuch")) is None


def test_a_builtin_profile_gives_command_args_acp_and_resume_fields():
    rp = resolve_provider(city(), Agent(name="w", provider="kimi"))
    assert (rp.name, rp.command, rp.args, rp.builtin_ancestor, rp.supports_acp, rp.resume_flag, rp.resume_style) == \
        ("kimi", "kimi", ("--yolo", "--no-thinking"), "kimi", True, "--session", "flag")
    assert rp.launch_command == "kimi --yolo --no-thinking" and rp.family == "kimi"
    codex = resolve_provider(city(), Agent(name="w", provider="codex"))
    assert (codex.supports_acp, codex.launch_command, codex.resume_style) == (False, "codex", "subcommand")


def test_a_spec_overrides_its_base_chain_field_by_field():
    specs = {"mine": {"base": "provider:team", "command": "my-claude", "resume_flag": "  "},
             "team": {"base": "builtin:claude", "args": ["--model", "big one"], "supports_acp": False,
                      "session_id_flag": "--sid", "resume_command": "team-resume"}}
    rp = resolve_provider(city(specs), Agent(name="w", provider="mine"))
    assert rp == ResolvedProvider(name="mine", command="my-claude", args=("--model", "big one"),
                                  builtin_ancestor="claude", supports_acp=False, resume_flag="--resume",
                                  resume_style="flag", resume_command="team-resume", session_id_flag="--sid")
    assert rp.launch_command == "my-claude --model 'big one'" and rp.family == "claude"
    md = rp.session_metadata()
    assert md == {"command": "my-claude --model 'big one'", "provider": "mine", "provider_kind": "claude",
                  "resume_flag": "--resume", "resume_style": "flag", "resume_command": "team-resume",
                  "builtin_ancestor": "claude"}
    agent_resume = resolve_provider(city(specs), Agent(name="w", provider="mine", extra={"resume_command": "own"}))
    assert agent_resume.resume_command == "own"


def test_a_base_chain_ends_at_a_builtin_by_name_or_at_nothing():
    specs = {"a": {"base": "b"}, "b": {"base": "codex"}, "loop1": {"base": "loop2"}, "loop2": {"base": "loop1"},
             "bad": {"base": "builtin:nosuch"}, "bare": {"command": "x"}, "claude": {"args": ["-v"]},
             "odd": {"base": "", "command": "y"}}
    a = resolve_provider(city(specs), Agent(name="w", provider="a"))
    assert (a.builtin_ancestor, a.command, a.resume_style, a.family) == ("codex", "codex", "subcommand", "codex")
    loop = resolve_provider(city(specs), Agent(name="w", provider="loop1"))
    assert (loop.builtin_ancestor, loop.command) == ("", "")
    assert resolve_provider(city(specs), Agent(name="w", provider="bad")).builtin_ancestor == ""
    bare = resolve_provider(city(specs), Agent(name="w", provider="bare"))
    assert (bare.builtin_ancestor, bare.family, bare.command) == ("", "bare", "x")
    shadow = resolve_provider(city(specs), Agent(name="w", provider="claude"))
    assert (shadow.builtin_ancestor, shadow.command, shadow.args, shadow.supports_acp) == ("claude", "claude", ("-v",), True)
    assert "builtin_ancestor" not in shadow.session_metadata()
    assert resolve_provider(city(specs), Agent(name="w", provider="odd")).builtin_ancestor == ""


def test_an_explicit_builtin_base_skips_a_spec_that_shadows_the_builtin_name():
    """`base = "builtin:claude"` names the builtin itself, not a [providers.claude] spec; a bare
    `base = "claude"` takes the spec. A base naming neither a spec nor a builtin ends at nothing."""
    specs = {"mine": {"base": "builtin:claude"}, "yours": {"base": "claude"},
             "claude": {"command": "shadow", "args": ["-v"]}, "lost": {"base": "nosuch"}}
    mine = resolve_provider(city(specs), Agent(name="w", provider="mine"))
    assert (mine.builtin_ancestor, mine.command, mine.args) == ("claude", "claude", ())
    yours = resolve_provider(city(specs), Agent(name="w", provider="yours"))
    assert (yours.builtin_ancestor, yours.command, yours.args) == ("claude", "shadow", ("-v",))
    lost = resolve_provider(city(specs), Agent(name="w", provider="lost"))
    assert (lost.builtin_ancestor, lost.family, lost.command) == ("", "lost", "")


@pytest.mark.parametrize("rp, want", [
    (ResolvedProvider(resume_command="run --again {{.SessionKey}} --as {{.SessionKey}}"), "run --again K1 --as K1"),
    (ResolvedProvider(resume_command="run {{.sessionkey}}"), "run {{.sessionkey}}"),    # the field is case-sensitive
    (ResolvedProvider(resume_command="run", resume_flag="--resume"), "run"),
    (ResolvedProvider(), "codex --model big"),
    (ResolvedProvider(resume_flag="resume", resume_style="subcommand"), "codex resume K1 --model big"),
    (ResolvedProvider(resume_flag="--resume", resume_style="flag"), "codex --model big --resume K1"),
    (ResolvedProvider(resume_flag="--resume"), "codex --model big --resume K1"),          # flag is the default
])
def test_resume_command(rp, want):
    """resolveResumeCommand: an explicit resume_command with the key expanded everywhere, else the
    resume flag after the binary (subcommand style, split at the first space) or at the end."""
    assert resolve_resume_command("codex --model big", "K1", rp) == want


def test_a_subcommand_resume_of_a_bare_binary_goes_at_the_end():
    rp = ResolvedProvider(resume_flag="resume", resume_style="subcommand")
    assert resolve_resume_command("codex", "K1", rp) == "codex resume K1"


@pytest.mark.parametrize("first, fresh, want", [
    (True, False, "claude --sid K1"), (False, True, "claude --sid K1"), (True, True, "claude --sid K1"),
    (False, False, "claude --resume K1"),
])
def test_session_command_names_a_new_conversation_on_a_first_or_fresh_start(first, fresh, want):
    rp = ResolvedProvider(resume_flag="--resume", resume_style="flag", session_id_flag="--sid")
    assert resolve_session_command("claude", "K1", rp, first, fresh) == want
    plain = ResolvedProvider(resume_flag="--resume", resume_style="flag")
    assert resolve_session_command("claude", "K1", plain, first, fresh) == "claude --resume K1"


def test_session_metadata_writes_no_empty_value():
    assert ResolvedProvider(command="run me").session_metadata() == {"command": "run me"}
    assert ResolvedProvider(name="p", command=" ").session_metadata() == {"provider": "p", "provider_kind": "p"}


SPECS = {"own-args": {"supports_acp": True, "acp_args": []}, "own-cmd": {"supports_acp": True, "acp_command": "x-acp"},
         "blank-cmd": {"supports_acp": True, "acp_command": "  "}, "no-acp": {"acp_args": ["acp"]},
         "my-open": {"base": "builtin:opencode"}, "my-kiro": {"base": "builtin:kiro"}}


@pytest.mark.parametrize("agent_session, provider, want", [
    ("tmux", "opencode", "tmux"), ("  acp ", None, "acp"), ("", "opencode", "acp"), ("", "groq", "acp"),
    ("", "cerebras", "acp"), ("", "kimi", "acp"), ("", "kiro", ""), ("", "mimocode", ""), ("", "my-kiro", ""),
    ("", "my-open", "acp"), ("", "own-args", "acp"), ("", "own-cmd", "acp"), ("", "blank-cmd", ""), ("", "no-acp", ""),
    ("", "claude", ""), ("", "codex", ""), ("", None, ""),
])
def test_the_session_transport_is_the_agents_else_the_providers_create_default(agent_session, provider, want):
    """ResolveSessionCreateTransport and ProviderSessionCreateTransport: an ACP-capable provider
    defaults to ACP for the opencode family or a configured ACP launch (ACPCommand, ACPArgs), but
    kiro and mimocode stay on their CLI; claude supports ACP without defaulting to it."""
    a = Agent(name="w", provider=provider or "", extra={"session": agent_session} if agent_session else {})
    assert session_transport(a, resolve_provider(city(SPECS), a)) == want


@pytest.mark.parametrize("session, provider, runtime, want", [
    ("", "claude", "acp", ""),
    ("tmux", "claude", "tmux", ""),
    ("tmux", "claude", "auto", ""),
    ("tmux", "claude", "acp", 'agent "w": provider "claude" requires tmux transport but the session provider '
                              "cannot route tmux sessions"),
    ("tmux", "", "acp", 'agent "w": provider "tmux" requires tmux transport but the session provider '
                        "cannot route tmux sessions"),
    ("ssh", "claude", "", 'agent "w": unknown session transport "ssh"'),
    ("acp", "codex", "acp", 'agent "w": provider "codex" does not support ACP transport'),
    ("acp", "claude", "acp", ""),
    ("acp", "claude", " auto ", ""),
    ("acp", "claude", "", 'agent "w": provider "claude" requires ACP transport but the session provider '
                          "cannot route ACP sessions"),
    ("acp", "", "tmux", 'agent "w": provider "acp" requires ACP transport but the session provider '
                        "cannot route ACP sessions"),
    ("", "opencode", "tmux", 'agent "w": provider "opencode" requires ACP transport but the session provider '
                             "cannot route ACP sessions"),
    ("", "kimi", "", 'agent "w": provider "kimi" requires ACP transport but the session provider '
                     "cannot route ACP sessions"),
    ("", "kimi", "auto", ""),
])
def test_transport_errors(session, provider, runtime, want):
    a = Agent(name="w", provider=provider, extra={"session": session} if session else {})
    assert transport_error(city(session_provider=runtime), a) == want


def test_the_opencode_family_defaults_to_acp_even_without_an_acp_launch():
    """DefaultSessionTransport: an ACP-capable opencode-family provider is ACP by family alone,
    before ProviderSessionCreateTransport looks at ACPCommand/ACPArgs; another family is not."""
    a = Agent(name="w")
    assert session_transport(a, ResolvedProvider(name="mine", builtin_ancestor="opencode", supports_acp=True)) == "acp"
    assert session_transport(a, ResolvedProvider(name="opencode", supports_acp=True)) == "acp"
    assert session_transport(a, ResolvedProvider(name="mine", builtin_ancestor="claude", supports_acp=True)) == ""


def test_fields_no_profile_or_spec_sets_are_empty():
    """A provider whose profile and specs set no resume or session-id field resolves them to ""
    (ResolvedProvider's zero values), so nothing is stamped for them."""
    for rp in (resolve_provider(city(), Agent(name="w", provider="kiro")),
               resolve_provider(city({"bare": {"command": "x"}}), Agent(name="w", provider="bare"))):
        assert (rp.resume_flag, rp.resume_style, rp.resume_command, rp.session_id_flag) == ("", "", "", "")
    assert resolve_provider(city({"bare": {"command": "x"}}), Agent(name="w", provider="bare")).session_metadata() == {
        "command": "x", "provider": "bare", "provider_kind": "bare"}
