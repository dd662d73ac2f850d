"""TOML tables to model objects: agents, named sessions and imports, type-checked and located.

Also where an import's source points: a local directory, a remote source found in an
operator-supplied directory of packs (`--packs`), one of Gas City's builtin packs that citywatch
ships (core/config/builtin.py), or a remote (git) source citywatch cannot fetch.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

from core.config import builtin
from core.config import schema as S
from core.config.city_config import Agent, Import, NamedSession, Origin
from core.config.reader import Reader

_REMOTE_PREFIXES = ("git@", "ssh://", "https://", "http://", "file://", "github.com/")
_GITHUB_TREE = re.compile(r"^(?:[a-z]+://)?github\.com/[^/]+/[^/]+/(?:tree|blob)/")

# Agent keys held in typed fields; every other known key is kept in Agent.extra.
AGENT_DIRECT = frozenset({
    "name", "dir", "scope", "suspended", "max_active_sessions", "min_active_sessions", "scale_check",
    "namepool", "depends_on", "wake_mode", "attach", "idle_timeout", "sleep_after_idle", "max_session_age",
    "max_session_age_jitter", "drain_timeout", "assigned_work_defer_limit", "lifecycle", "tmux_alias",
    "work_dir", "provider", "start_command", "work_query", "process_names", "session_live", "description",
})
_TUPLE_FIELDS = ("depends_on", "process_names", "session_live")


def is_remote_source(source: str) -> bool:
    """Gas City's remote test: git@, ssh://, https://, http://, file://, github.com/ prefixes,
    or a GitHub tree/blob URL. Anything else is a local path."""
    s = source.strip()
    return s.startswith(_REMOTE_PREFIXES) or bool(_GITHUB_TREE.match(s))


def remote_pack_name(source: str) -> str:
    """The last path element of a remote source (`...gascity.git//examples/bd` -> `bd`,
    `.../tree/main/gastown` -> `gastown`), ignoring a `#ref` suffix and a trailing `.git`."""
    s = source.strip().split("#", 1)[0].rstrip("/")
    if s.endswith("/pack.toml"):
        s = s[: -len("/pack.toml")]
    name = re.split(r"[/:]", s)[-1]
    return name[:-4] if name.endswith(".git") else name


def resolve_config_path(path: str, decl_dir: str, city_root: str) -> str:
    """Gas City's resolveConfigPath: `//x` is city-root relative, absolute stays, the rest is
    relative to the declaring file's directory."""
    if path.startswith("//"):
        return os.path.normpath(os.path.join(city_root, path[2:]))
    path = os.path.expanduser(path)
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(decl_dir, path))


def _pack_qualified(p: str) -> bool:
    """splitPackQualifiedPath: `<pack>//<subpath>`, resolved against the imported packs later."""
    if not p or p.startswith("//") or os.path.isabs(p):
        return False
    pack, sep, sub = p.partition("//")
    return bool(sep and pack and sub) and "/" not in pack and ":" not in pack


def city_relative_path(p: str, frag_dir: str, root: str) -> str:
    """adjustFragmentPath: a path relative to the file (fragment or pack) that wrote it, stored
    relative to the city root (`//x` is already city-root relative, `<pack>//x` is kept)."""
    if not p or _pack_qualified(p):
        return p
    if p.startswith("//"):
        return p[2:]
    if os.path.isabs(p):
        return p
    return os.path.relpath(os.path.join(frag_dir, p), root)


def relocate_paths(a: Agent, decl_dir: str, root: str) -> Agent:
    """An agent's prompt_template and overlay_dir, written relative to `decl_dir` (a fragment's
    or pack's directory), made city-root relative."""
    extra = {k: (city_relative_path(v, decl_dir, root) if k in ("prompt_template", "overlay_dir") and isinstance(v, str)
                 else v) for k, v in a.extra.items()}
    return replace(a, extra=extra) if extra != a.extra else a


def patch_paths(p: dict, decl_dir: str, root: str) -> dict:
    """adjustPatchPaths / adjustAgentOverridePaths / adjustPackPatchPaths: a patch's
    session_setup_script resolves against `decl_dir` (the directory of the city file or pack
    that wrote it); its prompt_template and overlay_dir become city-root relative."""
    out = dict(p)
    if isinstance(out.get("session_setup_script"), str) and out["session_setup_script"]:
        out["session_setup_script"] = resolve_config_path(out["session_setup_script"], decl_dir, root)
    for key in ("prompt_template", "overlay_dir"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = city_relative_path(out[key], decl_dir, root)
    return out


def make_agent(rd: Reader, t: Any, origin: Origin, *, context: str = "") -> Agent:
    """An Agent from one `[[agent]]` table or agent.toml. Types are checked (a wrong type is
    fatal, as in Gas City's decoder); unknown keys are reported for the whole file (undecoded.py)."""
    rd.check_table(t, S.AGENT_FIELDS, origin.file, origin.table, context=context)
    extra = {k: v for k, v in t.items() if k in S.AGENT_FIELDS and k not in AGENT_DIRECT}
    return Agent(
        name=str(t.get("name", "")),
        dir=str(t.get("dir", "")),
        scope=str(t.get("scope", "")),
        suspended=bool(t.get("suspended", False)),
        max_active_sessions=t.get("max_active_sessions"),
        min_active_sessions=t.get("min_active_sessions"),
        scale_check=str(t.get("scale_check", "")),
        namepool=str(t.get("namepool", "")),
        depends_on=tuple(t.get("depends_on", ()) or ()),
        wake_mode=str(t.get("wake_mode", "")),
        attach=t.get("attach"),
        idle_timeout=str(t.get("idle_timeout", "")),
        sleep_after_idle=str(t.get("sleep_after_idle", "")),
        max_session_age=str(t.get("max_session_age", "")),
        max_session_age_jitter=str(t.get("max_session_age_jitter", "")),
        drain_timeout=str(t.get("drain_timeout", "")),
        assigned_work_defer_limit=t.get("assigned_work_defer_limit"),
        lifecycle=str(t.get("lifecycle", "")),
        tmux_alias=str(t.get("tmux_alias", "")),
        work_dir=str(t.get("work_dir", "")),
        provider=str(t.get("provider", "")),
        start_command=str(t.get("start_command", "")),
        work_query=str(t.get("work_query", "")),
        process_names=tuple(t.get("process_names", ()) or ()),
        session_live=tuple(t.get("session_live", ()) or ()),
        origin=origin,
        extra=extra,
    )


def agents_from_array(rd: Reader, value: Any, file: str, key: str, kind: str, *,
                      pack_dir: str = "", context: str = "") -> list[Agent]:
    """Agents from an array of agent tables, each checked and given its origin; raises the
    reader's error if `value` is not an array of tables."""
    out = []
    for i, t in enumerate(rd.check_array(value, file, key, context=context)):
        origin = Origin(file, f"{key}[{i}]", kind, pack_dir=pack_dir)
        out.append(make_agent(rd, t, origin, context=context))
    return out


def named_from_array(rd: Reader, value: Any, file: str, key: str, kind: str, *,
                     pack_dir: str = "", context: str = "") -> list[NamedSession]:
    """NamedSessions from an array of named-session tables, each checked and given its origin;
    raises the reader's error if `value` is not an array of tables."""
    out = []
    for i, t in enumerate(rd.check_array(value, file, key, context=context)):
        fp = f"{key}[{i}]"
        rd.check_table(t, S.NAMED_SESSION_FIELDS, file, fp, context=context)
        out.append(NamedSession(
            template=str(t.get("template", "")),
            name=str(t.get("name", "")),
            mode=str(t.get("mode", "")),
            scope=str(t.get("scope", "")),
            dir=str(t.get("dir", "")),
            origin=Origin(file, fp, kind, pack_dir=pack_dir),
        ))
    return out


def make_import(rd: Reader, binding: str, t: Any, file: str, field_path: str, scope: str, *,
                decl_dir: str, city_root: str, packs_dir: str | None,
                context: str = "") -> Import:
    """Parse one `[imports.<binding>]` table and resolve its source (see module doc)."""
    rd.check_table(t, S.IMPORT_FIELDS, file, field_path, context=context)
    source = str(t.get("source", ""))
    if not source.strip():
        raise rd.error(file, f"{field_path}.source", f"{context}{field_path}.source is required")
    imp = Import(binding=binding, source=source, version=str(t.get("version", "")), declared_in=file,
                 scope=scope, field=field_path, shadow=str(t.get("shadow", "")), export=bool(t.get("export", False)),
                 transitive=bool(t.get("transitive", True)))
    resolve_source(imp, decl_dir=decl_dir, city_root=city_root, packs_dir=packs_dir)
    return imp


def resolve_source(imp: Import, *, decl_dir: str, city_root: str, packs_dir: str | None) -> None:
    """Fill `resolved_path` (a directory) or `unresolved_reason`. A remote source resolves, in
    order, to `packs_dir/<name>` (the operator's copies override everything), then to the
    builtin pack it addresses when `gc` would serve that pin offline; else it stays unresolved."""
    if not is_remote_source(imp.source):
        imp.resolved_path = resolve_config_path(imp.source, decl_dir, city_root)
        imp.resolved_via = "local"
        return
    name = remote_pack_name(imp.source)
    if packs_dir and name:
        cand = os.path.join(packs_dir, name)
        if os.path.isfile(os.path.join(cand, "pack.toml")):
            imp.resolved_path = os.path.normpath(os.path.abspath(cand))
            imp.resolved_via = "packs-dir"
            return
    pack = builtin.builtin_pack(imp.source)
    if pack is not None:
        pinned, lock_problem = builtin.locked_version(city_root, imp.source)
        problem = lock_problem or builtin.pin_problem(pinned or imp.version)
        if not problem:
            imp.resolved_path = pack.path
            imp.resolved_via = "builtin"
            imp.builtin = pack.describe()
            return
        imp.unresolved_reason = problem
        return
    if packs_dir and name:
        imp.unresolved_reason = f'remote (git) source; no pack "{name}" in {packs_dir}'
        return
    imp.unresolved_reason = "remote (git) source is not fetched (--packs DIR supplies local copies)"
