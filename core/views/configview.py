"""What `citywatch config show` prints: every agent with its identity shape and where it came
from, named sessions, rigs, imports citywatch could not resolve, rig-default templates not yet
stamped, and the load warnings.

`city_summary` builds a plain, JSON-ready dict (sorted keys, paths relative to the city
directory when inside it, so the same city gives the same bytes); `render_summary` lays it out
as tables an operator can scan.
"""

from __future__ import annotations

from typing import Any

from core.config.city_config import Agent, City, Import, NamedSession, Origin, Rig
from core.config.errors import ConfigError
from core.config.validate import reserved_prefix_warnings
from core.identity import CURRENT, predicates, session_name_for, shape
from core.model.scalecheck import ScaleCheckResult
from core.views.confignotes import config_notes, relative, singleton_session_warnings, warning_text

_SCALE_CHECK_WIDTH = 32


_rel = relative


def _origin(o: Origin, root: str) -> dict[str, str]:
    return {"file": _rel(o.file, root), "table": o.table, "kind": o.kind, "binding": o.binding}


def _agent_row(a: Agent, city: City | None, root: str, semantics: str,
               named: list[NamedSession]) -> dict[str, Any]:
    sh = shape(a, city, semantics)
    if city is None and named:  # rig defaults: named sessions come from the same pack
        modes = ", ".join(f"{n.identity} ({n.effective_mode})" for n in named)
        sh_kind, sh_label, sh_detail = "named", f"named + {sh.label}", f"backs [[named_session]] {modes}; {sh.detail}"
    else:
        sh_kind, sh_label, sh_detail = sh.kind, sh.label, sh.detail
    return {
        "qualified_name": a.qualified_name,
        "name": a.name,
        "dir": a.dir,
        "binding": a.binding,
        "scope": a.scope,
        "shape": {"kind": sh_kind, "label": sh_label, "detail": sh_detail},
        "predicates": predicates(a, semantics),
        "min_active_sessions": a.min_active_sessions,
        "max_active_sessions": a.max_active_sessions,
        "scale_check": a.scale_check,
        "namepool": _rel(a.namepool, root),
        "namepool_names": len(a.namepool_names),
        "namepool_error": a.namepool_error,
        "depends_on": list(a.depends_on),
        "suspended": a.suspended,
        "implicit": a.implicit,
        "named_sessions": [n.identity for n in named],
        "origin": _origin(a.origin, root),
        "provider": a.provider,
        "default_sling_formula": a.default_sling_formula,
        "start_command": a.start_command,
        "wake_mode": a.wake_mode,
        "attach": a.attach,
        "work_dir": a.work_dir,
        "session_live": list(a.session_live),
        "lifecycle": a.lifecycle,
        "durations": {k: v for k, v in (("idle_timeout", a.idle_timeout), ("sleep_after_idle", a.sleep_after_idle),
                                         ("drain_timeout", a.drain_timeout), ("max_session_age", a.max_session_age),
                                         ("max_session_age_jitter", a.max_session_age_jitter)) if v},
        "settings": {k: a.extra[k] for k in sorted(a.extra)},  # every other key the config sets
    }


def _named_row(n: NamedSession, city: City, root: str, *, disabled: bool = False) -> dict[str, Any]:
    row = {
        "identity": n.identity,
        "mode": n.effective_mode,
        "template": n.template_qualified,
        "runtime_name": session_name_for(city, n.identity),
        "scope": n.scope,
        "dir": n.dir,
        "binding": n.binding,
        "origin": _origin(n.origin, root),
    }
    if disabled:
        row["why"] = f'backing template "{n.template_qualified}" not found after pack expansion'
    return row


def scale_check_rows(results: list[ScaleCheckResult]) -> list[dict[str, Any]]:
    """`--run-scale-checks` results as rows: template, the command as run, the count or why the
    read failed (a partial read)."""
    return [{"template": r.template, "command": r.command, "value": r.value, "reason": r.reason} for r in results]


def _city_row(city: City, semantics: str) -> dict[str, Any]:
    return {
        "name": city.name,
        "path": city.path,
        "revision": city.revision,
        "hq_prefix": city.hq_prefix,
        "semantics": semantics,
        "max_active_sessions": city.workspace.max_active_sessions,
        "session_template": city.workspace.session_template,
        "session_sleep": dict(sorted(city.session_sleep.items())),
        "providers": list(city.providers),
    }


def _import_row(imp: Import, root: str) -> dict[str, Any]:
    return {
        "binding": imp.binding,
        "scope": imp.scope if not imp.scope.startswith("pack:") else "pack:" + _rel(imp.scope[5:], root),
        "source": imp.source,
        "version": imp.version,
        "declared_in": _rel(imp.declared_in, root),
        "field": imp.field,
        "resolved": imp.resolved,
        "resolved_path": _rel(imp.resolved_path, root),
        "resolved_via": imp.resolved_via,
        "builtin": imp.builtin,
        "why": imp.unresolved_reason,
    }


def _rig_row(r: Rig) -> dict[str, Any]:
    return {
        "name": r.name,
        "path": r.path,
        "path_source": r.path_source,
        "prefix": r.effective_prefix,
        "max_active_sessions": r.max_active_sessions,
        "suspended": r.suspended,
        "imports": sorted(r.imports),
        "session_sleep": dict(sorted(r.session_sleep.items())),
        "settings": {k: r.settings[k] for k in sorted(r.settings)},
    }


def city_summary(city: City, semantics: str = CURRENT, errors: list[ConfigError] | None = None) -> dict[str, Any]:
    """The whole summary as plain data (stable for a given city and semantics). `errors` are the
    validators' errors (validate.validation_errors), listed as `validation_errors`."""
    root = city.root
    agents = [_agent_row(a, city, root, semantics, city.named_for_template(a.qualified_name)) for a in city.agents]
    imports = [_import_row(imp, root) for imp in city.imports]
    defaults = []
    for a in city.rig_defaults:
        named = [n for n in city.rig_default_named if n.template_qualified == a.qualified_name]
        defaults.append(_agent_row(a, None, root, semantics, named))
    return {
        "city": _city_row(city, semantics),
        "agents": agents,
        "named_sessions": [_named_row(n, city, root) for n in city.named_sessions],
        "disabled_named_sessions": [_named_row(n, city, root, disabled=True) for n in city.disabled_named_sessions],
        "rigs": [_rig_row(r) for r in city.rigs],
        "provider_specs": {name: dict(spec.table) for name, spec in sorted(city.provider_specs.items())},
        "sections": {name: dict(sec.table) for name, sec in sorted(city.sections.items())},
        "imports": imports,
        "unresolved_imports": [i for i in imports if not i["resolved"]],
        "builtin_packs": sorted({i["builtin"] for i in imports if i["builtin"]}),
        "rig_defaults": {
            "agents": defaults,
            "named_sessions": [_named_row(n, city, root) for n in city.rig_default_named],
        },
        "unstamped": [_agent_row(a, None, root, semantics, []) for a in city.unstamped],
        "warnings": [warning_text(w, root) for w in city.warnings],
        "validation_warnings": singleton_session_warnings(city),  # what gc config show adds
        "validation_errors": [_error(e, root) for e in errors or []],
        "start_warnings": [warning_text(w, root) for w in reserved_prefix_warnings(city)],
        "notes": config_notes(city, errors or []),  # every line above that needs attention, as the app logs them
        "files": [_rel(f, root) for f in city.files],
    }


def _error(e: ConfigError, root: str) -> str:
    return e.with_file(_rel(e.file, root)).render()


# ---------------------------------------------------------------------- text
def _cell(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def _clip(s: str, width: int | None) -> str:
    return s if width is None or len(s) <= width else s[: width - 1] + "…"


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    out = []
    for r in [headers] + rows:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def _where(o: dict[str, str]) -> str:
    s = o["file"] + (f" [{o['table']}]" if o["table"] else "")
    if o["kind"] == "implicit":
        s = f"[{o['table']}] (implicit provider agent)"
    if o["binding"]:
        s += f" (import {o['binding']})"
    return s


def _agent_rows(agents: list[dict[str, Any]], clip: bool = True) -> list[list[str]]:
    rows = []
    for a in agents:
        flags = []
        if a["suspended"]:
            flags.append("suspended")
        if a["namepool_error"]:
            flags.append("namepool unreadable")
        label = a["shape"]["label"] + (f" ({', '.join(flags)})" if flags else "")
        rows.append([a["qualified_name"], label, _cell(a["min_active_sessions"]), _cell(a["max_active_sessions"]),
                     _clip(_cell(a["scale_check"]), _SCALE_CHECK_WIDTH if clip else None), _cell(a["depends_on"]), _where(a["origin"])])
    return rows


_AGENT_HEADERS = ["SHAPE", "MIN", "MAX", "SCALE_CHECK", "DEPENDS_ON", "FROM"]


def _section(title: str, headers: list[str], rows: list[list[str]]) -> list[str]:
    """A blank line, the section's title, then its table or `(none)`."""
    return ["", title] + (table(headers, rows) if rows else ["  (none)"])


def render_summary(s: dict[str, Any], *, clip: bool = True) -> str:
    """The summary as text: a header line, then one table per section. With `clip`, long
    scale_check commands are cut to fit a screen; without it (output to a file or a pipe,
    `--wide`) every value is whole."""
    c = s["city"]
    lines = [f"City {c['name']}  ({c['path']})  revision {c['revision']}  semantics {c['semantics']}"]
    if c["max_active_sessions"] is not None:
        lines[0] += f"  max_active_sessions {c['max_active_sessions']}"
    lines += _section(f"Agents ({len(s['agents'])})", ["AGENT"] + _AGENT_HEADERS, _agent_rows(s["agents"], clip))
    lines += _session_sections(s)
    lines += _section(f"Rigs ({len(s['rigs'])})", ["RIG", "PATH", "PREFIX", "MAX", "SUSPENDED", "IMPORTS"],
                      [[r["name"], _cell(r["path"]) + (f" ({r['path_source']})" if r["path_source"] else ""),
                        r["prefix"], _cell(r["max_active_sessions"]), _cell(r["suspended"]), _cell(r["imports"])]
                       for r in s["rigs"]])
    lines += _import_sections(s)
    lines += _template_sections(s, clip)
    runs = s.get("scale_check_runs")
    if runs is not None:
        lines += _section(f"scale_check runs ({len(runs)}): --run-scale-checks ran each command once",
                          ["TEMPLATE", "RESULT", "COMMAND"],
                          [[r["template"], str(r["value"]) if r["value"] is not None else f"partial: {r['reason']}",
                            _clip(r["command"], None if not clip else 60)] for r in runs])
    lines.append("")
    lines.append(f"Notes and warnings ({len(s['notes'])})")
    lines += [f"  {w}" for w in s["notes"]] or ["  (none)"]
    return "\n".join(lines)


def _session_sections(s: dict[str, Any]) -> list[str]:
    """Named sessions, then the disabled ones when there are any."""
    lines = _section(f"Named sessions ({len(s['named_sessions'])})", ["IDENTITY", "MODE", "TEMPLATE", "RUNTIME NAME", "FROM"],
                     [[n["identity"], n["mode"], n["template"], n["runtime_name"], _where(n["origin"])]
                      for n in s["named_sessions"]])
    if s["disabled_named_sessions"]:
        lines += _section(f"Named sessions disabled ({len(s['disabled_named_sessions'])})", ["IDENTITY", "MODE", "WHY", "FROM"],
                          [[n["identity"], n["mode"], n["why"], _where(n["origin"])] for n in s["disabled_named_sessions"]])
    return lines


def _import_sections(s: dict[str, Any]) -> list[str]:
    """The builtin packs used (when any), then the imports not resolved."""
    lines: list[str] = []
    if s["builtin_packs"]:
        lines.append("")
        lines.append(f"Builtin packs used ({len(s['builtin_packs'])}): shipped with citywatch, as gc embeds them")
        lines += [f"  {b}" for b in s["builtin_packs"]]
    unresolved = s["unresolved_imports"]
    return lines + _section(f"Imports not resolved ({len(unresolved)})", ["BINDING", "SCOPE", "SOURCE", "WHY"],
                            [[_cell(i["binding"]), i["scope"], i["source"], i["why"]] for i in unresolved])


def _template_sections(s: dict[str, Any], clip: bool) -> list[str]:
    """Rig-scope templates no rig receives and rig defaults not yet stamped, when there are any."""
    lines: list[str] = []
    if s["unstamped"]:
        lines += _section(f"Rig-scope templates no rig receives ({len(s['unstamped'])}): add a [[rigs]] entry to stamp them",
                          ["TEMPLATE"] + _AGENT_HEADERS, _agent_rows(s["unstamped"], clip))
    rd = s["rig_defaults"]
    if rd["agents"] or rd["named_sessions"]:
        # Only named sessions and no agents still prints the bare table header, not "(none)".
        lines += ["", f"Rig defaults not yet stamped ({len(rd['agents'])}): `gc rig add` stamps these into each new rig"]
        lines += table(["TEMPLATE"] + _AGENT_HEADERS, _agent_rows(rd["agents"], clip))
    return lines
