"""Typed city configuration: the subset of Gas City's config.City the reconciler reads.

Every agent and named session remembers where it came from (file and table path), so errors,
`config show` and the TUI can point at the line an operator must edit.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Origin:
    """Where a config item was declared."""

    file: str
    table: str = ""  # field path of the table inside the file, e.g. "agent[2]"; "" = whole file
    # inline (city.toml [[agent]]) | fragment | pack (agents/<name>/agent.toml) |
    # pack-v1 (a pack.toml [[agent]]) | implicit (a [providers.X] agent)
    kind: str = "inline"
    binding: str = ""
    pack_dir: str = ""  # the pack directory that defined it ("" for city.toml and fragments)

    def describe(self) -> str:
        where = self.file + (f" [{self.table}]" if self.table else "")
        if self.binding:
            return f"{where} (import {self.binding})"
        return where

    def source_label(self, city_file: str = "") -> str:
        """Gas City's describeSource: the pack directory, else `<inline>` / `<pack: binding>`."""
        if self.pack_dir:
            return self.pack_dir
        if self.kind == "fragment":
            return os.path.dirname(self.file)
        if self.kind == "inline":
            return f"<inline: {os.path.basename(city_file)}>" if city_file else "<inline>"
        if self.kind in ("pack", "pack-v1"):
            return f"<pack: {self.binding}>" if self.binding else "<pack>"
        if self.binding:
            return f"<unknown: binding={self.binding}>"
        return "<unknown>"


@dataclass
class Agent:
    """An agent template (a session factory), after pack expansion and rig stamping."""

    name: str
    dir: str = ""
    binding: str = ""
    scope: str = ""
    suspended: bool = False
    max_active_sessions: int | None = None
    min_active_sessions: int | None = None  # None = not present in TOML ("min set" matters)
    scale_check: str = ""
    namepool: str = ""
    namepool_names: tuple[str, ...] = ()
    namepool_error: str = ""
    depends_on: tuple[str, ...] = ()
    wake_mode: str = ""
    attach: bool | None = None
    idle_timeout: str = ""
    sleep_after_idle: str = ""
    max_session_age: str = ""
    max_session_age_jitter: str = ""
    drain_timeout: str = ""
    assigned_work_defer_limit: int | None = None
    lifecycle: str = ""
    tmux_alias: str = ""
    work_dir: str = ""
    provider: str = ""
    start_command: str = ""
    work_query: str = ""
    process_names: tuple[str, ...] = ()
    session_live: tuple[str, ...] = ()
    implicit: bool = False
    # A pack's [agent_defaults] for its own agents (applyInheritedPackAgentDefaults): used when the
    # agent sets none and the city's [agent_defaults] does not replace it.
    inherited_provider: str = ""
    inherited_sling_formula: str | None = None
    origin: Origin = field(default_factory=lambda: Origin(""))
    extra: dict[str, Any] = field(default_factory=dict)  # launch keys kept for the fingerprint

    @cached_property
    def qualified_name(self) -> str:
        # Kept: a tick asks it hundreds of thousands of times, and an agent's dir, binding and
        # name never change once loaded (a changed agent is a new one, made by `replace`).
        return qualify(self.dir, self.binding, self.name)

    @property
    def default_sling_formula(self) -> str:
        """EffectiveDefaultSlingFormula: the agent's own, else the one its pack's defaults gave it."""
        own = self.extra.get("default_sling_formula")
        if own is not None:
            return str(own)
        return self.inherited_sling_formula or ""

    @property
    def min_set(self) -> bool:
        return self.min_active_sessions is not None

    @property
    def min_count(self) -> int:
        return max(self.min_active_sessions or 0, 0)

    @property
    def has_scale_check(self) -> bool:
        return bool(self.scale_check.strip())

    @property
    def has_namepool(self) -> bool:
        return bool(self.namepool.strip()) or bool(self.namepool_names)

    def with_(self, **changes: Any) -> Agent:
        return replace(self, **changes)

    def core_fingerprint(self) -> str:
        """The started-config hash: launch fields, depends_on, non-default wake_mode, and the
        pool min/max when any pool control is set. scale_check never counts (as in Gas City)."""
        digest = hashlib.sha256(self._core_payload_json().encode()).hexdigest()
        return "v5:" + digest

    def _core_payload_json(self) -> str:
        payload: dict[str, Any] = {
            "provider": self.provider,
            "start_command": self.start_command,
            "work_dir": self.work_dir,
            "depends_on": list(self.depends_on),
        }
        if self.wake_mode and self.wake_mode != "resume":
            payload["wake_mode"] = self.wake_mode
        if (
            self.min_set
            or self.max_active_sessions is not None
            or self.has_scale_check
            or self.drain_timeout
        ):
            payload["pool"] = [self.min_active_sessions, self.max_active_sessions]
        for k in sorted(self.extra):
            if k in LAUNCH_KEYS:
                payload[k] = self.extra[k]
        return json.dumps(payload, sort_keys=True, default=str)

    def partition_fingerprint(self, half: str) -> str:
        """ProvisionFingerprint / LaunchFingerprint: the core fields that affect the box
        (`provision`: work_dir, pool, depends_on, wake_mode, env, pre_start, overlay) or the
        agent process (`launch`: provider, command, args, prompt and session setup, upstream).
        Together they cover every core field, so a core drift moves exactly one of them."""
        core = json.loads(self._core_payload_json())
        launch_keys = {"provider", "start_command"} | (LAUNCH_KEYS - PROVISION_KEYS)
        part = {k: v for k, v in core.items() if (k in launch_keys) == (half == "launch")}
        digest = hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()
        return "v5:" + digest

    def live_fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps(list(self.session_live)).encode()).hexdigest()
        return digest


# Keys that change what the runtime launches, so a change is config drift.
LAUNCH_KEYS = frozenset(
    {
        "args",
        "env",
        "env_remove",
        "pre_start",
        "prompt_template",
        "prompt_mode",
        "prompt_flag",
        "session",
        "session_setup",
        "session_setup_script",
        "overlay_dir",
        "resume_command",
        "command",
        "nudge",
        "upstream",
        "mouse_mode",
    }
)


# The core keys that shape the box rather than the agent process (runtime's provision half).
PROVISION_KEYS = frozenset({"env", "env_remove", "pre_start", "overlay_dir"})


def qualify(dir_: str, binding: str, name: str) -> str:
    """Gas City's QualifiedName: [dir "/"] [binding "."] name."""
    base = f"{binding}.{name}" if binding else name
    return f"{dir_}/{base}" if dir_ else base


@dataclass
class NamedSession:
    """A [[named_session]]: a canonical configured identity backed by an agent template."""

    template: str
    name: str = ""
    mode: str = ""
    scope: str = ""
    dir: str = ""
    binding: str = ""
    origin: Origin = field(default_factory=lambda: Origin(""))

    @property
    def effective_mode(self) -> str:
        return self.mode or "on_demand"

    @property
    def identity_name(self) -> str:
        """Gas City's IdentityName: [binding "."] (name or template), without the dir."""
        base = self.name or self.template
        return f"{self.binding}.{base}" if self.binding else base

    @property
    def identity(self) -> str:
        """The public identity (QualifiedName): [dir "/"] [binding "."] (name or template)."""
        return f"{self.dir}/{self.identity_name}" if self.dir else self.identity_name

    @property
    def template_qualified(self) -> str:
        """The backing template's identity: [dir "/"] [binding "."] template. A template written
        as `binding.agent` is kept as written, so it names that binding's agent."""
        return qualify(self.dir, self.binding, self.template)


@dataclass
class Import:
    """A pack import as declared (`[imports.X]`, `[rigs.imports.X]`, `[defaults.rig.imports.X]`,
    a pack's nested import, or a legacy include) and how citywatch resolved it."""

    binding: str
    source: str
    version: str = ""
    declared_in: str = ""  # file
    scope: str = "city"  # city | rig:<name> | defaults.rig | pack:<dir> | include
    resolved_path: str = ""  # local directory when resolved
    unresolved_reason: str = ""
    field: str = ""  # field path of the declaration inside declared_in
    shadow: str = ""
    export: bool = False
    transitive: bool = True
    resolved_via: str = ""  # local | packs-dir (a remote source found in --packs) | builtin
    builtin: str = ""  # which shipped builtin pack answered, for people ("builtin core 0.1.0 (...)")

    @property
    def resolved(self) -> bool:
        return bool(self.resolved_path)


@dataclass
class Rig:
    """A [[rigs]] entry: a project directory agents can be scoped to, with its own limits and imports."""
    name: str
    path: str = ""
    prefix: str = ""
    suspended: bool = False
    max_active_sessions: int | None = None
    session_sleep: dict[str, str] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    includes: tuple[str, ...] = ()
    origin: Origin = field(default_factory=lambda: Origin(""))
    path_source: str = ""  # city.toml | site.toml | "" (unbound)
    settings: dict[str, Any] = field(default_factory=dict)  # keys citywatch keeps but does not use

    @property
    def effective_prefix(self) -> str:
        from core.config.prefix import derive_beads_prefix

        return self.prefix or derive_beads_prefix(self.name)


@dataclass
class Workspace:
    """The [workspace] table."""
    name: str = ""
    prefix: str = ""
    provider: str = ""
    max_active_sessions: int | None = None
    session_template: str = ""
    suspended: bool = False


@dataclass
class Daemon:
    """The [daemon] table: patrol interval, wake budget, restart limits and circuit breaker."""
    patrol_interval: str = "30s"
    max_wakes_per_tick: int = 5
    drift_drain_timeout: str = "2m"
    max_restarts: int = 5
    restart_window: str = "1h"
    session_circuit_breaker: bool = False
    session_circuit_breaker_max_restarts: int | None = None
    session_circuit_breaker_window: str = ""
    session_circuit_breaker_reset_after: str = ""


@dataclass
class SessionSettings:
    """The [session] timeouts, as duration strings, and the session provider (`tmux` when unset,
    `subprocess`, `acp`, `auto`, ...)."""
    startup_timeout: str = "60s"
    provider: str = ""
    progress_stall_timeout: str = ""
    claim_holder_stall_timeout: str = ""

    def startup_timeout_seconds(self) -> float:
        """The startup timeout in seconds, as Gas City's StartupTimeoutDuration (durationOr) reads
        it: 60 only when the value is empty or does not parse as a Go duration; "0s" is 0 and a
        negative duration stays negative. Each caller decides what a non-positive value means
        (docs/reconcile.md, Startup timeout)."""
        from core.formats.goduration import parse_go_duration

        if self.startup_timeout == "":
            return 60.0
        ns, err = parse_go_duration(self.startup_timeout)
        return 60.0 if err is not None else ns / 1e9


@dataclass
class ChatSessions:
    """The [chat_sessions] idle timeout and grace period, as duration strings."""
    idle_timeout: str = ""
    grace_period: str = "10m"


SLEEP_CLASSES = ("interactive_resume", "interactive_fresh", "noninteractive")

# Markers of the load warnings strict mode leaves non-fatal (cmd/gc strictWarningIsNonFatal): site
# binding and v1/workspace migration guidance, idle_timeout masking sleep_after_idle, always +
# fresh named sessions, retired keys.
STRICT_NON_FATAL_MARKERS = (
    "still declares path in city.toml; move it to .gc/site.toml",
    "workspace identity fields are deprecated in v2; move them to .gc/site.toml",
    "rig.path is deprecated in v2; move it to .gc/site.toml",
    "[[agent]] tables are deprecated", "[packs] is deprecated", "workspace.includes is deprecated",
    "workspace.default_rig_includes is deprecated",
    "workspace.start_command is deprecated", "workspace.suspended is deprecated",
    "workspace.install_agent_hooks is deprecated", "workspace.global_fragments is deprecated",
    "idle_timeout and sleep_after_idle are both set; idle_timeout takes precedence",
    "starts a fresh provider session after every drain",
    " and is ignored",
)


@dataclass(frozen=True)
class Section:
    """A config table citywatch validates as Gas City does without modelling it (`[dolt]`,
    `[beads]`, a `[[service]]`, a provider spec, ...): its raw TOML and where it was written
    (`field` is its field path inside `file`)."""

    table: dict[str, Any]
    file: str
    field: str
    source_dir: str = ""  # Gas City's SourceDir of a service or webhook: "" when the operator wrote it

    def get(self, key: str, default: Any = None) -> Any:
        return self.table.get(key, default) if isinstance(self.table, dict) else default

    def at(self, key: str) -> str:
        """The field path of `key` inside this table."""
        return f"{self.field}.{key}" if self.field else key


@dataclass
class ConfigWarning:
    """A problem found in the config, located by file, line and field path. `source` is "gc"
    for a warning Gas City's loader gives (its wording), "citywatch" for citywatch's own note
    (something it cannot read or model, or a gc doctor advisory)."""
    file: str
    message: str
    field: str = ""
    line: int | None = None
    source: str = "gc"

    @property
    def strict_fatal(self) -> bool:
        """Whether `gc start` and a controller reload in strict mode (the default) refuse the
        config for this warning (splitStrictConfigWarnings): every load warning of Gas City's
        except migration guidance."""
        return self.source == "gc" and not any(m in self.message for m in STRICT_NON_FATAL_MARKERS) \
            and not self.message.startswith(".gc/site.toml declares a binding for unknown rig ")

    def render(self) -> str:
        loc = self.file
        if self.line:
            loc += f":{self.line}"
        if self.field:
            loc += f": {self.field}"
        return f"{loc}: {self.message}"


@dataclass
class City:
    """A loaded city. `agents` are in Gas City's merged order (pack agents first)."""

    root: str
    path: str
    workspace: Workspace = field(default_factory=Workspace)
    daemon: Daemon = field(default_factory=Daemon)
    session: SessionSettings = field(default_factory=SessionSettings)
    chat_sessions: ChatSessions = field(default_factory=ChatSessions)
    session_sleep: dict[str, str] = field(default_factory=dict)
    agents: list[Agent] = field(default_factory=list)
    named_sessions: list[NamedSession] = field(default_factory=list)
    disabled_named_sessions: list[NamedSession] = field(default_factory=list)
    rigs: list[Rig] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    rig_defaults: list[Agent] = field(default_factory=list)  # from [defaults.rig.imports], not stamped
    rig_default_named: list[NamedSession] = field(default_factory=list)  # likewise, their named sessions
    unstamped: list[Agent] = field(default_factory=list)  # rig-scope city-import agents no rig received
    # Tables citywatch only validates, merged as Gas City merges root, fragments and packs.
    sections: dict[str, Section] = field(default_factory=dict)  # [dolt], [beads], [daemon], ...
    provider_specs: dict[str, Section] = field(default_factory=dict)  # [providers.<name>]
    services: list[Section] = field(default_factory=list)  # [[service]]
    webhooks: list[Section] = field(default_factory=list)  # [[webhook]]
    pr_monitors: list[Section] = field(default_factory=list)  # [[github.pr_monitor]]
    warnings: list[ConfigWarning] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read (watch targets)
    revision: str = ""
    resolved_name: str = ""  # .gc/site.toml workspace_name, when present
    resolved_prefix: str = ""  # .gc/site.toml workspace_prefix, when present
    site_bound: bool = False  # site bindings applied (a city.toml on disk): every rig then needs a path
    # (file, field path) -> line, as the loader saw the text; validation errors use it.
    line_finder: Callable[[str, str], int | None] | None = field(default=None, repr=False, compare=False)

    # ---- lookups (built lazily; a City is not mutated after load) ----
    def __post_init__(self) -> None:
        self._by_qn: dict[str, Agent] | None = None
        self._indexed: tuple[int, int] = (0, -1)
        self._derived: dict[Any, Any] = {}
        self._derived_for: tuple[int, ...] = ()

    def derived(self, key: Any, build: Callable[[], Any]) -> Any:
        """The value `build()` computes from this config, computed once per `key` and kept (a
        City is not mutated after load; replacing or growing its agent, named-session or rig
        lists drops every kept value)."""
        shape = (id(self.agents), len(self.agents), id(self.named_sessions), len(self.named_sessions),
                 id(self.rigs), len(self.rigs))
        if shape != self._derived_for:
            self._derived = {}
            self._derived_for = shape
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = build()
            return value

    def _index(self) -> dict[str, Agent]:
        # Rebuilt when `agents` is replaced or grows; the loader replaces the list, never edits it.
        key = (id(self.agents), len(self.agents))
        if self._by_qn is None or key != self._indexed:
            self._by_qn = {}
            for a in self.agents:
                self._by_qn.setdefault(a.qualified_name, a)  # first wins, as Gas City's lookups do
            self._indexed = key
        return self._by_qn

    def agent(self, qn: str) -> Agent | None:
        """The agent whose qualified name is `qn` exactly."""
        return self._index().get(qn)

    def find_agent(self, ref: str) -> Agent | None:
        """Resolve a user string: exact qualified match, then dir+bare name for binding-less
        agents, then a unique `binding.<ref>` match."""
        a = self.agent(ref)
        if a is not None:
            return a
        dir_, _, base = ref.rpartition("/")
        cands = [x for x in self.agents if x.dir == dir_ and x.name == base and not x.binding]
        if len(cands) == 1:
            return cands[0]
        if "." not in base:
            cands = [x for x in self.agents if x.dir == dir_ and x.name == base]
            if len(cands) == 1:
                return cands[0]
        return self._rig_view(ref)

    def find_template(self, identity: str) -> Agent | None:
        """Gas City's FindAgent: the exact qualified name, else a rig-qualified view
        (`rig/name`) of the one inline `scope = "rig"` agent without a dir, when that rig
        exists. This is the lookup named sessions use to find their backing template."""
        return self.agent(identity) or self._rig_view(identity)

    def _rig_view(self, identity: str) -> Agent | None:
        dir_, _, name = identity.rpartition("/")
        if not dir_ or not name or self.rig(dir_) is None:
            return None
        cands = [a for a in self.agents if a.name == name and not a.dir and a.scope == "rig"]
        if len(cands) != 1:
            return None
        return replace(cands[0], dir=dir_)

    def rig(self, name: str) -> Rig | None:
        return self.derived("rigs_by_name", lambda: _first_by(self.rigs, lambda r: r.name)).get(name)

    @property
    def name(self) -> str:
        """EffectiveCityName: site binding name, else workspace.name, else the directory name."""
        return (self.resolved_name.strip() or self.workspace.name.strip()
                or os.path.basename(os.path.abspath(self.root)))

    @property
    def hq_prefix(self) -> str:
        """EffectiveHQPrefix: site binding prefix, else workspace.prefix, else derived."""
        from core.config.prefix import derive_beads_prefix

        return self.resolved_prefix or self.workspace.prefix or derive_beads_prefix(self.name)

    @property
    def max_wakes_per_tick(self) -> int:
        v = self.daemon.max_wakes_per_tick
        return v if v and v > 0 else 5

    def named_for_template(self, template_qn: str) -> list[NamedSession]:
        def build() -> dict[str, list[NamedSession]]:
            out: dict[str, list[NamedSession]] = {}
            for n in self.named_sessions:
                out.setdefault(n.template_qualified, []).append(n)
            return out

        return list(self.derived("named_by_template", build).get(template_qn, ()))

    def named_by_identity(self, identity: str) -> NamedSession | None:
        by_identity = self.derived("named_by_identity", lambda: _first_by(self.named_sessions, lambda n: n.identity))
        return by_identity.get(identity)


def _first_by(items: list, key: Callable[[Any], str]) -> dict[str, Any]:
    """`key(item) -> item`, the first item winning (as Gas City's linear lookups do)."""
    out: dict[str, Any] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out
