"""Validation with Gas City's messages: named sessions (at load), agents and rigs (a second step,
run by `gc start`, controller reload and `gc config show --validate`). The first error wins."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.config.city_config import Agent, City, ConfigWarning, NamedSession
from core.config.errors import ConfigError
from core.config.sleep import resolve_sleep_policy

if TYPE_CHECKING:
    from core.config.reader import Reader

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
TEMPLATE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*(\.[a-zA-Z0-9][a-zA-Z0-9_-]*)?$")
ORDERS_RIG_WILDCARD = "*"
DISABLED_MARKER = "; named session disabled until its template resolves"
ALWAYS_FRESH_MARKER = "starts a fresh provider session after every drain"


def _line(city: City, file: str, field: str, rd: Reader | None) -> int | None:
    if rd is not None:
        return rd.line_of(file, field)
    if city.line_finder is not None:
        return city.line_finder(file, field)
    from core.config.locate import locate
    from core.guards.safeio import CONFIG_MAX_BYTES, read_regular

    try:
        return locate(read_regular(file, CONFIG_MAX_BYTES).decode("utf-8"), field)
    except (OSError, UnicodeDecodeError):
        return None


def _err(city: City, rd: Reader | None, file: str, field: str, message: str) -> ConfigError:
    return ConfigError(file, message, field=field, line=_line(city, file, field, rd))


def _failer(city: City, rd: Reader | None, file: str, base: str) -> Callable[[str, str], ConfigError]:
    """The error-maker for one table: `fail(key, message)` names its file, field and line."""
    return lambda key, message: _err(city, rd, file, _fp(base, key), message)


def _fp(base: str, key: str) -> str:
    if not key:
        return base
    return f"{base}.{key}" if base else key


def _check_named_fields(n: NamedSession, i: int, fail: Callable[[str, str], ConfigError]) -> None:
    """template and name spelled as identifiers; scope and mode among the known ones."""
    if not n.template:
        raise fail("template", f"named_session[{i}]: template is required")
    if not TEMPLATE_RE.match(n.template):
        raise fail("template", f'named_session[{i}]: template "{n.template}" must match '
                               "[a-zA-Z0-9][a-zA-Z0-9_-]* or binding.agent")
    if n.name and not NAME_RE.match(n.name):
        raise fail("name", f'named_session[{i}]: name "{n.name}" must match [a-zA-Z0-9][a-zA-Z0-9_-]*')
    qn = n.identity
    if n.scope not in ("", "city", "rig"):
        raise fail("scope", f'named_session "{qn}": scope must be "city", "rig", or empty, got "{n.scope}"')
    if n.effective_mode not in ("on_demand", "always"):
        raise fail("mode", f'named_session "{qn}": mode must be "on_demand", "always", or empty, got "{n.mode}"')


def _check_always_on(city: City, rd: Reader | None, agent: Agent, qn: str, count: int, f: str, fp: str,
                     fail: Callable[[str, str], ConfigError]) -> None:
    """An always-on named session: warned with wake_mode fresh; its template's capacity must
    hold every always-on session on it (`count` so far), and it must not sleep when idle."""
    t = agent.qualified_name
    if agent.wake_mode == "fresh" and rd is not None:
        rd.warn(f, f'named_session "{qn}": mode "always" with wake_mode "fresh" on template "{t}" '
                   f"{ALWAYS_FRESH_MARKER}; use only for a deliberate restart-per-cycle actor",
                _fp(fp, "mode"))
    m = agent.max_active_sessions
    if m is not None and m < count:
        raise fail("mode", f'named_session "{qn}": mode "always" exceeds max_active_sessions capacity {m} '
                           f'on template "{t}"')
    value = resolve_sleep_policy(city, agent).value.strip()
    if value and value.lower() != "off":
        raise fail("mode", f'named_session "{qn}": mode "always" is incompatible with '
                           f'sleep_after_idle="{value}" on template "{t}"')


def validate_named_sessions(city: City, rd: Reader | None = None) -> None:
    """Gas City's validateNamedSessions, in declaration order: fatal errors raise; a named
    session whose backing template is missing is dropped with a warning (disabled)."""
    from core.config.naming import session_name_for

    seen: set[tuple[str, str]] = set()
    reserved_aliases: dict[str, str] = {}
    reserved_names: dict[str, str] = {}
    always: dict[str, int] = {}
    enabled: list[NamedSession] = []
    disabled: list[NamedSession] = []
    for i, n in enumerate(city.named_sessions):
        f, fp = n.origin.file, n.origin.table or f"named_session[{i}]"
        fail = _failer(city, rd, f, fp)

        _check_named_fields(n, i, fail)
        qn = n.identity
        key = (n.dir, n.identity_name)
        if key in seen:
            raise fail("", f'named_session "{qn}": duplicate identity')
        seen.add(key)
        agent = city.find_template(n.template_qualified)
        if agent is None:
            msg = (f'named_session "{qn}": backing template "{n.template_qualified}" not found after pack '
                   f"expansion{DISABLED_MARKER}")
            if rd is not None:
                rd.warn(f, msg, _fp(fp, "template"))
            disabled.append(n)
            continue
        sname = session_name_for(city, qn)
        other = reserved_aliases.get(sname)
        if other is not None and other != qn:
            raise fail("", f'named_session "{qn}": reserved alias collides with deterministic session_name for '
                           f'"{other}" ("{sname}")')
        other = reserved_names.get(qn)
        if other is not None and other != qn:
            raise fail("", f'named_session "{qn}": reserved alias collides with deterministic session_name for '
                           f'"{other}" ("{qn}")')
        other = reserved_names.get(sname)
        if other is not None and other != qn:
            raise fail("", f'named_session "{qn}": deterministic session_name "{sname}" collides with configured '
                           f'named session "{other}"')
        reserved_aliases[qn] = qn
        reserved_names[sname] = qn
        enabled.append(n)
        if n.effective_mode == "always":
            t = agent.qualified_name
            always[t] = always.get(t, 0) + 1
            _check_always_on(city, rd, agent, qn, always[t], f, fp, fail)
    city.named_sessions = enabled
    city.disabled_named_sessions = disabled


def validation_errors(city: City) -> list[ConfigError]:
    """What `gc config show` collects: the first error of each validator, in its order
    (ValidateAgents, ValidateRigs, ValidateWebhooks, ValidateServices with the runtime support
    check). Empty when the config validates."""
    from core.config.city_limits import check_city_limits
    from core.config.service_checks import validate_services, validate_webhooks

    out = []
    # citywatch's own ceiling last, after Gas City's validators
    for check in (validate_agents, validate_rigs, validate_webhooks, validate_services, check_city_limits):
        try:
            check(city)
        except ConfigError as e:
            out.append(e)
    return out


def validate_city(city: City) -> None:
    """Raise the first of validation_errors (ValidateAgents first), as a scenario load or
    `config show --validate` reports it."""
    errors = validation_errors(city)
    if errors:
        raise errors[0]


_ENUMS = (
    ("scope", ("city", "rig"), 'must be "city", "rig", or empty'),
    ("prompt_mode", ("arg", "flag", "none"), 'must be "arg", "flag", "none", or empty'),
    ("lifecycle", ("one_shot",), 'must be "one_shot" or empty'),
    ("wake_mode", ("resume", "fresh"), 'must be "resume", "fresh", or empty'),
    ("mouse_mode", ("on", "off"), 'must be "on", "off", or empty'),
)


def _enum_value(a: Agent, key: str) -> str:
    if key in ("scope", "lifecycle", "wake_mode"):
        return getattr(a, key)
    return str(a.extra.get(key, ""))


def _layout(a: Agent) -> str:
    return {"pack-v1": "v1", "pack": "v2"}.get(a.origin.kind, "")


def validate_agents(city: City) -> None:
    """Gas City's ValidateAgents."""
    seen: dict[tuple[str, str, str], Agent] = {}
    by_dir_name: dict[tuple[str, str], list[Agent]] = {}
    for i, a in enumerate(city.agents):
        f, fp = a.origin.file, a.origin.table
        fail = _failer(city, None, f, fp)

        if not a.name:
            raise fail("name", f"agent[{i}]: name is required")
        if not NAME_RE.match(a.name):
            raise fail("name", f'agent "{a.name}": name must match [a-zA-Z0-9][a-zA-Z0-9_-]* '
                               "(no spaces, slashes, or dots)")
        qn = a.qualified_name
        for prior in by_dir_name.get((a.dir, a.name), []):
            if {_layout(prior), _layout(a)} == {"v1", "v2"}:
                raise fail("name", _layout_collision(prior, a))
        by_dir_name.setdefault((a.dir, a.name), []).append(a)
        key = (a.dir, a.binding, a.name)
        if key in seen:
            raise fail("name", f'agent "{qn}": duplicate name (from "{seen[key].origin.source_label()}" and '
                               f'"{a.origin.source_label()}")')
        seen[key] = a
        for k, allowed, rule in _ENUMS:
            v = _enum_value(a, k)
            if v and v not in allowed:
                raise fail(k, f'agent "{qn}": {k} {rule}, got "{v}"')
            if k == "lifecycle" and a.extra.get("prompt_mode") == "flag" and not a.extra.get("prompt_flag"):
                raise fail("prompt_flag", f'agent "{qn}": prompt_flag is required when prompt_mode = "flag"')
        if a.min_active_sessions is not None and a.min_active_sessions < 0:
            raise fail("min_active_sessions", f'agent "{a.name}": min_active_sessions must be >= 0')
        if a.max_active_sessions is not None and a.max_active_sessions < -1:
            raise fail("max_active_sessions",
                       f'agent "{a.name}": max_active_sessions must be >= -1 (use -1 for unlimited)')
        if (a.min_active_sessions is not None and a.max_active_sessions is not None
                and a.max_active_sessions >= 0 and a.min_active_sessions > a.max_active_sessions):
            raise fail("min_active_sessions",
                       f'agent "{a.name}": min_active_sessions ({a.min_active_sessions}) must be <= '
                       f"max_active_sessions ({a.max_active_sessions})")
    validate_depends_on(city)


def _layout_collision(a: Agent, b: Agent) -> str:
    """formatV1V2MigrationError's text, its lines joined with "; "."""
    v1, v2 = (a, b) if _layout(a) == "v1" else (b, a)
    return (f'agent "{v1.qualified_name}": pack v1/v2 layout collision; v1 source: {v1.origin.file} '
            f"([[agent]] {v1.name}); v2 source: {v2.origin.file}; A v1 [[agent]] block coexists with a v2 "
            "agents/<name>/agent.toml of the same name.; Run gc doctor to inspect migration issues, then see: "
            "docs/guides/shareable-packs.md")


def validate_depends_on(city: City) -> None:
    """Unknown and self references (per agent, in order), then cycles (depth first)."""
    known = {a.qualified_name for a in city.agents}
    for a in city.agents:
        qn = a.qualified_name
        for j, d in enumerate(a.depends_on):
            fp = _fp(a.origin.table, f"depends_on[{j}]")
            if d not in known:
                raise _err(city, None, a.origin.file, fp, f'agent "{qn}": depends_on references unknown agent "{d}"')
            if d == qn:
                raise _err(city, None, a.origin.file, fp, f'agent "{qn}": depends_on contains self-reference')
    graph = {a.qualified_name: a for a in city.agents}
    color: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for a in city.agents:
        if color.get(a.qualified_name, 0):
            continue
        # Depth first with an explicit stack (a chain of thousands of agents must not exhaust
        # Python's recursion limit): each frame is (name, index of the next dependency).
        color[a.qualified_name] = 1
        stack: list[tuple[str, int]] = [(a.qualified_name, 0)]
        while stack:
            name, j = stack[-1]
            node = graph.get(name)
            deps = node.depends_on if node is not None else ()
            if j >= len(deps):
                color[name] = 2
                stack.pop()
                continue
            stack[-1] = (name, j + 1)
            dep = deps[j]
            c = color.get(dep, 0)
            if c == 1:
                assert node is not None
                raise _err(city, None, node.origin.file, _fp(node.origin.table, f"depends_on[{j}]"),
                           f'agent "{name}": dependency cycle detected ({name} -> {dep})')
            if c == 0:
                color[dep] = 1
                stack.append((dep, 0))


def validate_rigs(city: City) -> None:
    """Gas City's ValidateRigs. A rig's path is required once site bindings are applied (a
    city.toml on disk); a scenario's inline city has no site binding, so its rigs need none."""
    seen: set[str] = set()
    prefixes: dict[str, str] = {city.hq_prefix.lower(): "HQ"}
    for i, r in enumerate(city.rigs):
        f, fp = r.origin.file, r.origin.table or f"rigs[{i}]"
        if not r.name:
            raise _err(city, None, f, fp + ".name", f"rig[{i}]: name is required")
        if r.name == ORDERS_RIG_WILDCARD:
            raise _err(city, None, f, fp + ".name",
                       f'rig[{i}]: name "*" is reserved as the [[orders.overrides]] wildcard')
        if city.site_bound and not r.path:
            raise _err(city, None, f, fp, f'rig "{r.name}": path is required')
        if r.name in seen:
            raise _err(city, None, f, fp + ".name", f'rig "{r.name}": duplicate name')
        seen.add(r.name)
        prefix = r.effective_prefix.lower()
        if prefix in prefixes:
            raise _err(city, None, f, fp + (".prefix" if r.prefix else ".name"),
                       f'rig "{r.name}": prefix "{prefix}" collides with {prefixes[prefix]}')
        prefixes[prefix] = r.name


# Bead-id prefixes Gas City reserves for its coordination-class stores (reserved_prefixes.go).
RESERVED_CLASS_PREFIXES = ("gcg", "gcm", "gcn", "gco", "gcs")


def reserved_prefix_warnings(city: City) -> list[ConfigWarning]:
    """ReservedPrefixWarnings, printed by `gc start` and a reload: an HQ or rig prefix that is a
    reserved coordination-class id-prefix."""
    listed = ", ".join(RESERVED_CLASS_PREFIXES)
    tail = (f" is a reserved coordination-class id-prefix ({listed}); it is allowed today because class-store "
            "relocation is inert, but rename it before per-class stores activate or class ids will be ambiguous")
    out = []
    hq = city.hq_prefix.strip().lower()
    if hq in RESERVED_CLASS_PREFIXES:
        field = "workspace.prefix" if city.workspace.prefix else "workspace.name"
        out.append(ConfigWarning(city.path, f'HQ prefix "{hq}"{tail}', field, _line(city, city.path, field, None)))
    for i, r in enumerate(city.rigs):
        prefix = r.effective_prefix.lower()
        if prefix in RESERVED_CLASS_PREFIXES:
            fp = (r.origin.table or f"rigs[{i}]") + (".prefix" if r.prefix else ".name")
            out.append(ConfigWarning(r.origin.file, f'rig "{r.name}" prefix "{prefix}"{tail}', fp,
                                     _line(city, r.origin.file, fp, None)))
    return out
