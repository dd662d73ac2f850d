"""Loading one pack directory as Gas City's loadPack does.

Order of the agents a pack yields: agents of `[pack].includes` first, then those of its nested
`[imports.X]` (sorted by binding; the nested binding is stamped only where none is set, or
always with `export = true`), then its own `[[agent]]` tables, then `agents/<name>/` directories
not already declared by an `[[agent]]` table. Every agent without a dir gets the rig name being
expanded; pack `[[patches.agent]]` apply; bare `depends_on` names are qualified with the
agent's binding and dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from core.config import schema as S
from core.config.city_config import Agent, Import, NamedSession, Origin, Section
from core.config.patches import apply_pack_agent_patches
from core.config.reader import Reader
from core.config.tables import (
    agents_from_array,
    make_agent,
    make_import,
    named_from_array,
    patch_paths,
    relocate_paths,
    resolve_source,
)

PACK_FILE = "pack.toml"
CURRENT_PACK_SCHEMA = 2
# How deep pack imports may nest (a pack importing a pack importing ...). Real packs nest two or
# three deep; the cap keeps a generated chain of packs from exhausting Python's recursion limit.
MAX_PACK_NESTING = 64

# pack.toml tables that belong to city.toml only, with Gas City's words for each.
_CITY_ONLY = (
    (("agents",), "[agents] is a city.toml compatibility alias for [agent_defaults], not a pack.toml field"),
    (("defaults", "rig", "imports"), "[defaults.rig.imports] belongs in city.toml, not pack.toml"),
    (("formulas", "dir"), "[formulas].dir is no longer supported; use the well-known formulas/ directory"),
    (("patches", "rigs"), "[[patches.rigs]] is only valid in city.toml; pack.toml supports [[patches.agent]] only"),
    (("patches", "providers"), "[[patches.providers]] is only valid in city.toml; pack.toml supports "
                               "[[patches.agent]] only"),
)


@dataclass(frozen=True)
class Requirement:
    """`[[pack.requires]]`: an agent (by bare name) the pack needs in the city or in each rig."""

    scope: str
    agent: str
    file: str
    field: str


@dataclass
class PackResult:
    """What one loaded pack contributes: agents, named sessions, providers and requirements."""
    dir: str
    name: str
    agents: list[Agent] = field(default_factory=list)
    named: list[NamedSession] = field(default_factory=list)
    providers: dict[str, Section] = field(default_factory=dict)  # name -> spec, first definition wins
    requires: list[Requirement] = field(default_factory=list)  # this pack's and its dependencies'
    services: list[Section] = field(default_factory=list)  # [[service]], each with its pack as source
    webhooks: list[Section] = field(default_factory=list)  # [[webhook]], likewise
    # [global] session_live commands: (pack name, commands, pack dir), this pack's after its includes'
    globals: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)

    def copy(self) -> PackResult:
        return PackResult(self.dir, self.name, list(self.agents), list(self.named), dict(self.providers),
                          list(self.requires), list(self.services), list(self.webhooks), list(self.globals))

    def local_globals(self) -> list[tuple[str, tuple[str, ...], str]]:
        return [g for g in self.globals if g[2] == self.dir]

    def local_requires(self) -> list[Requirement]:
        return [r for r in self.requires if os.path.dirname(r.file) == self.dir]


def qualify_depends_on(a: Agent) -> Agent:
    """Bare `depends_on` names (no `/`, no `.`) get the agent's binding and dir."""
    if not a.depends_on:
        return a
    out = []
    for dep in a.depends_on:
        if "/" not in dep and "." not in dep:
            if a.binding:
                dep = f"{a.binding}.{dep}"
            if a.dir:
                dep = f"{a.dir}/{dep}"
        out.append(dep)
    return replace(a, depends_on=tuple(out))


def rebind_depends_on(a: Agent) -> Agent:
    """After an importer stamps its binding: a dependency whose name part has no dot gets it
    (`dir/dep` -> `dir/binding.dep`)."""
    if not a.binding or not a.depends_on:
        return a
    out = []
    for dep in a.depends_on:
        _, _, name = dep.rpartition("/")
        if "." not in name:
            dep = f"{a.dir}/{a.binding}.{name}" if a.dir else f"{a.binding}.{name}"
        out.append(dep)
    return replace(a, depends_on=tuple(out))


def stamp_binding(items: list, binding: str, export: bool = False, *, force: bool = False) -> list:
    """Stamp `binding` on agents or named sessions that have none (all of them when `force`,
    as a city or rig import does, or when the import sets `export`)."""
    out = []
    for x in items:
        if force or export or not x.binding:
            x = replace(x, binding=binding, origin=replace(x.origin, binding=binding))
        out.append(x)
    return out


class PackLoader:
    """Loads pack directories for one city load; results are cached per (directory, rig)."""

    def __init__(self, rd: Reader, city_root: str, packs_dir: str | None, imports: list[Import]) -> None:
        self.rd = rd
        self.city_root = city_root
        self.packs_dir = packs_dir
        self.imports = imports  # every import met, resolved or not, for `config show`
        self._cache: dict[tuple[str, str], PackResult] = {}

    def load(self, pack_dir: str, rig: str, *, at: tuple[str, str], context: str,
             stack: tuple[str, ...] = ()) -> PackResult:
        """Load `pack_dir` for rig `rig` ("" = city scope). `at` is the (file, field) of the
        declaration that named it; `context` prefixes messages (`city import "x": `)."""
        pack_dir = os.path.normpath(os.path.abspath(pack_dir))
        if pack_dir in stack:
            raise self.rd.error(at[0], at[1], f'{context}cycle detected: pack "{pack_dir}" already visited')
        if len(stack) >= MAX_PACK_NESTING:
            raise self.rd.error(at[0], at[1], f"{context}pack imports nest more than {MAX_PACK_NESTING} deep "
                                              f'(at pack "{pack_dir}")')
        key = (pack_dir, rig)
        if key in self._cache:
            return self._cache[key].copy()
        result = self._load(pack_dir, rig, at, context, stack + (pack_dir,))
        self._cache[key] = result
        return result.copy()

    def _load(self, pack_dir: str, rig: str, at: tuple[str, str], context: str, stack: tuple[str, ...]) -> PackResult:
        """loadPack: the pack's includes and imports (what it inherits), then its own agents,
        named sessions, patches, providers, requirements, services, webhooks and globals."""
        rd = self.rd
        pack_path = os.path.join(pack_dir, PACK_FILE)
        if not os.path.isdir(pack_dir):
            raise rd.error(at[0], at[1], f"{context}pack directory {pack_dir}: no such file or directory")
        data = rd.read_toml(pack_path, PACK_FILE, at=at, context=context)
        meta = check_pack_surface(rd, data, pack_path, context)
        own_providers = {name: Section(spec, pack_path, f"providers.{name}")
                         for name, spec in (data.get("providers", {}) or {}).items()}
        inherited = PackResult(pack_dir, "")
        self._load_includes(meta, pack_dir, pack_path, rig, context, stack, inherited)
        defaults = data.get("agent_defaults") or {}
        inherited.agents = _inherit_defaults(inherited.agents, defaults)
        self._load_imports(data, pack_dir, pack_path, rig, context, stack, inherited)
        own, named_own = self._own_agents(data, pack_dir, pack_path, rig, context, defaults, inherited.agents)
        merged = inherited.agents + own
        patches = data.get("patches") or {}
        if patches.get("agent"):
            pack_patches = [patch_paths(p, pack_dir, self.city_root) if isinstance(p, dict) else p
                            for p in rd.check_array(patches["agent"], pack_path, "patches.agent")]
            merged = apply_pack_agent_patches(rd, merged, pack_patches, pack_path, context)
        result = PackResult(pack_dir, str(meta.get("name", "")))
        result.agents = [qualify_depends_on(a) for a in merged]
        result.named = inherited.named + named_own
        result.providers = {**inherited.providers, **own_providers}
        result.requires = inherited.requires + pack_requirements(meta, pack_path)
        result.services = inherited.services + self._own_services(data, pack_dir, pack_path, context)
        result.webhooks = inherited.webhooks + [Section(t, pack_path, f"webhook[{i}]", pack_dir)
                                                for i, t in enumerate(data.get("webhook", []) or [])]
        result.globals = inherited.globals + pack_global(data, pack_dir, str(meta.get("name", "")))
        return result

    @staticmethod
    def _inherit(into: PackResult, sub: PackResult, agents: list[Agent], named: list[NamedSession],
                 transitive: bool) -> None:
        """Add what a loaded include or import passes on (only its own services, globals,
        webhooks and requirements unless it is transitive); the first provider spec wins."""
        into.agents += agents
        into.named += named
        into.services += [x for x in sub.services if transitive or x.source_dir == sub.dir]
        into.globals += sub.globals if transitive else sub.local_globals()
        into.webhooks += [x for x in sub.webhooks if transitive or x.source_dir == sub.dir]
        for name, spec in sub.providers.items():
            into.providers.setdefault(name, spec)
        into.requires += sub.requires if transitive else sub.local_requires()

    def _load_includes(self, meta: dict[str, Any], pack_dir: str, pack_path: str, rig: str, context: str,
                       stack: tuple[str, ...], into: PackResult) -> None:
        """[pack].includes: legacy V1 packs, no binding, everything passed on."""
        for i, inc in enumerate(meta.get("includes", []) or []):
            imp = Import(binding="", source=inc, declared_in=pack_path, scope=f"pack:{pack_dir}",
                         field=f"pack.includes[{i}]")
            resolve_source(imp, decl_dir=pack_dir, city_root=self.city_root, packs_dir=self.packs_dir)
            self.imports.append(imp)
            if not imp.resolved:
                continue
            sub = self.load(imp.resolved_path, rig, at=(pack_path, imp.field), context=f'{context}include "{inc}": ',
                            stack=stack)
            self._inherit(into, sub, sub.agents, sub.named, transitive=True)

    def _load_imports(self, data: dict[str, Any], pack_dir: str, pack_path: str, rig: str, context: str,
                      stack: tuple[str, ...], into: PackResult) -> None:
        """Nested [imports.X], sorted by binding: agents and named sessions stamped with the
        binding; a non-transitive import passes on only what its own pack defines."""
        imports = data.get("imports", {}) or {}
        for binding in sorted(imports):
            fp = f"imports.{binding}"
            imp = make_import(self.rd, binding, imports[binding], pack_path, fp, f"pack:{pack_dir}", decl_dir=pack_dir,
                              city_root=self.city_root, packs_dir=self.packs_dir,
                              context=context)
            self.imports.append(imp)
            if not imp.resolved:
                continue
            sub = self.load(imp.resolved_path, rig, at=(pack_path, f"{fp}.source"),
                            context=f'{context}import "{binding}": ', stack=stack)
            agents, named = sub.agents, sub.named
            if not imp.transitive:
                agents = [a for a in agents if a.origin.pack_dir == sub.dir]
                named = [n for n in named if n.origin.pack_dir == sub.dir]
            self._inherit(into, sub, stamp_binding(agents, binding, imp.export), stamp_binding(named, binding, imp.export),
                          imp.transitive)

    def _own_agents(self, data: dict[str, Any], pack_dir: str, pack_path: str, rig: str, context: str,
                    defaults: dict[str, Any], included: list[Agent]) -> tuple[list[Agent], list[NamedSession]]:
        """This pack's own agents ([[agent]] tables win over agents/<name>/ directories), with
        its agent_defaults and paths relative to it, and its named sessions."""
        rd = self.rd
        own = agents_from_array(rd, data.get("agent", []), pack_path, "agent", "pack-v1",
                                pack_dir=pack_dir, context=context)
        own += self.discover(pack_dir, {a.name for a in own}, context)
        unused = unused_defaults_warning(included, defaults)
        if unused:
            rd.warn(pack_path, unused, "agent_defaults")
        own = _inherit_defaults(own, defaults)
        own = [replace(relocate_paths(a, pack_dir, self.city_root), dir=a.dir or rig) for a in own]
        named_own = named_from_array(rd, data.get("named_session", []), pack_path, "named_session", "pack",
                                     pack_dir=pack_dir, context=context)
        return own, [replace(n, dir=n.dir or rig) for n in named_own]

    def _own_services(self, data: dict[str, Any], pack_dir: str, pack_path: str, context: str) -> list[Section]:
        own_services = [Section(t, pack_path, f"service[{i}]", pack_dir)
                        for i, t in enumerate(data.get("service", []) or [])]
        for svc in own_services:
            if svc.get("publish_mode") == "direct":
                raise self.rd.error(pack_path, svc.at("publish_mode"), f'{context}service "{svc.get("name", "")}": '
                                                                       "packs may not set publish_mode=direct")
        return own_services

    def discover(self, pack_dir: str, skip: set[str], context: str = "") -> list[Agent]:
        """agents/<name>/ directories (names starting with `.` or `_` skipped). The directory
        name is the agent name; a sibling namepool.txt is the namepool unless one is set.
        A directory without agent.toml is an agent with every field at its default."""
        agents_dir = os.path.join(pack_dir, "agents")
        try:
            entries = sorted(os.listdir(agents_dir))
        except OSError:
            return []
        out = []
        for entry in entries:
            adir = os.path.join(agents_dir, entry)
            if entry.startswith((".", "_")) or entry in skip or not os.path.isdir(adir):
                continue
            path = os.path.join(adir, "agent.toml")
            origin = Origin(path, "", "pack", pack_dir=pack_dir)
            if os.path.lexists(path) and not os.path.isdir(path):  # a FIFO or device is refused by name
                data = self.rd.read_toml(path, "agent.toml", context=context)
                self.rd.check_types(data, "Agent", path, context=context)
                # Gas City does not check agent.toml keys for typos; types are checked.
                a = make_agent(self.rd, data, origin, context=context)
            else:
                a = Agent(name=entry, origin=origin)
                self.rd.warn(adir, f'agent directory "agents/{entry}" has no agent.toml; Gas City loads the agent '
                                   "with every field at its default", source="citywatch")
            a = replace(a, name=entry)
            pool = os.path.join(adir, "namepool.txt")
            # A namepool written in agent.toml stays as written: Gas City resolves it against
            # the city root, not the pack.
            if not a.namepool and os.path.isfile(pool):
                a = replace(a, namepool=pool)
            out.append(a)
        return out


def _inherit_defaults(agents: list[Agent], defaults: dict) -> list[Agent]:
    """applyInheritedPackAgentDefaults: a pack's [agent_defaults] provider and
    default_sling_formula for its agents without a binding that set neither (an included pack's
    agents keep what their own pack gave them)."""
    provider = str(defaults.get("provider", "")) if isinstance(defaults, dict) else ""
    formula = str(defaults.get("default_sling_formula", "")) if isinstance(defaults, dict) else ""
    out = []
    for a in agents:
        if not a.binding:
            if provider and not a.provider and not a.inherited_provider:
                a = replace(a, inherited_provider=provider)
            if formula and "default_sling_formula" not in a.extra and a.inherited_sling_formula is None:
                a = replace(a, inherited_sling_formula=formula)
        out.append(a)
    return out


def unused_defaults_warning(agents: list[Agent], defaults: dict) -> str:
    """warnUnusedPackAgentDefaultsForImports: the pack's [agent_defaults] fields that none of its
    imported (bound) agents take, or ""."""
    if not isinstance(defaults, dict):
        return ""
    bound = [a for a in agents if a.binding]
    counts = (("provider", sum(1 for a in bound if defaults.get("provider") and not a.provider)),
              ("default_sling_formula", sum(1 for a in bound if defaults.get("default_sling_formula")
                                            and "default_sling_formula" not in a.extra)),
              ("append_fragments", sum(1 for a in bound if defaults.get("append_fragments")
                                       and not a.extra.get("append_fragments"))))
    fields = [f"{k} unused by {n} imported agent(s)" for k, n in counts if n]
    if not fields:
        return ""
    return ("agent_defaults currently does not apply to a pack's own [imports.*] agents (the loader scopes it to "
            f"the pack's own agents/ and [[agent]] blocks; see pack-spec §2.7); {', '.join(fields)}")


def pack_global(data: dict, pack_dir: str, name: str) -> list[tuple[str, tuple[str, ...], str]]:
    """A pack's `[global] session_live`, `{{.ConfigDir}}` replaced by the pack directory
    (resolveConfigDirInCommands), as (pack name, commands, pack dir); [] when it has none."""
    glob = data.get("global")
    glob = glob if isinstance(glob, dict) else {}
    live = [str(c).replace("{{.ConfigDir}}", pack_dir) for c in glob.get("session_live") or []]
    return [(name, tuple(live), pack_dir)] if live else []


def apply_pack_globals(agents: list[Agent], city_globals: list, rig_globals: dict[str, list]) -> list[Agent]:
    """applyPackGlobals: city-level pack globals append their session_live commands to every
    agent, a rig's only to that rig's agents; one pack's globals reach an agent once."""
    out = []
    for a in agents:
        seen: set[str] = set()
        live = list(a.session_live)
        for name, cmds, _ in list(city_globals) + list(rig_globals.get(a.dir, []) if a.dir else []):
            if name:
                if name in seen:
                    continue
                seen.add(name)
            live += cmds
        out.append(replace(a, session_live=tuple(live)) if len(live) != len(a.session_live) else a)
    return out


def pack_requirements(meta: dict, pack_path: str) -> list[Requirement]:
    """The pack's [[requires]] entries as Requirements located in `pack_path`."""
    return [Requirement(str(r.get("scope", "")), str(r.get("agent", "")), pack_path, f"pack.requires[{i}]")
            for i, r in enumerate(meta.get("requires", []) or [])]


def check_pack_surface(rd: Reader, data: dict, pack_path: str, context: str, *, what: str = "parsing pack.toml: ") -> dict:
    """In Gas City's order (loadPack): value types, city-only tables, unknown keys (fatal in
    pack.toml, all named in one error), then `[pack]` metadata. Returns [pack]."""
    rd.check_types(data, "PackConfig", pack_path, context=f"{context}{what}")
    for keys, msg in _CITY_ONLY:
        t: object = data
        for k in keys:
            t = t.get(k) if isinstance(t, dict) else None
            if t is None:
                break
        if t is not None:
            raise rd.error(pack_path, ".".join(keys), f"{context}{what}{pack_path}: {msg}")
    rd.check_unknown(data, "PackConfig", pack_path, unknown="error", context=f"{context}{what}")
    rd.check_table(data, S.PACK_TOP, pack_path, "", context=f"{context}{what}")
    meta = rd.check_table(data.get("pack", {}), S.PACK_META_FIELDS, pack_path, "pack",
                          context=f"{context}{what}")
    if not str(meta.get("name", "")).strip():
        raise rd.error(pack_path, "pack.name" if "name" in meta else "pack", f"{context}[pack] name is required")
    schema = meta.get("schema")
    if not schema:
        raise rd.error(pack_path, "pack.schema" if "schema" in meta else "pack", f"{context}[pack] schema is required")
    if schema > CURRENT_PACK_SCHEMA:
        raise rd.error(pack_path, "pack.schema",
                       f"{context}[pack] schema {schema} not supported (max {CURRENT_PACK_SCHEMA})")
    for i, req in enumerate(meta.get("requires", []) or []):
        if not str(req.get("agent", "")):
            raise rd.error(pack_path, f"pack.requires[{i}]", f"{context}[pack] requires[{i}]: agent is required")
        if req.get("scope") not in ("city", "rig"):
            raise rd.error(pack_path, f"pack.requires[{i}].scope",
                           f'{context}[pack] requires[{i}]: scope must be "city" or "rig", got "{req.get("scope", "")}"')
    for key in ("agent", "named_session"):
        if key in data:
            rd.check_array(data[key], pack_path, key, context=context)
    return meta
