"""Validation with Gas City's messages: named sessions (at load), agents and rigs (a second step)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.config.errors import ConfigError
from core.config.model import City, NamedSession
from core.config.sleep import resolve_sleep_policy

if TYPE_CHECKING:
    from core.config.load import _Loader

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
TEMPLATE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*(\.[a-zA-Z0-9][a-zA-Z0-9_-]*)?$")


def _err(city: City, loader: "_Loader | None", file: str, field: str, message: str) -> ConfigError:
    line = loader.line_of(file, field) if loader is not None else _line(city, file, field)
    return ConfigError(file, message, field=field, line=line)


def _line(city: City, file: str, field: str) -> int | None:
    from core.config.locate import locate

    try:
        with open(file, encoding="utf-8") as fh:
            return locate(fh.read(), field)
    except OSError:
        return None


def named_runtime_name(city: City, identity: str) -> str:
    from core.identity import session_name_for

    return session_name_for(city, identity)


def validate_named_sessions(city: City, loader: "_Loader | None" = None) -> None:
    """Gas City's validateNamedSessions: fatal errors raise, the rest become warnings."""
    seen: dict[str, NamedSession] = {}
    runtime_names: dict[str, NamedSession] = {}
    always_per_template: dict[str, int] = {}
    enabled: list[NamedSession] = []
    disabled: list[NamedSession] = []
    for i, n in enumerate(city.named_sessions):
        f, fp = n.origin.file, n.origin.table or f"named_session[{i}]"
        if not n.template.strip():
            raise _err(city, loader, f, fp + ".template", f"named_session[{i}]: template is required")
        if not TEMPLATE_RE.match(n.template):
            raise _err(city, loader, f, fp + ".template",
                       f'named_session[{i}]: template "{n.template}" must match [a-zA-Z0-9][a-zA-Z0-9_-]* or binding.agent')
        if n.name and not NAME_RE.match(n.name):
            raise _err(city, loader, f, fp + ".name", f'named_session[{i}]: name "{n.name}" must match [a-zA-Z0-9][a-zA-Z0-9_-]*')
        qn = n.identity
        if n.scope not in ("", "city", "rig"):
            raise _err(city, loader, f, fp + ".scope", f'named_session "{qn}": scope must be "city", "rig", or empty, got "{n.scope}"')
        if n.mode not in ("", "on_demand", "always"):
            raise _err(city, loader, f, fp + ".mode",
                       f'named_session "{qn}": mode must be "on_demand", "always", or empty, got "{n.mode}"')
        if qn in seen:
            raise _err(city, loader, f, fp, f'named_session "{qn}": duplicate identity')
        seen[qn] = n
        agent = city.agent(n.template_qualified) or city.find_agent(n.template_qualified)
        if agent is None:
            msg = (f'named_session "{qn}": backing template "{n.template_qualified}" not found after pack expansion; '
                   "named session disabled until its template resolves")
            if loader is not None:
                loader.warn(f, msg, fp)
            disabled.append(n)
            continue
        enabled.append(n)
        if n.effective_mode == "always":
            m = agent.max_active_sessions
            always_per_template[agent.qualified_name] = always_per_template.get(agent.qualified_name, 0) + 1
            if m is not None and always_per_template[agent.qualified_name] > m:
                raise _err(city, loader, f, fp + ".mode",
                           f'named_session "{qn}": mode "always" exceeds max_active_sessions capacity {m} on template "{agent.qualified_name}"')
            pol = resolve_sleep_policy(city, agent)
            if pol.value.lower() != "off":
                raise _err(city, loader, f, fp + ".mode",
                           f'named_session "{qn}": mode "always" is incompatible with sleep_after_idle="{pol.value}" on template "{agent.qualified_name}"')
            if agent.wake_mode == "fresh" and loader is not None:
                loader.warn(f, f'named_session "{qn}": mode "always" with wake_mode "fresh" starts a fresh provider '
                               "session after every drain", fp)
    # Reserved alias vs deterministic session_name collisions.
    for n in enabled:
        runtime_names[named_runtime_name(city, n.identity)] = n
    for n in enabled:
        other = runtime_names.get(n.identity)
        if other is not None and other is not n:
            f, fp = n.origin.file, n.origin.table
            raise _err(city, loader, f, fp,
                       f'named_session "{n.identity}": reserved alias collides with deterministic session_name for '
                       f'"{other.identity}" ("{n.identity}")')
    city.named_sessions = enabled
    city.disabled_named_sessions = disabled


def validate_city(city: City) -> None:
    """ValidateAgents then ValidateRigs; the first error wins (as `gc start` reports it)."""
    validate_agents(city)
    validate_rigs(city)


_ENUMS = {
    "scope": ("city", "rig"),
    "wake_mode": ("resume", "fresh"),
    "prompt_mode": ("arg", "flag", "none"),
    "mouse_mode": ("on", "off"),
}


def validate_agents(city: City) -> None:
    seen: dict[tuple[str, str, str], object] = {}
    for i, a in enumerate(city.agents):
        f = a.origin.file
        fp = a.origin.table

        def field(key: str) -> str:
            return f"{fp}.{key}" if fp else key

        if not a.name:
            raise _err(city, None, f, field("name"), f"agent[{i}]: name is required")
        if not NAME_RE.match(a.name):
            raise _err(city, None, f, field("name"),
                       f'agent "{a.name}": name must match [a-zA-Z0-9][a-zA-Z0-9_-]* (no spaces, slashes, or dots)')
        qn = a.qualified_name
        key = (a.dir, a.binding, a.name)
        if key in seen:
            other = seen[key]
            raise _err(city, None, f, field("name"),
                       f'agent "{qn}": duplicate name (from "{_src(other)}" and "{_src(a)}")')
        seen[key] = a
        for k, allowed in _ENUMS.items():
            v = a.scope if k == "scope" else a.wake_mode if k == "wake_mode" else str(a.extra.get(k, ""))
            if v and v not in allowed:
                choices = ", ".join(f'"{x}"' for x in allowed)
                raise _err(city, None, f, field(k), f'agent "{qn}": {k} must be {choices}, or empty, got "{v}"')
        if a.lifecycle and a.lifecycle != "one_shot":
            raise _err(city, None, f, field("lifecycle"), f'agent "{qn}": lifecycle must be "one_shot" or empty, got "{a.lifecycle}"')
        if a.extra.get("prompt_mode") == "flag" and not a.extra.get("prompt_flag"):
            raise _err(city, None, f, field("prompt_flag"), f'agent "{qn}": prompt_flag is required when prompt_mode = "flag"')
        if a.min_active_sessions is not None and a.min_active_sessions < 0:
            raise _err(city, None, f, field("min_active_sessions"), f'agent "{a.name}": min_active_sessions must be >= 0')
        if a.max_active_sessions is not None and a.max_active_sessions < -1:
            raise _err(city, None, f, field("max_active_sessions"),
                       f'agent "{a.name}": max_active_sessions must be >= -1 (use -1 for unlimited)')
        if (a.min_active_sessions is not None and a.max_active_sessions is not None and a.max_active_sessions >= 0
                and a.min_active_sessions > a.max_active_sessions):
            raise _err(city, None, f, field("min_active_sessions"),
                       f'agent "{a.name}": min_active_sessions ({a.min_active_sessions}) must be <= max_active_sessions ({a.max_active_sessions})')
    known = {a.qualified_name for a in city.agents}
    for a in city.agents:
        f, fp = a.origin.file, a.origin.table
        for j, d in enumerate(a.depends_on):
            dfp = f"{fp}.depends_on[{j}]" if fp else f"depends_on[{j}]"
            if d == a.qualified_name:
                raise _err(city, None, f, dfp, f'agent "{a.qualified_name}": depends_on contains self-reference')
            if d not in known:
                raise _err(city, None, f, dfp, f'agent "{a.qualified_name}": depends_on references unknown agent "{d}"')
    cycle = _find_cycle(city)
    if cycle is not None:
        a = city.agent(cycle[0])
        assert a is not None
        fp = a.origin.table
        raise _err(city, None, a.origin.file, f"{fp}.depends_on" if fp else "depends_on",
                   f'agent "{cycle[0]}": dependency cycle detected ({" -> ".join(cycle)})')


def _src(a) -> str:
    o = a.origin
    if o.kind == "inline":
        return "<inline>"
    if o.binding:
        return f"<pack: {o.binding}>"
    return o.file


def _find_cycle(city: City) -> list[str] | None:
    graph = {a.qualified_name: list(a.depends_on) for a in city.agents}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, ()):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d in graph and state.get(d) is None:
                r = visit(d)
                if r:
                    return r
        stack.pop()
        state[n] = 2
        return None

    for a in city.agents:
        if state.get(a.qualified_name) is None:
            r = visit(a.qualified_name)
            if r:
                # Gas City reports the edge from the later agent back to its dependency.
                return r[-2:] if len(r) >= 2 else r
    return None


def validate_rigs(city: City) -> None:
    seen: set[str] = set()
    prefixes: dict[str, str] = {}
    for i, r in enumerate(city.rigs):
        f, fp = r.origin.file, r.origin.table or f"rigs[{i}]"
        if not r.name:
            raise _err(city, None, f, fp + ".name", f"rig[{i}]: name is required")
        if r.name == "*":
            raise _err(city, None, f, fp + ".name", f'rig[{i}]: name "*" is reserved as the [[orders.overrides]] wildcard')
        if r.name in seen:
            raise _err(city, None, f, fp + ".name", f'rig "{r.name}": duplicate name')
        seen.add(r.name)
        if r.prefix:
            low = r.prefix.lower()
            if low in prefixes:
                raise _err(city, None, f, fp + ".prefix", f'rig "{r.name}": prefix "{r.prefix}" collides with {prefixes[low]}')
            prefixes[low] = f'rig "{r.name}"'
