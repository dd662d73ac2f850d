"""What a supervisor's replies mean, as typed records (the shapes of Gas City's OpenAPI schema,
`docs/reference/schema/openapi.json`; only the fields citywatch reads).

Each `decode_*` takes a decoded JSON body and returns the records and the field paths it could
not read (`core.attach.api.wire.Fields`); a field of the wrong type reads as empty, an item that
is not an object is skipped, and nothing raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.attach.api.wire import Fields


@dataclass(frozen=True)
class SupervisorHealth:
    """`GET /health`: the supervisor's version, uptime and city counts."""

    status: str
    version: str
    uptime_sec: int | None
    cities_total: int | None
    cities_running: int | None
    build_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "version": self.version, "build_id": self.build_id,
                "uptime_sec": self.uptime_sec, "cities_total": self.cities_total,
                "cities_running": self.cities_running}


@dataclass(frozen=True)
class CityInfo:
    """One city of `GET /v0/cities`: its name, its directory on the supervisor's machine, and
    whether it runs (with the supervisor's status or error when it says one)."""

    name: str
    path: str
    running: bool
    status: str = ""
    error: str = ""
    phases_completed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "running": self.running, "status": self.status,
                "error": self.error, "phases_completed": list(self.phases_completed)}


@dataclass(frozen=True)
class ApiSession:
    """One session of `GET /v0/city/{name}/sessions`: the bead's identity fields and what the
    city's runtime provider says of it (running, attached, activity), whatever the provider."""

    id: str
    template: str
    state: str
    session_name: str
    provider: str
    created_at: datetime | None
    attached: bool
    running: bool
    alias: str = ""
    title: str = ""
    reason: str = ""
    last_active: datetime | None = None
    activity: str = ""  # idle | in-turn | "" (the provider does not say)
    pool: str = ""
    agent_kind: str = ""
    configured_named_session: bool = False


@dataclass(frozen=True)
class AgentDetail:
    """One row of `status.agent_details` (pool groups carry a `scaled (min=N, max=M)` label)."""

    name: str
    qualified_name: str
    scope: str
    running: bool
    suspended: bool
    session_name: str = ""
    group_name: str = ""
    scale_label: str = ""


@dataclass(frozen=True)
class NamedSessionDetail:
    """One row of `status.named_session_details`: a configured named session, its mode and status."""

    identity: str
    mode: str
    status: str


@dataclass(frozen=True)
class CityStatus:
    """`GET /v0/city/{name}/status`, the parts citywatch uses."""

    name: str
    path: str
    suspended: bool
    version: str
    agent_details: tuple[AgentDetail, ...]
    named_sessions: tuple[NamedSessionDetail, ...]


@dataclass(frozen=True)
class ConfigAgent:
    """One agent of `GET /v0/city/{name}/config`: all the API says of a template."""

    name: str
    dir: str
    scope: str
    is_pool: bool
    provider: str
    suspended: bool


@dataclass(frozen=True)
class ConfigRig:
    """One rig of the API's config."""

    name: str
    path: str
    prefix: str
    suspended: bool


@dataclass(frozen=True)
class ConfigView:
    """`GET /v0/city/{name}/config`: the workspace, agents and rigs the supervisor runs."""

    name: str
    prefix: str
    provider: str
    session_template: str
    max_active_sessions: int | None
    suspended: bool
    agents: tuple[ConfigAgent, ...]
    rigs: tuple[ConfigRig, ...]


def _items(body: Any, key: str, problems: list[str]) -> list[Any]:
    raw = body.get(key) if isinstance(body, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(key)
        return []
    return raw


def decode_health(body: Any) -> tuple[SupervisorHealth, list[str]]:
    f = Fields("health", body)
    h = SupervisorHealth(f.text("status"), f.text("version"), f.integer("uptime_sec"), f.integer("cities_total"),
                         f.integer("cities_running"), f.text("build_id"))
    return h, f.problems


def decode_cities(body: Any) -> tuple[list[CityInfo], list[str]]:
    problems: list[str] = []
    out = []
    for i, raw in enumerate(_items(body, "items", problems)):
        f = Fields(f"items[{i}]", raw)
        name = f.text("name")
        if name:
            out.append(CityInfo(name, f.text("path"), f.flag("running"), f.text("status"), f.text("error"),
                                f.texts("phases_completed")))
        elif isinstance(raw, dict):
            problems.append(f"items[{i}].name")
        problems += f.problems
    return sorted(out, key=lambda c: c.name), problems


def decode_sessions(items: list[Any]) -> tuple[list[ApiSession], list[str]]:
    problems: list[str] = []
    out = []
    for i, raw in enumerate(items):
        f = Fields(f"items[{i}]", raw)
        s = ApiSession(id=f.text("id"), template=f.text("template"), state=f.text("state"),
                       session_name=f.text("session_name"), provider=f.text("provider"),
                       created_at=f.time("created_at"), attached=f.flag("attached"), running=f.flag("running"),
                       alias=f.text("alias"), title=f.text("title"), reason=f.text("reason"),
                       last_active=f.time("last_active"), activity=f.text("activity"), pool=f.text("pool"),
                       agent_kind=f.text("agent_kind"), configured_named_session=f.flag("configured_named_session"))
        problems += f.problems
        if s.id:
            out.append(s)
        elif isinstance(raw, dict):
            problems.append(f"items[{i}].id")
    return out, problems


def decode_status(body: Any) -> tuple[CityStatus, list[str]]:
    f = Fields("status", body)
    problems: list[str] = []
    details = []
    for i, raw in enumerate(_items(body, "agent_details", problems)):
        d = Fields(f"agent_details[{i}]", raw)
        details.append(AgentDetail(d.text("name"), d.text("qualified_name"), d.text("scope"), d.flag("running"),
                                   d.flag("suspended"), d.text("session_name"), d.text("group_name"),
                                   d.text("scale_label")))
        problems += d.problems
    named = []
    for i, raw in enumerate(_items(body, "named_session_details", problems)):
        d = Fields(f"named_session_details[{i}]", raw)
        named.append(NamedSessionDetail(d.text("identity"), d.text("mode"), d.text("status")))
        problems += d.problems
    st = CityStatus(f.text("name"), f.text("path"), f.flag("suspended"), f.text("version"), tuple(details),
                    tuple(named))
    return st, f.problems + problems


def decode_config(body: Any) -> tuple[ConfigView, list[str]]:
    problems: list[str] = []
    ws = Fields("workspace", body.get("workspace") if isinstance(body, dict) else None)
    agents = []
    for i, raw in enumerate(_items(body, "agents", problems)):
        a = Fields(f"agents[{i}]", raw)
        if a.text("name"):
            agents.append(ConfigAgent(a.text("name"), a.text("dir"), a.text("scope"), a.flag("is_pool"),
                                      a.text("provider"), a.flag("suspended")))
        elif isinstance(raw, dict):
            problems.append(f"agents[{i}].name")
        problems += a.problems
    rigs = []
    for i, raw in enumerate(_items(body, "rigs", problems)):
        r = Fields(f"rigs[{i}]", raw)
        if r.text("name"):
            rigs.append(ConfigRig(r.text("name"), r.text("path"), r.text("prefix"), r.flag("suspended")))
        problems += r.problems
    view = ConfigView(ws.text("name"), ws.text("prefix"), ws.text("provider"), ws.text("session_template"),
                      ws.integer("max_active_sessions"), ws.flag("suspended"), tuple(agents), tuple(rigs))
    return view, ws.problems + problems


_SCALE = re.compile(r"scaled \(min=(-?\d+), max=(-?\d+|unlimited)\)")


def parse_scale_label(label: str) -> tuple[int, int | None] | None:
    """`scaled (min=N, max=M)` (as Gas City's status prints a pool group) as (min, max); max is
    None for `max=unlimited`. None when the label is not one."""
    m = _SCALE.fullmatch(label.strip())
    if m is None:
        return None
    return int(m.group(1)), (None if m.group(2) == "unlimited" else int(m.group(2)))


def event_problem(raw: Any) -> str:
    """Why an event envelope cannot be used ("" when it can): it must be an object with an
    integer `seq` and a string `type`."""
    if not isinstance(raw, dict):
        return "not an object"
    seq = raw.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "no integer seq"
    if not isinstance(raw.get("type"), str):
        return "no type"
    return ""
