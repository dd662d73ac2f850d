"""Typed city configuration: the subset of Gas City's config.City the reconciler reads.

Every agent and named session remembers where it came from (file and table path), so errors,
`config show` and the TUI can point at the line an operator must edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Origin:
    """Where a config item was declared."""

    file: str
    table: str = ""  # field path of the table inside the file, e.g. "agent[2]"; "" = whole file
    kind: str = "inline"  # inline | pack | pack-v1 | fragment | implicit | rig-import | city-import
    binding: str = ""

    def describe(self) -> str:
        where = self.file + (f" [{self.table}]" if self.table else "")
        if self.binding:
            return f"{where} (import {self.binding})"
        return where


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
    origin: Origin = field(default_factory=lambda: Origin(""))
    extra: dict[str, Any] = field(default_factory=dict)  # launch keys kept for the fingerprint

    @property
    def qualified_name(self) -> str:
        return qualify(self.dir, self.binding, self.name)

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

    def with_(self, **changes: Any) -> "Agent":
        return replace(self, **changes)

    def core_fingerprint(self) -> str:
        """The started-config hash: launch fields, depends_on, non-default wake_mode, and the
        pool min/max when any pool control is set. scale_check never counts (as in Gas City)."""
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
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
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

    def _split_template(self) -> tuple[str, str]:
        # template may be "binding.agent"; an explicit binding stamped by import wins.
        if "." in self.template and not self.binding:
            b, _, t = self.template.partition(".")
            return b, t
        return self.binding, self.template

    @property
    def identity(self) -> str:
        binding, template = self._split_template()
        return qualify(self.dir, binding, self.name or template)

    @property
    def template_qualified(self) -> str:
        binding, template = self._split_template()
        return qualify(self.dir, binding, template)


@dataclass
class Import:
    binding: str
    source: str
    version: str = ""
    declared_in: str = ""  # file
    scope: str = "city"  # city | rig:<name> | defaults.rig
    resolved_path: str = ""  # local directory when resolved
    unresolved_reason: str = ""


@dataclass
class Rig:
    name: str
    path: str = ""
    prefix: str = ""
    suspended: bool = False
    max_active_sessions: int | None = None
    session_sleep: dict[str, str] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    includes: tuple[str, ...] = ()
    origin: Origin = field(default_factory=lambda: Origin(""))


@dataclass
class Workspace:
    name: str = ""
    prefix: str = ""
    provider: str = ""
    max_active_sessions: int | None = None
    session_template: str = ""
    suspended: bool = False


@dataclass
class Daemon:
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
    startup_timeout: str = "60s"
    progress_stall_timeout: str = ""
    claim_holder_stall_timeout: str = ""


@dataclass
class ChatSessions:
    idle_timeout: str = ""
    grace_period: str = "10m"


SLEEP_CLASSES = ("interactive_resume", "interactive_fresh", "noninteractive")


@dataclass
class ConfigWarning:
    file: str
    message: str
    field: str = ""
    line: int | None = None

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
    warnings: list[ConfigWarning] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read (watch targets)
    revision: str = ""

    # ---- lookups (built lazily; a City is not mutated after load) ----
    def __post_init__(self) -> None:
        self._by_qn: dict[str, Agent] | None = None

    def _index(self) -> dict[str, Agent]:
        if self._by_qn is None or len(self._by_qn) != len(self.agents):
            self._by_qn = {a.qualified_name: a for a in self.agents}
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
        return None

    def rig(self, name: str) -> Rig | None:
        for r in self.rigs:
            if r.name == name:
                return r
        return None

    @property
    def name(self) -> str:
        import os

        return self.workspace.name or os.path.basename(os.path.abspath(self.root))

    @property
    def max_wakes_per_tick(self) -> int:
        v = self.daemon.max_wakes_per_tick
        return v if v and v > 0 else 5

    def named_for_template(self, template_qn: str) -> list[NamedSession]:
        return [n for n in self.named_sessions if n.template_qualified == template_qn]

    def named_by_identity(self, identity: str) -> NamedSession | None:
        for n in self.named_sessions:
            if n.identity == identity:
                return n
        return None
