"""The config tables citywatch validates without modelling them, merged across city.toml, its
include fragments, the root pack.toml and imported packs as Gas City's mergeFragment and pack
expansion merge them: whole sections a fragment replaces, lists fragments append to, provider
specs merged field by field, and `[agent_defaults]`.

The result is stored on the City (`sections`, `provider_specs`, `services`, `webhooks`,
`pr_monitors`) for the load-time checks (section_checks.py) and the validators (validate.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from core.config.city_config import Agent, City, Section
from core.config.reader import Reader
from core.config.storage_checks import merge_storage

# Sections a fragment replaces whole when it defines them (mergeFragment's last writer wins).
REPLACED_BY_FRAGMENT = ("beads", "dolt", "formulas", "daemon", "session", "mail", "events", "usage", "orders",
                        "api", "convergence", "maintenance")
# Sections only the root city.toml sets (a fragment's copy is ignored by Gas City).
ROOT_ONLY = ("chat_sessions", "doctor", "webhooks")
# Tables of named entries a fragment adds to (or redefines one of, with a warning).
ADDITIVE = ("upstreams", "packs")
# [beads] and [daemon] keys a replacing fragment keeps from the base unless it sets them.
_KEPT = {"beads": ("conditional_writes", "guarded_release"), "daemon": ("formula_v2", "graph_workflows")}
# Provider spec fields a fragment merges into an existing provider (deepMergeProvider).
_PROVIDER_SCALARS = ("display_name", "command", "prompt_mode", "prompt_flag", "ready_delay_ms", "ready_prompt_prefix",
                     "emits_permission_warning", "accept_startup_dialogs")
_PROVIDER_LISTS = ("args", "process_names")
_DEFAULT_SCALARS = ("provider", "model", "upstream", "wake_mode", "default_sling_formula")
_DEFAULT_LISTS = ("allow_overlay", "allow_env_override", "append_fragments", "skills", "mcp")


@dataclass
class AgentDefaults:
    """The merged `[agent_defaults]` (with its deprecated `[agents]` alias folded in)."""

    values: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    @property
    def provider(self) -> str:
        return str(self.values.get("provider", "")).strip()


CONTROL_DISPATCHER = "control-dispatcher"


def apply_agent_defaults(agents: list[Agent], defaults: dict[str, Any]) -> list[Agent]:
    """ApplyAgentDefaults, after the city's defaults have replaced what packs gave their unbound
    agents: an agent without a provider takes the one it inherited from its pack, else the
    city's; without a default_sling_formula (own or inherited) it takes the city's; without an
    upstream, the city's. The control dispatcher takes none of them."""
    provider = str(defaults.get("provider", "") or "")
    formula = str(defaults.get("default_sling_formula", "") or "")
    upstream = str(defaults.get("upstream", "") or "")
    out = []
    for a in agents:
        if not a.binding:
            if provider:
                a = replace(a, inherited_provider="")
            if formula:
                a = replace(a, inherited_sling_formula=None)
        if a.name != CONTROL_DISPATCHER:
            if not a.provider and (a.inherited_provider or provider):
                a = replace(a, provider=a.inherited_provider or provider)
            extra = dict(a.extra)
            if formula and "default_sling_formula" not in extra and a.inherited_sling_formula is None:
                extra["default_sling_formula"] = formula
            if upstream and not extra.get("upstream"):
                extra["upstream"] = upstream
            if extra != a.extra:
                a = replace(a, extra=extra)
        out.append(a)
    return out


def fold_agent_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """FoldAgentDefaultsAlias: `[agent_defaults]`, with `[agents]` keys it does not set; `[agents]`
    alone stands in for it."""
    canonical = data.get("agent_defaults")
    alias = data.get("agents")
    if isinstance(canonical, dict):
        return {**alias, **canonical} if isinstance(alias, dict) else dict(canonical)
    return dict(alias) if isinstance(alias, dict) else {}


class SectionMerger:
    """Collects the validated-only tables of one city load, in Gas City's merge order."""

    def __init__(self, rd: Reader) -> None:
        self.rd = rd
        self.sections: dict[str, Section] = {}
        self.providers: dict[str, Section] = {}
        self.services: list[Section] = []
        self.webhooks: list[Section] = []
        self.pr_monitors: list[Section] = []
        self.agent_defaults = AgentDefaults()

    # ------------------------------------------------------------------ files
    def take_root(self, data: dict[str, Any], file: str) -> None:
        """The root city.toml."""
        for name in REPLACED_BY_FRAGMENT + ROOT_ONLY + ADDITIVE + ("storage",):
            if isinstance(data.get(name), dict):
                self.sections[name] = Section(data[name], file, name)
        for name, spec in _tables(data.get("providers")):
            self.providers[name] = Section(spec, file, f"providers.{name}")
        self._append_lists(data, file)
        self.agent_defaults = AgentDefaults(fold_agent_defaults(data), file)

    def merge_fragment(self, frag: dict[str, Any], path: str) -> None:
        """One include fragment, after the root and the fragments before it."""
        for name in REPLACED_BY_FRAGMENT:
            table = frag.get(name)
            if not isinstance(table, dict):
                continue
            merged = dict(table)
            base = self.sections.get(name)
            kept = _KEPT.get(name, ())
            if base is not None and name == "beads":  # each rollout gate kept on its own
                merged.update({k: base.table[k] for k in kept if k in base.table and k not in table})
            elif base is not None and name == "daemon" and not any(k in table for k in kept):
                merged.update({k: base.table[k] for k in kept if k in base.table})
            self.sections[name] = Section(merged, path, name)
        storage = merge_storage(self.rd, self.sections.get("storage"), frag, path)
        if storage is not None:
            self.sections["storage"] = storage
        for section, what in (("upstreams", "upstream"), ("packs", "pack")):
            for name, spec in _tables(frag.get(section)):
                self._merge_named(section, what, name, spec, path)
        for name, spec in _tables(frag.get("providers")):
            self._merge_provider(name, spec, path)
        self._append_lists(frag, path, fragment=True)
        if "agent_defaults" in frag or "agents" in frag:
            self._merge_agent_defaults(fold_agent_defaults(frag), path)

    def take_root_pack(self, pdata: dict[str, Any], pack_path: str) -> None:
        """The root pack.toml: its providers and services are the base layer city.toml wins over."""
        for name, spec in _tables(pdata.get("providers")):
            self.providers.setdefault(name, Section(spec, pack_path, f"providers.{name}"))
        root = os.path.dirname(pack_path)
        services = [Section(t, pack_path, f"service[{i}]", root) for i, t in enumerate(_list(pdata.get("service")))]
        self.services = services + self.services
        webhooks = [Section(t, pack_path, f"webhook[{i}]", root) for i, t in enumerate(_list(pdata.get("webhook")))]
        self.webhooks = webhooks + self.webhooks

    def add_pack_services(self, services: list[Section], webhooks: list[Section]) -> None:
        """A city-scope pack's services and webhooks, after the city's own."""
        self.services += services
        self.webhooks += webhooks

    def add_pack_providers(self, providers: dict[str, Section]) -> None:
        """Providers an imported pack defines: a name the city already has keeps its spec."""
        for name, spec in providers.items():
            self.providers.setdefault(name, spec)

    # ------------------------------------------------------------------ patches
    def apply_provider_patches(self, patches: list[tuple[dict[str, Any], str, str]]) -> None:
        """`[[patches.providers]]` (applyProviderPatch): an existing provider's fields are set
        (env merged, env_remove applied), or with `_replace = true` the spec is rebuilt from the
        patch alone."""
        for p, file, fp in patches:
            name = str(p.get("name", ""))
            if not name:
                raise self.rd.error(file, fp, f"{fp}: provider patch: name is required")
            base = self.providers.get(name)
            if base is None:
                raise self.rd.error(file, fp, f'{fp}: provider "{name}" not found in merged config')
            fields = {k: v for k, v in p.items() if k not in ("name", "_replace", "env", "env_remove")}
            if p.get("_replace"):
                spec = {**fields, **({"env": dict(p["env"])} if p.get("env") else {})}
            else:
                spec = {**base.table, **fields}
                env = {**(base.table.get("env") or {}), **(p.get("env") or {})}
                for k in p.get("env_remove") or []:
                    env.pop(k, None)
                if env or "env" in base.table:
                    spec["env"] = env
            self.providers[name] = Section(spec, base.file, base.field)

    def apply_monitor_patches(self, patches: list[tuple[dict[str, Any], str, str]]) -> None:
        """`[[patches.github_pr_monitor]]` (applyGitHubPRMonitorPatch): fields of an existing
        monitor, `notify_append` extending its notify list."""
        for p, file, fp in patches:
            name = str(p.get("name", ""))
            if not name:
                raise self.rd.error(file, fp, f"{fp}: github pr monitor patch: name is required")
            for i, mon in enumerate(self.pr_monitors):
                if mon.get("name") == name:
                    table = {**mon.table, **{k: v for k, v in p.items() if k not in ("name", "notify_append")}}
                    if p.get("notify_append"):
                        table["notify"] = list(table.get("notify") or []) + list(p["notify_append"])
                    self.pr_monitors[i] = Section(table, mon.file, mon.field, mon.source_dir)
                    break
            else:
                raise self.rd.error(file, fp, f'{fp}: github pr monitor "{name}" not found in merged config')

    def store(self, city: City) -> None:
        city.sections = dict(self.sections)
        if self.agent_defaults.values:
            city.sections["agent_defaults"] = Section(self.agent_defaults.values, self.agent_defaults.file,
                                                      "agent_defaults")
        city.provider_specs = dict(self.providers)
        city.services = list(self.services)
        city.webhooks = list(self.webhooks)
        city.pr_monitors = list(self.pr_monitors)

    # ------------------------------------------------------------------ merging
    def _append_lists(self, data: dict[str, Any], file: str, *, fragment: bool = False) -> None:
        # A fragment's webhooks carry its directory as their source (so the pack guard caps them);
        # its services do not (mergeFragment stamps webhooks only).
        hook_source = os.path.dirname(file) if fragment else ""
        self.services += [Section(t, file, f"service[{i}]") for i, t in enumerate(_list(data.get("service")))]
        self.webhooks += [Section(t, file, f"webhook[{i}]", hook_source)
                          for i, t in enumerate(_list(data.get("webhook")))]
        github = data.get("github")
        github = github if isinstance(github, dict) else {}
        self.pr_monitors += [Section(t, file, f"github.pr_monitor[{i}]")
                             for i, t in enumerate(_list(github.get("pr_monitor")))]

    def _merge_named(self, section: str, what: str, name: str, spec: dict[str, Any], path: str) -> None:
        """mergeUpstreams / mergePacks: a fragment's entry is added, or replaces one of the same
        name with a warning."""
        base = self.sections.get(section)
        table = dict(base.table) if base is not None else {}
        if name in table:
            self.rd.warn(path, f'{what} "{name}" redefined by "{path}"', f"{section}.{name}")
        table[name] = spec
        self.sections[section] = Section(table, base.file if base is not None else path, section)

    def _merge_provider(self, name: str, spec: dict[str, Any], path: str) -> None:
        """deepMergeProvider: a fragment's scalars and lists replace the base's (a warning when
        the base had a value), env keys merge one by one; other fields of an existing provider
        are not taken from a fragment."""
        base = self.providers.get(name)
        fp = f"providers.{name}"
        if base is None:
            self.providers[name] = Section(spec, path, fp)
            return
        merged = dict(base.table)
        for key in _PROVIDER_SCALARS + _PROVIDER_LISTS:
            if key in spec:
                if base.table.get(key) not in (None, "", 0, []):
                    self.rd.warn(path, f'provider "{name}".{key} redefined by "{path}"', f"{fp}.{key}")
                merged[key] = spec[key]
        if isinstance(spec.get("env"), dict):
            env = dict(base.table.get("env") or {})
            for k, v in spec["env"].items():
                if k in (base.table.get("env") or {}):
                    self.rd.warn(path, f'provider "{name}".env.{k} redefined by "{path}"', f"{fp}.env.{k}")
                env[k] = v
            merged["env"] = env
        if isinstance(spec.get("upstream_env"), dict):
            up = dict(base.table.get("upstream_env") or {})
            for k in ("base_url", "api_key", "auth_token"):
                if k in spec["upstream_env"]:
                    if up.get(k):
                        self.rd.warn(path, f'provider "{name}".upstream_env.{k} redefined by "{path}"',
                                     f"{fp}.upstream_env.{k}")
                    up[k] = spec["upstream_env"][k]
            merged["upstream_env"] = up
        self.providers[name] = Section(merged, base.file, base.field)

    def _merge_agent_defaults(self, values: dict[str, Any], path: str) -> None:
        """mergeAgentDefaults: a fragment's scalars win (a warning when they differ from a value
        already set), its lists extend."""
        merged = dict(self.agent_defaults.values)
        for key in _DEFAULT_SCALARS:
            v = values.get(key)
            if v:
                if merged.get(key) and merged[key] != v:
                    self.rd.warn(path, f'agent_defaults.{key} redefined by "{path}"', f"agent_defaults.{key}")
                merged[key] = v
        for key in _DEFAULT_LISTS:
            extra = [x for x in values.get(key) or [] if x not in (merged.get(key) or [])]
            if extra:
                merged[key] = list(merged.get(key) or []) + extra
        self.agent_defaults = AgentDefaults(merged, path if merged != self.agent_defaults.values
                                            else self.agent_defaults.file)


def _tables(value: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(k, v) for k, v in value.items() if isinstance(v, dict)] if isinstance(value, dict) else []


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
