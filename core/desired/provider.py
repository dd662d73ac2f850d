"""The agent's resolved provider (config.ResolveProvider), reduced to what the controller stamps
on session beads and checks at build time: the provider's name and builtin family, its launch
command, its resume fields, whether it speaks ACP, and the session transport a create uses.

What the model simplifies: the launch command is the agent's (or workspace's) start_command,
else the provider's command followed by its args; the option defaults and schema flags Gas City
appends (`--dangerously-skip-permissions`, `--effort max`, a model flag) are not derived, and a
provider binary is never looked up on PATH.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from core.config.city_config import Agent, City
from core.formats.goduration import go_quote

# The builtin provider profiles (internal/worker/builtin/profiles.go): command, args, ACP support,
# whether an ACP launch is configured (ACPCommand or ACPArgs) and resume fields.
_BUILTIN: dict[str, dict] = {
    "claude": {"command": "claude", "acp": True, "resume_flag": "--resume", "resume_style": "flag"},
    "codex": {"command": "codex", "resume_flag": "resume", "resume_style": "subcommand"},
    "gemini": {"command": "gemini", "resume_flag": "--resume", "resume_style": "flag"},
    "grok": {"command": "grok", "resume_flag": "--resume", "resume_style": "flag"},
    "kimi": {"command": "kimi", "args": ("--yolo", "--no-thinking"), "acp": True, "acp_launch": True,
             "resume_flag": "--session", "resume_style": "flag"},
    "kiro": {"command": "kiro-cli", "args": ("chat", "--no-interactive", "--agent", "gascity", "--trust-all-tools"),
             "acp": True, "acp_launch": True},
    "cursor": {"command": "cursor-agent", "args": ("-f",), "resume_flag": "--resume", "resume_style": "flag"},
    "copilot": {"command": "copilot", "args": ("--yolo",), "resume_flag": "--resume", "resume_style": "flag"},
    "amp": {"command": "amp", "args": ("--dangerously-allow-all", "--no-ide"), "resume_flag": "threads continue",
            "resume_style": "subcommand"},
    "opencode": {"command": "opencode", "acp": True, "acp_launch": True, "resume_flag": "--session",
                 "resume_style": "flag"},
    "mimocode": {"command": "mimo", "args": ("--never-ask",), "acp": True, "acp_launch": True,
                 "resume_flag": "--session", "resume_style": "flag"},
    "groq": {"command": "opencode", "acp": True, "acp_launch": True},
    "cerebras": {"command": "opencode", "acp": True, "acp_launch": True},
    "auggie": {"command": "auggie", "resume_flag": "--resume", "resume_style": "flag"},
    "pi": {"command": "pi", "resume_flag": "--session", "resume_style": "flag"},
    "omp": {"command": "omp", "resume_flag": "--resume", "resume_style": "flag"},
    "antigravity": {"command": "agy", "resume_flag": "--conversation", "resume_style": "flag"},
}
_STRING_FIELDS = ("command", "resume_flag", "resume_style", "resume_command", "session_id_flag")


@dataclass(frozen=True)
class ResolvedProvider:
    """What the model knows of a resolved provider. `name` is "" for a start_command agent."""
    name: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    builtin_ancestor: str = ""
    supports_acp: bool = False
    resume_flag: str = ""
    resume_style: str = ""
    resume_command: str = ""
    session_id_flag: str = ""
    acp_launch: bool = False  # an ACP command or ACP args are configured

    @property
    def family(self) -> str:
        """resolvedProviderFamilyMetadata: the builtin ancestor, else the name."""
        return self.builtin_ancestor or self.name

    @property
    def launch_command(self) -> str:
        """The command line: the command, then its args shell-quoted."""
        if not self.args:
            return self.command
        return self.command + " " + " ".join(shlex.quote(a) for a in self.args)

    def session_metadata(self) -> dict[str, str]:
        """The bead keys sync stamps on create and refreshes when they change (empty values are
        never written: a resolution that yields nothing does not clobber what is stored)."""
        out = {"command": self.launch_command, "provider": self.name, "provider_kind": self.family,
               "resume_flag": self.resume_flag, "resume_style": self.resume_style,
               "resume_command": self.resume_command}
        if self.builtin_ancestor and self.builtin_ancestor != self.name:
            out["builtin_ancestor"] = self.builtin_ancestor
        return {k: v for k, v in out.items() if v.strip()}


def _spec_chain(city: City, name: str) -> tuple[list[dict], str]:
    """The [providers] specs from `name` down its `base` chain, and the builtin it ends at."""
    chain: list[dict] = []
    seen: set[str] = set()
    while name and name not in seen:
        seen.add(name)
        spec = city.provider_specs.get(name)
        if spec is None:
            return chain, name if name in _BUILTIN else ""
        table = spec.table
        chain.append(table)
        base = str(table.get("base") or "").strip()
        if not base:
            return chain, name if name in _BUILTIN else ""
        for prefix in ("builtin:", "provider:"):
            if base.startswith(prefix):
                if prefix == "builtin:":
                    return chain, base[len(prefix):] if base[len(prefix):] in _BUILTIN else ""
                base = base[len(prefix):]
        name = base
    return chain, ""


def resolve_provider(city: City, a: Agent) -> ResolvedProvider | None:
    """ResolveProvider: the agent's start_command escape hatch, else its provider (the agent's,
    an inherited pack default, or the workspace's) down its base chain; None when no provider is
    named."""
    if a.start_command:
        return ResolvedProvider(command=a.start_command, resume_command=str(a.extra.get("resume_command") or ""))
    name = a.provider or a.inherited_provider or city.workspace.provider
    if not name:
        return None
    chain, builtin = _spec_chain(city, name)
    merged: dict = dict(_BUILTIN.get(builtin, {}))
    for table in reversed(chain):
        for k in _STRING_FIELDS:
            if str(table.get(k) or "").strip():
                merged[k] = str(table[k])
        if isinstance(table.get("args"), list):
            merged["args"] = tuple(str(x) for x in table["args"])
        if "supports_acp" in table:
            merged["acp"] = bool(table["supports_acp"])
        if str(table.get("acp_command") or "").strip() or isinstance(table.get("acp_args"), list):
            merged["acp_launch"] = True
    if not chain and name not in _BUILTIN:
        return None
    return ResolvedProvider(name=name, command=str(merged.get("command", "")), args=tuple(merged.get("args", ())),
                            builtin_ancestor=builtin, supports_acp=bool(merged.get("acp", False)),
                            resume_flag=str(merged.get("resume_flag", "")),
                            resume_style=str(merged.get("resume_style", "")),
                            resume_command=str(a.extra.get("resume_command") or merged.get("resume_command", "")),
                            session_id_flag=str(merged.get("session_id_flag", "")),
                            acp_launch=bool(merged.get("acp_launch", False)))


def session_transport(a: Agent, rp: ResolvedProvider | None) -> str:
    """ResolveSessionCreateTransport: the agent's `session` setting, else the provider's default
    (ProviderSessionCreateTransport): for an ACP-capable provider, ACP when its family is
    opencode or when an ACP launch is configured, except for the kiro and mimocode families
    (whose CLI transport carries flags their ACP launch lacks)."""
    explicit = str(a.extra.get("session") or "").strip()
    if explicit:
        return explicit
    if rp is None or not rp.supports_acp:
        return ""
    if rp.family == "opencode":
        return "acp"
    if rp.family in ("kiro", "mimocode"):
        return ""
    return "acp" if rp.acp_launch else ""


def _runtime_supports(city: City, transport: str) -> bool:
    """What the city's session provider can route: `acp` routes only ACP sessions, `auto` both,
    every other provider tmux sessions only."""
    provider = city.session.provider.strip()
    if transport == "tmux":
        return provider != "acp"
    return provider in ("acp", "auto")


def transport_error(city: City, a: Agent) -> str:
    """validateAgentSessionTransportForBuild: "" when the agent's sessions can be created under
    the city's session provider, else Gas City's error (`agent "<qn>": provider ... `)."""
    rp = resolve_provider(city, a)
    transport = session_transport(a, rp)
    if not transport:
        return ""
    qn = a.qualified_name
    name = rp.name if rp is not None and rp.name else transport
    if transport == "tmux":
        if _runtime_supports(city, "tmux"):
            return ""
        return (f"agent {go_quote(qn)}: provider {go_quote(name)} requires tmux transport but the session provider "
                "cannot route tmux sessions")
    if transport != "acp":
        return f"agent {go_quote(qn)}: unknown session transport {go_quote(transport)}"
    if rp is not None and not rp.supports_acp:
        return f"agent {go_quote(qn)}: provider {go_quote(rp.name or transport)} does not support ACP transport"
    if _runtime_supports(city, "acp"):
        return ""
    return (f"agent {go_quote(qn)}: provider {go_quote(name)} requires ACP transport but the session provider "
            "cannot route ACP sessions")


def resolve_session_command(command: str, session_key: str, rp: ResolvedProvider, first_start: bool,
                            force_fresh: bool) -> str:
    """resolveSessionCommand (without fork launches, which the model does not have): a first or
    fresh start of a provider that takes a session id names the new conversation; any other
    start resumes the key (resolveResumeCommand)."""
    if (first_start or force_fresh) and rp.session_id_flag:
        return f"{command} {rp.session_id_flag} {session_key}"
    return resolve_resume_command(command, session_key, rp)


def resolve_resume_command(command: str, session_key: str, rp: ResolvedProvider) -> str:
    """resolveResumeCommand: an explicit resume_command (with {{.SessionKey}} expanded), else the
    resume flag placed as its style says (a subcommand after the binary, a flag at the end), else
    the command unchanged."""
    if rp.resume_command:
        return rp.resume_command.replace("{{.SessionKey}}", session_key)
    if not rp.resume_flag:
        return command
    if rp.resume_style == "subcommand":
        head, sep, rest = command.partition(" ")
        if sep:
            return f"{head} {rp.resume_flag} {session_key} {rest}"
    return f"{command} {rp.resume_flag} {session_key}"
