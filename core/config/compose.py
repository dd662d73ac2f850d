"""The load pipeline: one flat City from city.toml, as Gas City's LoadWithIncludes builds it.

Order (each step as in Gas City): the root city pack (pack.toml beside city.toml), include
fragments, city packs and `[imports.X]` (city-scope agents first, then their per-rig stamps),
rig packs and `[rigs.imports.X]` (after the city's own agents, then hoisted city-scope agents),
`[[patches.*]]`, per-rig overrides, implicit provider agents, `[agent_defaults]`, site bindings,
per-rig expansion of generic rig named sessions, named-session validation, duration and
semantic warnings, provider references, namepool files.

Agent and rig validation (ValidateAgents, ValidateRigs) is a separate step: see validate.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from core.config import schema as S
from core.config.checks import (
    agents_alias_warnings,
    check_provider_references,
    deprecated_attachment_warning,
    doctor_advisories,
    legacy_provider_inheritance_warnings,
    legacy_workspace_warnings,
    load_namepool,
    provider_order,
    validate_durations,
    validate_semantics,
)
from core.config.city_config import (
    Agent,
    ChatSessions,
    City,
    Daemon,
    Import,
    NamedSession,
    Origin,
    Rig,
    SessionSettings,
    Workspace,
)
from core.config.errors import ConfigError
from core.config.packs import (
    PACK_FILE,
    PackLoader,
    PackResult,
    Requirement,
    apply_pack_globals,
    check_pack_surface,
    pack_global,
    pack_requirements,
    rebind_depends_on,
    stamp_binding,
)
from core.config.patches import (
    agent_matches,
    agent_patch_target,
    apply_agent_patch,
    apply_named_session_patches,
    apply_rig_overrides,
    apply_rig_patches,
    check_patch,
)
from core.config.provider_chain import check_provider_chains
from core.config.reader import Reader
from core.config.section_checks import (
    check_bead_policy_storage,
    check_dolt,
    check_non_negative_durations,
    check_pr_monitors,
    events_rotation_warnings,
)
from core.config.sections import SectionMerger, apply_agent_defaults
from core.config.storage_checks import check_storage, storage_surface_error
from core.config.tables import (
    agents_from_array,
    city_relative_path,
    is_remote_source,
    make_import,
    named_from_array,
    patch_paths,
    relocate_paths,
    resolve_config_path,
    resolve_source,
)

_WS_FRAGMENT_STRINGS = ("name", "provider", "start_command", "session_template")
_WS_FRAGMENT_LISTS = ("includes", "default_rig_includes", "global_fragments")
_FRAGMENT_IGNORED = ("imports", "defaults", "chat_sessions")
_PACKV1 = "PackV1 config surfaces are no longer supported"
RIG_SETTINGS = ("default_branch", "formulas_dir", "default_sling_target", "default_sling_targets", "dolt_host",
                "dolt_port", "formula_vars")


@dataclass
class _Located:
    """A raw table and where it was written."""

    table: dict[str, Any]
    file: str
    fp: str


@dataclass
class _Sources:
    agents: list[Agent] = field(default_factory=list)
    named: list[NamedSession] = field(default_factory=list)
    rigs: list[_Located] = field(default_factory=list)
    workspace: dict[str, Any] = field(default_factory=dict)
    workspace_file: dict[str, str] = field(default_factory=dict)
    session_sleep: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (value, file)
    providers: set[str] = field(default_factory=set)
    city_imports: dict[str, _Located] = field(default_factory=dict)
    agent_patches: list[_Located] = field(default_factory=list)
    named_patches: list[_Located] = field(default_factory=list)
    rig_patches: list[_Located] = field(default_factory=list)
    provider_patches: list[_Located] = field(default_factory=list)
    monitor_patches: list[_Located] = field(default_factory=list)


_T = TypeVar("_T")


def _first_new(items: list[_T], existing: list[_T], keys: Callable[[_T], tuple[Any, Any]]) -> list[_T]:
    """The items whose two keys neither an existing one nor an earlier item has (first wins)."""
    seen_a = {keys(x)[0] for x in existing}
    seen_b = {keys(x)[1] for x in existing}
    out = []
    for x in items:
        ka, kb = keys(x)
        if ka in seen_a or kb in seen_b:
            continue
        seen_a.add(ka)
        seen_b.add(kb)
        out.append(x)
    return out


@dataclass
class _CityExpansion:
    """What the city's packs bring: the city's own agents and named sessions, and those stamped
    into its rigs."""
    city_agents: list[Agent] = field(default_factory=list)
    city_named: list[NamedSession] = field(default_factory=list)
    rig_agents: list[Agent] = field(default_factory=list)
    rig_named: list[NamedSession] = field(default_factory=list)


@dataclass
class _RigExpansion:
    """What one rig's packs bring: its own agents and named sessions, the city-scope ones to
    hoist, and whether an include or import failed to resolve."""
    partial: bool
    agents: list[Agent] = field(default_factory=list)
    named: list[NamedSession] = field(default_factory=list)
    hoisted: list[Agent] = field(default_factory=list)
    hoisted_named: list[NamedSession] = field(default_factory=list)



class Composer:
    def __init__(self, rd: Reader, root: str, city_file: str, *, allow_root_pack: bool = True,
                 packs_dir: str | None = None, site_bindings: bool = True) -> None:
        self.rd = rd
        self.root = root
        self.city_file = city_file
        self.allow_root_pack = allow_root_pack
        self.site_bindings = site_bindings
        self.imports: list[Import] = []
        self.packs = PackLoader(rd, root, packs_dir, self.imports)
        self.packs_dir = packs_dir
        self.schema2 = False
        self.root_requires: list[Requirement] = []
        self.providers: set[str] = set()  # provider names rig packs define
        self.city_requires: list[Requirement] = []
        self.unmet: list[tuple[Requirement, str]] = []
        self.merger = SectionMerger(rd)  # the tables citywatch only validates
        self.city_globals: list = []  # pack [global] session_live for every agent
        self.root_globals: list = []  # the root pack.toml's, after every imported pack's
        self.rig_globals: dict[str, list] = {}  # ... for one rig's agents

    # ================================================================== entry point
    def compose(self, data: dict[str, Any]) -> City:
        """The City this city.toml table composes to, in the order Gas City's
        LoadWithIncludesOptions works: read the root file and its fragments, expand packs and
        apply patches and defaults, validate the result, then stamp files and revision."""
        src, default_rig_imports = self.read_root_file(data)
        city = City(root=self.root, path=self.city_file)
        self.typed_sections(city, src)
        rig_overrides = self.rigs(city, src)
        named = self.expand_agents(city, src, rig_overrides)
        if self.site_bindings:
            self.apply_site_binding(city)
        city.named_sessions = _expand_generic_rig_named(named, city.rigs)
        providers = self.validate_composed(city, src)
        city.agents = [load_namepool(self.rd, a, self.root) for a in city.agents]
        deprecated_attachment_warning(self.rd, city, [o for ovs in rig_overrides.values() for o, _, _ in ovs])
        self.rig_defaults(city, default_rig_imports)
        city.providers = provider_order(sorted(providers))
        self.stamp_revision(city, data)
        return city

    def read_root_file(self, data: dict[str, Any]) -> tuple[_Sources, list[_Located]]:
        """Check the root city.toml's surface and gather its tables, its root pack's and its
        fragments' into one _Sources (the parse-and-merge half of LoadWithIncludesOptions);
        also the root pack's default rig imports."""
        rd, cf = self.rd, self.city_file
        rd.check_document(data, "City", cf, unknown="warn")
        _check_city_surface(rd, data, cf, "")
        agents_alias_warnings(rd, data, cf)
        rd.check_table(data, S.CITY_TOP, cf, "")
        src = _Sources()
        default_rig_imports = self.read_default_rig_imports(data)
        src.agents = agents_from_array(rd, data.get("agent", []), cf, "agent", "inline")
        src.named = named_from_array(rd, data.get("named_session", []), cf, "named_session", "inline")
        self.take_city_tables(src, data, cf, root_file=True)
        self.root_pack(src, data)
        self.fragments(src, data)
        check_storage(rd, self.merger.sections.get("storage"))
        return src, default_rig_imports

    def expand_agents(self, city: City, src: _Sources,
                      rig_overrides: dict[str, list[tuple[dict, str, str]]]) -> list[NamedSession]:
        """Expand city and rig packs, apply patches, rig overrides, pack globals, requirements,
        implicit agents and [agent_defaults] (the pack-expansion half of LoadWithIncludesOptions);
        sets city.agents and returns the named sessions before generic rig expansion."""
        rd = self.rd
        agents, named = self.expand_city_packs(city, src)
        agents, named, rig_ranges = self.expand_rig_packs(city, agents, named)
        src.providers |= self.providers
        deferred = self.apply_patches(city, src, agents, named)
        for rig_name, (start, end, partial) in rig_ranges.items():
            span = agents[start:end]
            apply_rig_overrides(rd, rig_name, span, rig_overrides.get(rig_name, []), partial=partial)
            agents[start:end] = span
        agents = apply_pack_globals(agents, self.city_globals + self.root_globals, self.rig_globals)
        for r in self.city_requires:  # validateCityRequirements
            if r.scope == "city" and not any(a.name == r.agent for a in agents):
                self.requirement_failed(r, f'pack requires city agent "{r.agent}" — include a pack that provides it')
        self.report_requirements()
        agents = self.inject_implicit(city, src, agents)
        for p in deferred:
            apply_agent_patch(rd, agents, p.table, p.file, p.fp)
        city.agents = apply_agent_defaults(agents, self.merger.agent_defaults.values)
        return named

    def validate_composed(self, city: City, src: _Sources) -> set[str]:
        """Validate the composed city (named sessions, durations, storage, providers, then
        ValidateSemantics and the doctor's advisories); returns the provider names known."""
        from core.config.validate import validate_named_sessions

        rd = self.rd
        validate_named_sessions(city, rd)
        self.merger.store(city)
        check_pr_monitors(rd, city)
        validate_durations(rd, city, {k: f for k, (_, f) in src.session_sleep.items()})
        events_rotation_warnings(rd, city)
        check_bead_policy_storage(rd, city)
        check_non_negative_durations(rd, city)
        check_dolt(rd, city)
        providers = set(src.providers)
        if all(i.resolved for i in self.imports):
            check_provider_references(rd, city, providers)
        validate_semantics(rd, city, providers)
        legacy_provider_inheritance_warnings(rd, city)
        doctor_advisories(rd, city)
        legacy_workspace_warnings(rd, src.workspace, src.workspace_file, self.city_file)
        check_provider_chains(rd, city)
        return providers

    def stamp_revision(self, city: City, data: dict[str, Any]) -> None:
        """Record imports, warnings and files read, and the revision: a hash of every file's
        path and text (as Gas City's Revision does), of the table itself when it came inline."""
        rd = self.rd
        city.imports = self.imports
        city.warnings = rd.warnings
        city.files = list(rd.files)
        city.line_finder = rd.line_of
        h = hashlib.sha256()
        if self.city_file not in rd.files:  # a city given as a table (a scenario's [city])
            h.update(json.dumps(data, sort_keys=True, default=str).encode())
        for f in city.files:
            # Paths relative to the city, so one city has one revision wherever it is checked out.
            h.update(os.path.relpath(f, self.root).encode() if os.path.isabs(f) else f.encode())
            h.update(rd.texts.get(f, "").encode())
        city.revision = h.hexdigest()[:12]

    # ================================================================== city.toml tables
    def take_city_tables(self, src: _Sources, data: dict, file: str, *, root_file: bool) -> None:
        """Tables every city file (root or fragment) contributes by appending."""
        rd = self.rd
        for i, t in enumerate(rd.check_array(data.get("rigs", []), file, "rigs")):
            src.rigs.append(_Located(t, file, f"rigs[{i}]"))
        providers = data.get("providers", {}) or {}
        src.providers |= set(providers)
        patches = data.get("patches", {}) or {}
        if patches:
            rd.check_table(patches, S.PATCHES_FIELDS, file, "patches")
        for key, out in (("agent", src.agent_patches), ("named_session", src.named_patches),
                         ("rigs", src.rig_patches), ("providers", src.provider_patches),
                         ("github_pr_monitor", src.monitor_patches)):
            for i, p in enumerate(rd.check_array(patches.get(key, []), file, f"patches.{key}")):
                if key == "agent" and isinstance(p, dict):
                    p = patch_paths(p, os.path.dirname(file), self.root)
                out.append(_Located(p, file, f"patches.{key}[{i}]"))
        if root_file:
            self.merger.take_root(data, file)
            ws = rd.check_table(data.get("workspace", {}), S.WORKSPACE_FIELDS, file, "workspace")
            src.workspace = dict(ws)
            src.workspace_file = {k: file for k in ws}
            ss = rd.check_table(data.get("session_sleep", {}), S.SLEEP_FIELDS, file, "session_sleep")
            src.session_sleep = {k: (str(v), file) for k, v in ss.items()}
            imports = data.get("imports", {}) or {}
            for b in imports:
                src.city_imports[b] = _Located(imports[b], file, f"imports.{b}")

    def read_default_rig_imports(self, data: dict) -> list[_Located]:
        """`[defaults.rig.imports.X]` in declaration order; each needs a source."""
        rd, cf = self.rd, self.city_file
        defaults = rd.check_table(data.get("defaults", {}), {"rig": S.TABLE}, cf, "defaults")
        rig = rd.check_table(defaults.get("rig", {}), {"imports": S.TABLE}, cf, "defaults.rig")
        out = []
        for b, t in (rig.get("imports", {}) or {}).items():
            fp = f"defaults.rig.imports.{b}"
            rd.check_table(t, S.IMPORT_FIELDS, cf, fp)
            if not str(t.get("source", "")).strip():
                raise rd.error(cf, f"{fp}.source", f"city.toml: {fp}.source is required")
            out.append(_Located(t, cf, fp))
        return out

    # ================================================================== root pack
    def root_pack(self, src: _Sources, data: dict) -> None:
        rd, cf = self.rd, self.city_file
        pack_path = os.path.join(self.root, PACK_FILE)
        if not self.allow_root_pack or not _present_file(pack_path):
            return
        pdata = rd.read_toml(pack_path, "city pack.toml")
        meta = check_pack_surface(rd, pdata, pack_path, "", what="parsing city pack.toml: ")
        self.schema2 = int(meta.get("schema", 0) or 0) >= 2
        self.root_requires = pack_requirements(meta, pack_path)
        if self.schema2:
            self.packv1_surface_errors(data, cf, "")
            ws = data.get("workspace", {}) or {}
            fields = [f"workspace.{k}" for k in ("name", "prefix") if str(ws.get(k, "")).strip()]
            if fields:
                rd.warn(cf, "workspace identity fields are deprecated in v2; move them to .gc/site.toml "
                            f"({', '.join(fields)}); move them to .gc/site.toml (run `gc doctor --fix` if this is the "
                            "root city.toml; fragments must be updated by hand)", fields[0])
            for r in src.rigs:
                if str(r.table.get("path", "")).strip():
                    raise rd.error(cf, f"{r.fp}.path",
                                   "pre-1.0 site-binding fields are no longer supported: unsupported pre-1.0 rig.path "
                                   f'for rig "{r.table.get("name", "<unnamed>")}"; move it to .gc/site.toml (run '
                                   "`gc doctor --fix` if this is the root city.toml; otherwise add the binding "
                                   "manually and remove rig.path from the fragment)")
        city_names = {a.name for a in src.agents}
        pack_agents = [replace(a, origin=replace(a.origin, pack_dir=""))
                       for a in agents_from_array(rd, pdata.get("agent", []), pack_path, "agent", "pack-v1",
                                                  context="parsing city pack.toml: ")
                       if a.name not in city_names]
        city_import_count = len(src.city_imports)
        for b, t in (pdata.get("imports", {}) or {}).items():
            src.city_imports.setdefault(b, _Located(t, pack_path, f"imports.{b}"))
        src.providers |= set(pdata.get("providers", {}) or {})
        self.merger.take_root_pack(pdata, pack_path)
        self.root_globals = pack_global(pdata, self.root, str(meta.get("name", "")))
        src.named = named_from_array(rd, pdata.get("named_session", []), pack_path, "named_session", "pack") + src.named
        ppatches = pdata.get("patches", {}) or {}
        src.agent_patches = [_Located(p, pack_path, f"patches.agent[{i}]")
                             for i, p in enumerate(rd.check_array(ppatches.get("agent", []), pack_path,
                                                                  "patches.agent"))] + src.agent_patches
        skip = {a.name for a in pack_agents} | city_names
        discovered = [replace(a, origin=replace(a.origin, pack_dir="")) for a in self.packs.discover(self.root, skip)]
        src.agents = pack_agents + discovered + src.agents
        if city_import_count:
            rd.warn(cf, f"city.toml declares {city_import_count} [imports] — consider moving them to pack.toml "
                        "(imports are definition, city.toml is deployment)", "imports")

    def packv1_surface_errors(self, data: dict, file: str, context: str) -> None:
        rd = self.rd
        if data.get("agent"):
            raise rd.error(file, "agent[0]", f"{context}{_PACKV1}: unsupported PackV1 [[agent]] tables; "
                                             "move each agent to agents/<name>/agent.toml")
        if data.get("packs"):
            raise rd.error(file, "packs", f"{context}{_PACKV1}: unsupported PackV1 [packs] entries; replace them "
                                          "with [imports] and regenerate packs.lock")
        ws = data.get("workspace", {}) or {}
        if any(not _builtin_system_pack(x) for x in ws.get("includes", []) or []):
            raise rd.error(file, "workspace.includes", f"{context}{_PACKV1}: unsupported PackV1 workspace.includes; "
                                                       "replace it with [imports.<binding>] entries")
        if ws.get("default_rig_includes"):
            raise rd.error(file, "workspace.default_rig_includes",
                           f"{context}{_PACKV1}: unsupported PackV1 workspace.default_rig_includes; move defaults "
                           "into city.toml [defaults.rig.imports.<binding>]")

    # ================================================================== fragments
    def fragments(self, src: _Sources, data: dict) -> None:
        rd, cf, root = self.rd, self.city_file, self.root
        for i, inc in enumerate(data.get("include", []) or []):
            fp = f"include[{i}]"
            if is_remote_source(inc):
                self.imports.append(Import(binding="", source=inc, declared_in=cf, scope="include", field=fp,
                                           unresolved_reason="remote include fragment is not fetched; its content "
                                                             "is not modelled"))
                continue
            path = resolve_config_path(inc, root, root)
            if not _present_file(path):
                why = "is a directory, not a file" if os.path.isdir(path) else "no such file or directory"
                raise rd.error(cf, fp, f'loading fragment "{inc}": open {path}: {why}')
            ctx = f'fragment "{inc}": '
            frag = rd.read_toml(path, "config", at=(cf, fp), context=ctx)
            rd.check_document(frag, "City", path, unknown="warn", context=ctx)
            _check_city_surface(rd, frag, path, ctx)
            agents_alias_warnings(rd, frag, path)
            rd.check_table(frag, S.CITY_TOP, path, "")
            if self.schema2:
                self.packv1_surface_errors(frag, path, ctx)
            if frag.get("include"):
                raise rd.error(path, "include", f"{ctx}includes are not allowed in fragments (no recursive includes)")
            frag_dir = os.path.dirname(path)
            agents = agents_from_array(rd, frag.get("agent", []), path, "agent", "fragment")
            src.agents += [_fragment_agent(a, frag_dir, root) for a in agents]
            src.named += named_from_array(rd, frag.get("named_session", []), path, "named_session", "fragment")
            self.take_city_tables(src, frag, path, root_file=False)
            self.merge_fragment_sections(src, frag, path)

    def merge_fragment_sections(self, src: _Sources, frag: dict, path: str) -> None:
        """mergeFragment: some workspace fields (warning when redefined), [session_sleep] keys,
        whole [daemon]/[session] tables. Tables Gas City does not merge from a fragment are
        ignored there; citywatch says so."""
        rd = self.rd
        ws = rd.check_table(frag.get("workspace", {}), S.WORKSPACE_FIELDS, path, "workspace")
        for k, v in ws.items():
            if k in _WS_FRAGMENT_STRINGS or k in ("suspended", "install_agent_hooks"):
                if src.workspace.get(k):
                    rd.warn(path, f'workspace.{k} redefined by "{path}"', f"workspace.{k}")
                src.workspace[k] = v
                src.workspace_file[k] = path
            elif k in _WS_FRAGMENT_LISTS:
                src.workspace[k] = list(src.workspace.get(k, []) or []) + list(v)
            else:
                rd.warn(path, f"workspace.{k} is not merged from include fragments by Gas City; it is ignored",
                        f"workspace.{k}", source="citywatch")
        ss = rd.check_table(frag.get("session_sleep", {}), S.SLEEP_FIELDS, path, "session_sleep")
        for k, v in ss.items():
            if src.session_sleep.get(k, ("", ""))[0]:
                rd.warn(path, f'session_sleep.{k} redefined by "{path}"', f"session_sleep.{k}")
            src.session_sleep[k] = (str(v), path)
        self.merger.merge_fragment(frag, path)
        for key in _FRAGMENT_IGNORED:
            if key in frag:
                rd.warn(path, f"[{key}] is not merged from include fragments by Gas City; it is ignored", key,
                        source="citywatch")

    # ================================================================== typed sections
    def typed_sections(self, city: City, src: _Sources) -> None:
        rd = self.rd
        ws = src.workspace
        city.workspace = Workspace(
            name=str(ws.get("name", "")),
            prefix=str(ws.get("prefix", "")),
            provider=str(ws.get("provider", "")),
            max_active_sessions=ws.get("max_active_sessions"),
            session_template=str(ws.get("session_template", "")),
            suspended=bool(ws.get("suspended_on_start", ws.get("suspended", False))),
        )
        sections = self.merger.sections
        loc = sections.get("daemon")
        dm = rd.check_table(loc.table, S.DAEMON_FIELDS, loc.file, "daemon") if loc else {}
        city.daemon = Daemon(
            patrol_interval=str(dm.get("patrol_interval", "30s")),
            max_wakes_per_tick=int(dm.get("max_wakes_per_tick", 5) or 5),
            drift_drain_timeout=str(dm.get("drift_drain_timeout", "2m")),
            max_restarts=int(dm.get("max_restarts", 5)),
            restart_window=str(dm.get("restart_window", "1h")),
            session_circuit_breaker=bool(dm.get("session_circuit_breaker", False)),
            session_circuit_breaker_max_restarts=dm.get("session_circuit_breaker_max_restarts"),
            session_circuit_breaker_window=str(dm.get("session_circuit_breaker_window", "")),
            session_circuit_breaker_reset_after=str(dm.get("session_circuit_breaker_reset_after", "")),
        )
        loc = sections.get("session")
        ss = rd.check_table(loc.table, S.SESSION_FIELDS, loc.file, "session") if loc else {}
        city.session = SessionSettings(
            startup_timeout=str(ss.get("startup_timeout", "60s")),
            provider=str(ss.get("provider", "") or ""),
            progress_stall_timeout=str(ss.get("progress_stall_timeout", "")),
            claim_holder_stall_timeout=str(ss.get("claim_holder_stall_timeout", "")),
        )
        loc = sections.get("chat_sessions")
        cs = rd.check_table(loc.table, S.CHAT_FIELDS, loc.file, "chat_sessions") if loc else {}
        city.chat_sessions = ChatSessions(idle_timeout=str(cs.get("idle_timeout", "")),
                                          grace_period=str(cs.get("grace_period", "10m")))
        city.session_sleep = {k: v for k, (v, _) in src.session_sleep.items()}

    def rigs(self, city: City, src: _Sources) -> dict[str, list[tuple[dict, str, str]]]:
        """Parse `[[rigs]]` (root and fragments). Returns each rig's overrides then patches."""
        rd = self.rd
        overrides: dict[str, list[tuple[dict, str, str]]] = {}
        for loc in src.rigs:
            rt, file, fp = loc.table, loc.file, loc.fp
            rd.check_table(rt, S.RIG_FIELDS, file, fp)
            rig = Rig(
                name=str(rt.get("name", "")),
                path=str(rt.get("path", "")),
                prefix=str(rt.get("prefix", "")),
                suspended=bool(rt.get("suspended_on_start", rt.get("suspended", False))),
                max_active_sessions=rt.get("max_active_sessions"),
                includes=tuple(rt.get("includes", ()) or ()),
                origin=Origin(file, fp),
                path_source="city.toml" if str(rt.get("path", "")).strip() else "",
                settings={k: rt[k] for k in RIG_SETTINGS if k in rt},
            )
            rs = rd.check_table(rt.get("session_sleep", {}), S.SLEEP_FIELDS, file, f"{fp}.session_sleep")
            rig.session_sleep = {k: str(v) for k, v in rs.items()}
            rimps = rt.get("imports", {}) or {}
            for b in sorted(rimps):
                rig.imports[b] = make_import(rd, b, rimps[b], file, f"{fp}.imports.{b}", f"rig:{rig.name}",
                                             decl_dir=self.root, city_root=self.root, packs_dir=self.packs_dir)
                self.imports.append(rig.imports[b])
            ovs = []
            for key in ("overrides", "patches"):
                for k, o in enumerate(rd.check_array(rt.get(key, []), file, f"{fp}.{key}")):
                    check_patch(rd, o, S.AGENT_OVERRIDE_FIELDS, file, f"{fp}.{key}[{k}]")
                    ovs.append((patch_paths(o, os.path.dirname(file), self.root), file, f"{fp}.{key}[{k}]"))
            overrides.setdefault(rig.name, []).extend(ovs)
            city.rigs.append(rig)
        return overrides

    # ================================================================== city packs and imports
    def _take_city_pack(self, city: City, src: _Sources, pack: PackResult, agents: list[Agent],
                        named: list[NamedSession], binding: str, got: _CityExpansion) -> None:
        """Unscoped and rig-scope agents are stamped into every rig; city-scope and unscoped
        ones are the city's. The pack's providers join the city's."""
        got.rig_agents += _stamp_city_agents_into_rigs(agents, city.rigs, binding)
        got.rig_named += _stamp_city_named_into_rigs(named, city.rigs, binding)
        got.city_agents += [a for a in agents if a.scope in ("city", "")]
        got.city_named += [n for n in named if n.scope in ("city", "")]
        src.providers |= set(pack.providers)
        self.merger.add_pack_providers(pack.providers)

    def _expand_city_includes(self, city: City, src: _Sources, got: _CityExpansion) -> None:
        """Legacy `workspace.includes` packs: everything they define, services and globals too."""
        for i, inc in enumerate(src.workspace.get("includes", []) or []):
            file = src.workspace_file.get("includes", self.city_file)
            imp = Import(binding="", source=inc, declared_in=file, scope="include", field=f"workspace.includes[{i}]")
            resolve_source(imp, decl_dir=self.root, city_root=self.root, packs_dir=self.packs_dir)
            self.imports.append(imp)
            if not imp.resolved:
                continue
            pack = self.packs.load(imp.resolved_path, "", at=(file, imp.field), context=f'city pack "{inc}": ')
            self._take_city_pack(city, src, pack, pack.agents, pack.named, "", got)
            self.merger.add_pack_services(pack.services, pack.webhooks)
            self.city_globals += pack.globals
            self.city_requires += pack.requires

    def _expand_city_imports(self, city: City, src: _Sources, got: _CityExpansion) -> None:
        """`[imports.X]` sorted by binding, stamped with the binding (the city's replaces any
        nested one); a non-transitive import brings only what its own pack defines."""
        for binding in sorted(src.city_imports):
            loc = src.city_imports[binding]
            ctx = f'city import "{binding}": '
            imp = make_import(self.rd, binding, loc.table, loc.file, loc.fp, "city", decl_dir=self.root,
                              city_root=self.root, packs_dir=self.packs_dir, context=ctx)
            self.imports.append(imp)
            if not imp.resolved:
                continue
            pack = self.packs.load(imp.resolved_path, "", at=(loc.file, f"{loc.fp}.source"), context=ctx)
            agents, named = pack.agents, pack.named
            self.city_requires += pack.requires if imp.transitive else pack.local_requires()
            services, webhooks = pack.services, pack.webhooks
            if not imp.transitive:
                agents = [a for a in agents if a.origin.pack_dir == pack.dir]
                named = [n for n in named if n.origin.pack_dir == pack.dir]
                services = [x for x in services if x.source_dir == pack.dir]
                webhooks = [x for x in webhooks if x.source_dir == pack.dir]
            self.merger.add_pack_services(services, webhooks)
            self.city_globals += pack.globals if imp.transitive else pack.local_globals()
            agents = [rebind_depends_on(a) for a in stamp_binding(agents, binding, force=True)]
            named = stamp_binding(named, binding, force=True)
            if not city.rigs:  # no rig takes this import's rig-scope agents: say so in config show
                city.unstamped += [a for a in agents if a.scope == "rig"]
            self._take_city_pack(city, src, pack, agents, named, binding, got)

    def expand_city_packs(self, city: City, src: _Sources) -> tuple[list[Agent], list[NamedSession]]:
        """Legacy `workspace.includes` packs, then `[imports.X]` sorted by binding. City-scope
        agents (scope city or unscoped) go first; unscoped and rig-scope ones are also stamped
        into every rig that does not import the same binding itself."""
        got = _CityExpansion()
        self._expand_city_includes(city, src, got)
        self._expand_city_imports(city, src, got)
        from_packs = got.city_agents + got.rig_agents
        self.city_requires += self.root_requires
        self.check_collisions(from_packs, "city")
        agents = from_packs + src.agents
        named = got.city_named + got.rig_named + src.named
        if src.city_imports:
            self.shadow_warnings(agents, src)
        return agents, named

    def requirement_failed(self, r: Requirement, message: str) -> None:
        self.unmet.append((r, message))

    def report_requirements(self) -> None:
        """An unmet `[[pack.requires]]` is fatal in Gas City. While an import is unresolved the
        agent may come from that pack, so citywatch then only warns."""
        if not self.unmet:
            return
        if all(i.resolved for i in self.imports):
            r, message = self.unmet[0]
            raise self.rd.error(r.file, r.field, message)
        for r, message in self.unmet:
            self.rd.warn(r.file, message + "; an unresolved import may provide it", r.field, source="citywatch")

    def shadow_warnings(self, agents: list[Agent], src: _Sources) -> None:
        imported: dict[str, str] = {}
        for a in agents:
            if a.binding and not a.dir:
                imported[a.name] = a.binding
        for a in agents:
            if a.binding or a.dir or a.implicit or a.name not in imported:
                continue
            b = imported[a.name]
            loc = src.city_imports.get(b)
            if loc is not None and str(loc.table.get("shadow", "")) == "silent":
                continue
            self.rd.warn(a.origin.file, f'city agent "{a.name}" shadows agent of the same name from import "{b}" '
                                        f'(set shadow = "silent" on [imports.{b}] to suppress)', a.origin.table)

    def check_collisions(self, agents: list[Agent], rig: str) -> None:
        """checkPackAgentCollisions: one qualified name defined by two different pack dirs."""
        sources: dict[str, list[Agent]] = {}
        for a in agents:
            if not a.origin.pack_dir:
                continue
            lst = sources.setdefault(a.qualified_name, [])
            if all(x.origin.pack_dir != a.origin.pack_dir for x in lst):
                lst.append(a)
        for qn in sorted(sources):
            lst = sources[qn]
            if len(lst) >= 2:
                scope = f'rig "{rig}"' if rig != "city" else "city"
                dirs = ", ".join(x.origin.pack_dir for x in lst)
                raise self.rd.error(lst[1].origin.file, lst[1].origin.table or "",
                                    f'{scope}: packs define duplicate agent "{qn}": {dirs}; rename one agent in its '
                                    "pack.toml, or use separate rigs")

    # ================================================================== rig packs and imports
    def _rig_pack_refs(self, rig: Rig) -> list[tuple[str, str, str]]:
        """A rig's legacy includes as (source, file, field); with neither includes nor imports,
        a pack.toml at the rig's path."""
        refs = [(inc, rig.origin.file, f"{rig.origin.table}.includes[{i}]") for i, inc in enumerate(rig.includes)]
        if not refs and not rig.imports and rig.path.strip():
            p = rig.path if os.path.isabs(rig.path) else os.path.join(self.root, rig.path)
            if os.path.isfile(os.path.join(p, PACK_FILE)):
                refs = [(p, rig.origin.file, f"{rig.origin.table}.path")]
        return refs

    def _take_rig_pack(self, got: _RigExpansion, pack: PackResult, agents: list[Agent],
                       named: list[NamedSession]) -> None:
        """City-scope agents and named sessions are hoisted (without the rig's dir); the rest
        are the rig's. The pack's providers join the city's."""
        got.hoisted += [replace(a, dir="") for a in agents if a.scope == "city"]
        got.hoisted_named += [replace(n, dir="") for n in named if n.scope == "city"]
        got.agents += [a for a in agents if a.scope != "city"]
        got.named += [n for n in named if n.scope != "city"]
        self.providers |= set(pack.providers)
        self.merger.add_pack_providers(pack.providers)

    def _expand_rig_includes(self, rig: Rig, refs: list[tuple[str, str, str]], got: _RigExpansion) -> None:
        rd = self.rd
        for ref, file, fp in refs:
            imp = Import(binding="", source=ref, declared_in=file, scope=f"rig:{rig.name}", field=fp)
            resolve_source(imp, decl_dir=self.root, city_root=self.root, packs_dir=self.packs_dir)
            self.imports.append(imp)
            if not imp.resolved:
                got.partial = True
                continue
            pack = self.packs.load(imp.resolved_path, rig.name, at=(file, fp),
                                   context=f'rig "{rig.name}" pack "{ref}": ')
            if pack.services:
                raise rd.error(file, fp, f'rig "{rig.name}" pack "{ref}": [[service]] is only allowed in '
                                         "city-scoped packs")
            self.rig_globals.setdefault(rig.name, []).extend(pack.globals)
            for r in pack.requires:
                if r.scope == "rig" and not any(a.name == r.agent for a in pack.agents):
                    self.requirement_failed(r, f'rig "{rig.name}": pack requires rig agent "{r.agent}" — '
                                               "include a pack that provides it")
            self._take_rig_pack(got, pack, pack.agents, pack.named)

    def _expand_rig_imports(self, rig: Rig, got: _RigExpansion) -> None:
        """[rigs.imports.X] sorted by binding, stamped with the binding; a non-transitive import
        brings only what its own pack defines."""
        rd = self.rd
        for binding in sorted(rig.imports):
            imp = rig.imports[binding]
            if not imp.resolved:
                continue
            ctx = f'rig "{rig.name}" import "{binding}": '
            pack = self.packs.load(imp.resolved_path, rig.name, at=(imp.declared_in, f"{imp.field}.source"),
                                   context=ctx)
            pa, pn = pack.agents, pack.named
            if [x for x in pack.services if imp.transitive or x.source_dir == pack.dir]:
                raise rd.error(imp.declared_in, f"{imp.field}.source", f'{ctx}[[service]] is only allowed in '
                                                                       "city-scoped packs")
            self.rig_globals.setdefault(rig.name, []).extend(pack.globals if imp.transitive
                                                             else pack.local_globals())
            if not imp.transitive:
                pa = [a for a in pa if a.origin.pack_dir == pack.dir]
                pn = [n for n in pn if n.origin.pack_dir == pack.dir]
            for r in pack.requires if imp.transitive else pack.local_requires():
                if r.scope == "rig" and not any(a.name == r.agent for a in pa):
                    self.requirement_failed(r, f'rig "{rig.name}": import "{binding}" requires rig agent '
                                               f'"{r.agent}" — not found')
            pa = [rebind_depends_on(a) for a in stamp_binding(pa, binding, force=True)]
            pn = stamp_binding(pn, binding, force=True)
            self._take_rig_pack(got, pack, pa, pn)

    def expand_rig_packs(self, city: City, agents: list[Agent], named: list[NamedSession]
                         ) -> tuple[list[Agent], list[NamedSession], dict[str, tuple[int, int, bool]]]:
        """Per rig: its legacy includes (or, with neither includes nor imports, a pack.toml at
        the rig path), then `[rigs.imports.X]` sorted by binding. Rig agents follow every city
        agent; city-scope agents met here are hoisted to the city once (first wins)."""
        expanded: list[Agent] = []
        ranges: dict[str, tuple[int, int, bool]] = {}
        hoisted: list[Agent] = []
        hoisted_named: list[NamedSession] = []
        for rig in city.rigs:
            refs = self._rig_pack_refs(rig)
            if not refs and not rig.imports:
                continue  # expandPacks skips the rig: its overrides and patches are never applied
            got = _RigExpansion(partial=any(not i.resolved for i in rig.imports.values()))
            self._expand_rig_includes(rig, refs, got)
            self._expand_rig_imports(rig, got)
            hoisted += got.hoisted
            hoisted_named += got.hoisted_named
            self.check_collisions(got.agents, rig.name)
            start = len(agents) + len(expanded)
            ranges[rig.name] = (start, start + len(got.agents), got.partial)
            expanded += got.agents
            named = named + got.named
        agents = agents + expanded
        agents += _first_new(hoisted, agents, lambda a: (a.qualified_name, (a.dir, a.name)))
        named += _first_new(hoisted_named, named, lambda n: (n.identity, (n.dir, n.template)))
        return agents, named, ranges

    # ================================================================== patches, implicit agents
    def apply_patches(self, city: City, src: _Sources, agents: list[Agent], named: list[NamedSession]) -> list[_Located]:
        """City `[[patches.*]]` in place. Agent patches aimed at a provider agent that does not
        exist yet are returned, to apply after implicit agents are injected."""
        rd = self.rd
        implicit_ids = {(d, p) for p in src.providers for d in [""] + [r.name for r in city.rigs]}
        deferred: list[_Located] = []
        for p in src.agent_patches:
            check_patch(rd, p.table, S.AGENT_PATCH_FIELDS, p.file, p.fp)
            pdir, pname, target = agent_patch_target(p.table)
            exists = any(agent_matches(a, target) or (a.dir == pdir and a.name == pname) for a in agents)
            if not exists and (pdir, pname) in implicit_ids:
                deferred.append(p)
                continue
            apply_agent_patch(rd, agents, p.table, p.file, p.fp)
        apply_named_session_patches(rd, named, [(p.table, p.file, p.fp) for p in src.named_patches])
        apply_rig_patches(rd, city, [(p.table, p.file, p.fp) for p in src.rig_patches])
        self.merger.apply_provider_patches([(p.table, p.file, p.fp) for p in src.provider_patches])
        self.merger.apply_monitor_patches([(p.table, p.file, p.fp) for p in src.monitor_patches])
        return deferred

    def inject_implicit(self, city: City, src: _Sources, agents: list[Agent]) -> list[Agent]:
        """InjectImplicitAgents: one agent per configured provider at city scope and in every
        rig, unless an explicit agent has that (dir, name). (Their prompt template, the core
        pack's pool-worker prompt, is not modelled.)"""
        existing = {(a.dir, a.name) for a in agents}
        out = list(agents)
        # Implicit agents sling the city's default formula, else mol-do-work (InjectImplicitAgents).
        formula = str(self.merger.agent_defaults.values.get("default_sling_formula") or "mol-do-work")
        providers = provider_order(sorted(src.providers))
        for d in [""] + [r.name for r in city.rigs]:
            for p in providers:
                if (d, p) not in existing:
                    out.append(Agent(name=p, dir=d, provider=p, implicit=True, extra={"default_sling_formula": formula},
                                     origin=Origin(self.city_file, f"providers.{p}", "implicit")))
        return out

    # ================================================================== site binding
    def apply_site_binding(self, city: City) -> None:
        """`.gc/site.toml`: workspace name/prefix and machine-local rig paths."""
        rd = self.rd
        city.site_bound = True
        path = os.path.join(self.root, ".gc", "site.toml")
        paths: dict[str, str] = {}
        if _present_file(path):
            data = rd.read_toml(path, "site binding", context="")
            city.resolved_name = str(data.get("workspace_name", "")).strip()
            city.resolved_prefix = str(data.get("workspace_prefix", "")).strip()
            rigs = data.get("rig", []) or []
            for r in rd.check_array(rigs, path, "rig"):
                name, p = str(r.get("name", "")).strip(), str(r.get("path", "")).strip()
                if name and p:
                    paths[name] = p
        known = set()
        for rig in city.rigs:
            known.add(rig.name)
            if rig.name in paths:
                rig.path, rig.path_source = paths[rig.name], "site.toml"
            elif rig.path.strip():
                rd.warn(rig.origin.file, f'rig "{rig.name}" still declares path in city.toml; move it to '
                                         ".gc/site.toml (run `gc doctor --fix`)", f"{rig.origin.table}.path")
            else:
                rd.warn(rig.origin.file, f'rig "{rig.name}" is declared in city.toml but has no path binding in '
                                         f".gc/site.toml; run `gc rig add <dir> --name {rig.name}` to bind it",
                        rig.origin.table)
        for name in sorted(set(paths) - known):
            rd.warn(path, f'.gc/site.toml declares a binding for unknown rig "{name}"')

    # ================================================================== [defaults.rig.imports]
    def rig_defaults(self, city: City, declared: list[_Located]) -> None:
        """What `gc rig add` would stamp into a new rig: shown, never stamped here. Gas City's
        load only records these imports, so a pack citywatch cannot read is a note, not a refusal."""
        for loc in declared:
            binding = loc.fp.rsplit(".", 1)[-1]
            ctx = f'defaults.rig.imports "{binding}": '
            imp = make_import(self.rd, binding, loc.table, loc.file, loc.fp, "defaults.rig", decl_dir=self.root,
                              city_root=self.root, packs_dir=self.packs_dir, context=ctx)
            self.imports.append(imp)
            if not imp.resolved:
                continue
            try:
                pack = self.packs.load(imp.resolved_path, "", at=(loc.file, f"{loc.fp}.source"), context=ctx)
            except ConfigError as e:
                imp.unresolved_reason, imp.resolved_path = e.message, ""
                self.rd.warn(loc.file, f"{e.message}; its templates are not shown", f"{loc.fp}.source",
                             source="citywatch")
                continue
            agents = [rebind_depends_on(a) for a in stamp_binding(pack.agents, binding, force=True)]
            city.rig_defaults += [a for a in agents if a.scope != "city"]
            city.rig_default_named += [n for n in stamp_binding(pack.named, binding, force=True) if n.scope != "city"]


def _stamp_city_agents_into_rigs(agents: list[Agent], rigs: list[Rig], binding: str) -> list[Agent]:
    """expandCityImportedAgentsForRigs: unscoped and rig-scope agents, once per rig that does
    not declare the same binding itself; bare or same-binding dependencies get the rig prefix."""
    out = []
    for rig in rigs:
        name = rig.name.strip()
        if not name or (binding and binding in rig.imports):
            continue
        for a in agents:
            if a.scope == "city":
                continue
            out.append(_rig_qualified_deps(replace(a, dir=name)))
    return out


def _rig_qualified_deps(a: Agent) -> Agent:
    deps = []
    for dep in a.depends_on:
        d = dep.strip()
        if d and "/" not in d:
            if "." not in d:
                if a.binding:
                    d = f"{a.binding}.{d}"
            elif a.binding and not d.startswith(a.binding + "."):
                deps.append(dep)
                continue
            d = f"{a.dir}/{d}" if a.dir else d
            deps.append(d)
        else:
            deps.append(dep)
    return replace(a, depends_on=tuple(deps))


def _stamp_city_named_into_rigs(named: list[NamedSession], rigs: list[Rig], binding: str) -> list[NamedSession]:
    out = []
    for rig in rigs:
        name = rig.name.strip()
        if not name or (binding and binding in rig.imports):
            continue
        out += [replace(n, dir=name) for n in named if n.scope != "city"]
    return out


def _expand_generic_rig_named(named: list[NamedSession], rigs: list[Rig]) -> list[NamedSession]:
    """ExpandGenericRigNamedSessions: a `scope = "rig"` named session without a dir becomes one
    per rig (#2161)."""
    out: list[NamedSession] = []
    for n in named:
        if n.scope == "rig" and not n.dir:
            out += [replace(n, dir=r.name) for r in rigs]
        else:
            out.append(n)
    return out


def _fragment_agent(a: Agent, frag_dir: str, root: str) -> Agent:
    """adjustAgentPaths: a fragment agent's prompt_template, overlay_dir and namepool."""
    return replace(relocate_paths(a, frag_dir, root), namepool=city_relative_path(a.namepool, frag_dir, root))


def _check_city_surface(rd: Reader, data: dict, file: str, context: str) -> None:
    """validateCityAuthoringSurface: `[formulas] dir` and any key [storage] does not take are
    refused in any city file."""
    formulas = data.get("formulas")
    if isinstance(formulas, dict) and "dir" in formulas:
        raise rd.error(file, "formulas.dir", f"{context}parsing config: [formulas].dir is no longer supported; use the "
                                             "well-known formulas/ directory")
    found = storage_surface_error(data)
    if found is not None:
        raise rd.error(file, found[0], f"{context}parsing config: {found[1]}")


def _present_file(path: str) -> bool:
    """Something other than a directory is at `path`: a file to read, or, when it is a FIFO or a
    device, one the reader refuses by name (rather than taking it for absent)."""
    return os.path.lexists(path) and not os.path.isdir(path)


def _builtin_system_pack(entry: str) -> bool:
    cleaned = os.path.normpath(entry.strip())
    prefix = os.path.join(".gc", "system", "packs") + os.sep
    rest = cleaned[len(prefix):] if cleaned.startswith(prefix) else ""
    return bool(rest) and os.sep not in rest
