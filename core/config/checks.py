"""Load-time checks that produce warnings (Gas City's ValidateDurations and ValidateSemantics),
the provider-reference check, and namepool files.

Warnings carry Gas City's wording; the location (file, line, field) is citywatch's addition.
"""

from __future__ import annotations

import os
from dataclasses import replace

from core.config.city_config import Agent, City
from core.config.reader import Reader
from core.formats.goduration import duration_error, go_quote
from core.guards.safeio import CONFIG_MAX_BYTES, UnsafeFileError, read_regular

BUILTIN_PROVIDERS = ("claude", "codex", "gemini", "grok", "kimi", "kiro", "cursor", "copilot", "amp", "opencode",
                     "mimocode", "groq", "cerebras", "auggie", "pi", "omp", "antigravity")
_SESSION_TRANSPORTS = ("", "acp", "tmux")


def agent_field(a: Agent, key: str) -> str:
    """The field path of `key` on agent `a` inside its origin file."""
    return f"{a.origin.table}.{key}" if a.origin.table else key


def provider_order(names: list[str]) -> list[str]:
    """configuredProviderOrder: built-in providers in Gas City's order, then the rest sorted."""
    builtin = [p for p in BUILTIN_PROVIDERS if p in names]
    return builtin + sorted(n for n in names if n not in BUILTIN_PROVIDERS)


# ---------------------------------------------------------------------- durations
def check_duration(rd: Reader, file: str, field_path: str, context: str, key: str, value: str) -> None:
    """Warn if a non-empty `value` of `key` is not a valid duration."""
    if value == "":
        return
    err = duration_error(value)
    if err:
        rd.warn(file, f"{context} {key} = {go_quote(value)} is not a valid duration: {err}", field_path)


def check_sleep(rd: Reader, file: str, field_path: str, context: str, key: str, value: str) -> None:
    """Warn if `value` of `key` is neither empty, "off", nor a valid duration."""
    normalized = value.strip()
    if normalized == "" or normalized.lower() == "off":
        return
    err = duration_error(normalized)
    if err:
        rd.warn(file, f'{context} {key} = {go_quote(value)} is not a valid duration or "off": {err}', field_path)


def validate_durations(rd: Reader, city: City, sleep_files: dict[str, str]) -> None:
    """ValidateDurations: every duration in the merged config, in Gas City's order; a bad one is
    a warning (the value then falls back to its default or to off)."""
    from core.config.section_checks import section_duration_warnings

    section_duration_warnings(rd, city)
    for key in ("interactive_resume", "interactive_fresh", "noninteractive"):
        if key in city.session_sleep:
            check_sleep(rd, sleep_files.get(key, city.path), f"session_sleep.{key}", "[session_sleep]", key,
                        city.session_sleep[key])
    for r in city.rigs:
        for key in ("interactive_resume", "interactive_fresh", "noninteractive"):
            if key in r.session_sleep:
                check_sleep(rd, r.origin.file, f"{r.origin.table}.session_sleep.{key}",
                            f'rig "{r.name}" [session_sleep]', key, r.session_sleep[key])
    from core.config.section_checks import pr_monitor_duration_warnings

    pr_monitor_duration_warnings(rd, city)
    for a in city.agents:
        ctx = f'agent "{a.qualified_name}"'
        check_duration(rd, a.origin.file, agent_field(a, "idle_timeout"), ctx, "idle_timeout", a.idle_timeout)
        check_sleep(rd, a.origin.file, agent_field(a, "sleep_after_idle"), ctx, "sleep_after_idle", a.sleep_after_idle)
        check_duration(rd, a.origin.file, agent_field(a, "drain_timeout"), ctx, "drain_timeout", a.drain_timeout)


# ---------------------------------------------------------------------- providers
def missing_provider_references(city: City, providers: set[str]) -> list[tuple[str, str, str, str]]:
    """(label, provider, file, field) for each provider named but not configured, workspace
    first, then agents by qualified name (MissingProviderReferences)."""
    refs = []
    if city.workspace.provider.strip() and city.workspace.provider.strip() not in providers:
        p = city.workspace.provider.strip()
        refs.append((f"workspace.provider {go_quote(p)}", p, city.path, "workspace.provider"))
    agent_refs = []
    for a in city.agents:
        p = a.provider.strip()
        if a.start_command or not p or p in providers:
            continue
        agent_refs.append((f'agent "{a.qualified_name}": provider {go_quote(p)}', p, a.origin.file,
                           agent_field(a, "provider")))
    seen = set()
    for r in sorted(agent_refs, key=lambda r: (r[0], r[1])):
        if r[0] not in seen:
            seen.add(r[0])
            refs.append(r)
    return refs


def check_provider_references(rd: Reader, city: City, providers: set[str]) -> None:
    """ValidateProviderReferences: fatal in Gas City, every missing provider listed with its fix
    (its lines joined with "; "), located at the first. Callers skip it while an import is
    unresolved (that pack may define the provider); ValidateSemantics' per-agent warnings then
    still name every missing provider."""
    refs = missing_provider_references(city, providers)
    if not refs:
        return
    parts = []
    for label, p, _, _ in refs:
        hint = (f'add [providers.{p}] base = "builtin:{p}"' if p in BUILTIN_PROVIDERS
                else f"add [providers.{p}] with command = ...")
        parts.append(f"{label}: {hint}")
    _, _, file, fp = refs[0]
    raise rd.error(file, fp, "provider catalog is missing referenced providers: " + "; ".join(parts)
                   + "; Run `gc doctor --fix` to add missing builtin provider aliases.")


# ---------------------------------------------------------------------- semantics
def validate_semantics(rd: Reader, city: City, providers: set[str]) -> None:
    """ValidateSemantics' warnings that concern agents and the workspace."""
    for a in city.agents:
        if a.provider and not a.start_command and a.provider not in providers:
            rd.warn(a.origin.file, f'agent "{a.qualified_name}": provider {go_quote(a.provider)} is not defined in '
                                   "[providers]", agent_field(a, "provider"))
    if city.workspace.provider and city.workspace.provider not in providers:
        rd.warn(city.path, f"[workspace] provider {go_quote(city.workspace.provider)} is not defined in [providers]",
                "workspace.provider")
    defaults = city.sections.get("agent_defaults")
    default_provider = str(defaults.get("provider", "")) if defaults is not None else ""
    if defaults is not None and default_provider and default_provider not in providers:
        rd.warn(defaults.file, f"[agent_defaults] provider {go_quote(default_provider)} is not a built-in or "
                               "city-defined provider", defaults.at("provider"))
    for a in city.agents:
        session = str(a.extra.get("session", ""))
        if session.strip() not in _SESSION_TRANSPORTS:
            rd.warn(a.origin.file, f'agent "{a.qualified_name}": session {go_quote(session)} is not a valid session '
                                   'transport (use "acp", "tmux", or omit)', agent_field(a, "session"))
    for a in city.agents:
        if a.namepool and a.max_active_sessions is not None and a.max_active_sessions < 0:
            rd.warn(a.origin.file, f'agent "{a.qualified_name}": namepool requires bounded max_active_sessions (> 0); '
                                   "unlimited agents use prefix discovery which cannot find themed names",
                    agent_field(a, "namepool"))
    for a in city.agents:
        if a.idle_timeout and a.sleep_after_idle:
            rd.warn(a.origin.file, f'agent "{a.qualified_name}": idle_timeout and sleep_after_idle are both set; '
                                   "idle_timeout takes precedence and sleep_after_idle only applies when the session "
                                   "survives the idle_timeout check", agent_field(a, "sleep_after_idle"))
    provider_spec_warnings(rd, city)


def provider_spec_warnings(rd: Reader, city: City) -> None:
    """ValidateSemantics' checks of the provider catalog: reserved ":" in a name, the grammar of
    `base`, options_schema_merge, and prompt_mode / prompt_flag (by provider name; Gas City walks
    them in map order)."""
    specs = sorted(city.provider_specs.items())
    for name, spec in specs:
        if ":" in name:
            rd.warn(spec.file, f'[providers.{name}] custom provider name contains reserved character ":" (used for '
                               '"builtin:" / "provider:" namespace prefixes on base field)', spec.field)
    for name, spec in specs:
        base = spec.get("base")
        for prefix in ("builtin:", "provider:"):
            if isinstance(base, str) and base == prefix:
                rd.warn(spec.file, f"[providers.{name}] base {go_quote(base)} has empty suffix after "
                                   f"{go_quote(prefix)} prefix", spec.at("base"))
    for name, spec in specs:
        merge = str(spec.get("options_schema_merge", ""))
        if merge not in ("", "replace", "by_key"):
            rd.warn(spec.file, f'[providers.{name}] options_schema_merge must be "replace" or "by_key", got '
                               f"{go_quote(merge)}", spec.at("options_schema_merge"))
    for name, spec in specs:
        mode = str(spec.get("prompt_mode", ""))
        if mode not in ("", "arg", "flag", "none"):
            rd.warn(spec.file, f'[providers.{name}] prompt_mode must be "arg", "flag", "none", or empty, got '
                               f"{go_quote(mode)}", spec.at("prompt_mode"))
        if mode == "flag" and not str(spec.get("prompt_flag", "")):
            rd.warn(spec.file, f'[providers.{name}] prompt_flag is required when prompt_mode = "flag"',
                    spec.at("prompt_mode"))


def legacy_provider_inheritance_warnings(rd: Reader, city: City) -> None:
    """DetectLegacyProviderInheritance: a provider without `base` whose name (or command) is a
    built-in still inherits from it implicitly, which Gas City will stop doing."""
    for name, spec in sorted(city.provider_specs.items()):
        if "base" in spec.table:
            continue
        command = str(spec.get("command", ""))
        name_match = name in BUILTIN_PROVIDERS
        cmd_match = command if command in BUILTIN_PROVIDERS else ""
        if not name_match and not cmd_match:
            continue
        suggest = name if name_match else cmd_match
        if name_match and cmd_match and cmd_match != name:
            reason = (f"name matches built-in {go_quote(name)} and command {go_quote(command)} matches built-in "
                      f"{go_quote(cmd_match)} (name-match wins)")
        elif name_match:
            reason = f"name matches built-in {go_quote(name)}"
        else:
            reason = f"command {go_quote(command)} matches built-in {go_quote(cmd_match)}"
        rd.warn(spec.file, f"[providers.{name}] relying on legacy auto-inheritance: {reason}. This becomes a hard "
                           f'error in a future release. Fix: add `base = "builtin:{suggest}"` to the provider block. '
                           'If this provider should NOT inherit from the built-in, add `base = ""` to explicitly '
                           "opt out.", spec.field)


DEPRECATED_ATTACHMENTS = (
    "gc: warning: attachment-list fields (`skills`, `mcp`, `skills_append`, `mcp_append`, `shared_skills`) are "
    "deprecated as of v0.15.1 and ignored. They may appear on agents, [agent_defaults], [[patches.agent]], "
    "[[rigs.overrides]], or [[rigs.patches]]. Remove them from your config (or run `gc doctor --fix` once "
    "available). Hard parse error lands in v0.16.")
_ATTACHMENT_KEYS = ("skills", "mcp", "skills_append", "mcp_append")


def deprecated_attachment_warning(rd: Reader, city: City, rig_tables: list[dict]) -> None:
    """WarnDeprecatedAttachmentFields: one warning per load when any agent, `[agent_defaults]`
    or rig override / patch still lists skills or mcp (`rig_tables`: the raw overrides and
    patches of every rig)."""
    defaults = city.sections.get("agent_defaults")
    found = defaults is not None and any(defaults.get(k) for k in ("skills", "mcp"))
    found = found or any(a.extra.get(k) for a in city.agents for k in ("skills", "mcp"))
    found = found or any(t.get(k) for t in rig_tables for k in _ATTACHMENT_KEYS)
    if found:
        rd.warn(city.path, DEPRECATED_ATTACHMENTS)


_AGENTS_ALIAS = ("[agents] is a deprecated compatibility alias for [agent_defaults]; rewrite the table name to "
                 "[agent_defaults]")
_DEFAULTS_OVERLAP = ("provider", "model", "wake_mode", "default_sling_formula", "allow_overlay", "allow_env_override",
                     "append_fragments")


def agents_alias_warnings(rd: Reader, data: dict, file: str) -> None:
    """agentDefaultsCompatibilityWarnings: `[agents]` is the old name of `[agent_defaults]`; with
    both tables setting one key, `[agent_defaults]` wins."""
    alias, canonical = data.get("agents"), data.get("agent_defaults")
    if not isinstance(alias, dict):
        return
    rd.warn(file, _AGENTS_ALIAS, "agents")
    if isinstance(canonical, dict) and any(k in alias and k in canonical for k in _DEFAULTS_OVERLAP):
        rd.warn(file, "both [agent_defaults] and [agents] are present; canonical [agent_defaults] wins for "
                      "overlapping keys", "agents")


# ---------------------------------------------------------------------- namepools
def load_namepool(rd: Reader, a: Agent, city_root: str) -> Agent:
    """Read the agent's namepool file: one name per line, blanks and `#` comments skipped.
    Gas City fails silently (names fall back to `<name>-N`, yet the path alone keeps the
    namepool shape); citywatch does the same and says why in a warning."""
    if not a.namepool:
        return a
    path = a.namepool if os.path.isabs(a.namepool) else os.path.join(city_root, a.namepool)
    file, fp = (a.origin.file, agent_field(a, "namepool"))
    if a.origin.kind == "pack" and os.path.basename(a.namepool) == "namepool.txt" and os.path.isabs(a.namepool):
        file, fp = a.namepool, ""  # auto-wired agents/<name>/namepool.txt: no field to point at
    fallback = f"names fall back to {a.name}-N"

    def fail(why: str) -> Agent:
        msg = f'agent "{a.qualified_name}": namepool {go_quote(a.namepool)} {why}; {fallback}'
        rd.warn(file, msg, fp, source="citywatch")
        return replace(a, namepool_error=msg, namepool_names=())

    shown = os.path.relpath(path, city_root) if path.startswith(city_root + os.sep) else path
    where = f" ({shown})" if shown != a.namepool else ""
    try:
        raw = read_regular(path, CONFIG_MAX_BYTES)
    except FileNotFoundError:
        return fail(f"not found{where}")
    except IsADirectoryError:
        return fail(f"is a directory{where}")
    except UnsafeFileError as e:
        return fail(f"{e.strerror}{where}")
    except OSError as e:
        return fail(f"unreadable ({(e.strerror or str(e)).lower()})")
    if b"\x00" in raw:
        return fail("is a binary file, not a list of names")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return fail("is not UTF-8 text")
    rd.track(path, text)
    names = [s for s in (line.strip() for line in text.split("\n")) if s and not s.startswith("#")]
    if not names:
        return fail("has no names")
    return replace(a, namepool_names=tuple(names), namepool_error="")


# ---------------------------------------------------------------------- gc doctor advisories
DOCTOR_NAMED_ALWAYS_MIN = "gc doctor named-always-min-conflict (advisory): "


def named_always_min_conflicts(city: City) -> list[tuple[Agent, str]]:
    """gc doctor's NamedAlwaysMinConflictCheck (#2762/#2768): every non-suspended agent with
    min_active_sessions > 0 that backs a mode = "always" [[named_session]] gets a duplicate pool
    session beside the named one. Agents in config order; when several always sessions share a
    template, the last one is named (the check keys them by template)."""
    always: dict[str, str] = {}
    for n in city.named_sessions:
        if n.effective_mode == "always":
            always[n.template_qualified] = n.identity
    out: list[tuple[Agent, str]] = []
    for a in city.agents:
        if a.suspended or a.min_count <= 0 or a.qualified_name not in always:
            continue
        out.append((a, f'agent "{a.qualified_name}": min_active_sessions={a.min_count} with named_session '
                       f'"{always[a.qualified_name]}" mode=always; set min_active_sessions=0 to avoid a duplicate '
                       "pool session"))
    return out


def doctor_advisories(rd: Reader, city: City) -> None:
    """The gc doctor checks that read only the config, as warnings at the field to edit. Gas City
    shows them from `gc doctor`, never at load: they never block a start or a reload."""
    for a, detail in named_always_min_conflicts(city):
        rd.warn(a.origin.file, DOCTOR_NAMED_ALWAYS_MIN + detail, agent_field(a, "min_active_sessions"),
                source="citywatch")


# ---------------------------------------------------------------------- deprecated workspace fields
_LEGACY_WORKSPACE = (
    ("start_command", "Use per-agent `start_command` in `agent.toml` instead."),
    ("suspended", "This will move to `.gc/site.toml` in a future release. No action is required now."),
    ("install_agent_hooks", "Set install_agent_hooks per agent in agents/<name>/agent.toml."),
    ("global_fragments", "Use `[agent_defaults] append_fragments` or explicit `{{ template }}` instead."),
)


def legacy_workspace_warnings(rd: Reader, ws: dict, files: dict[str, str], default_file: str) -> None:
    """detectLegacyWorkspaceFields: deprecated `[workspace]` keys, each at the file that set it."""
    for key, suggestion in _LEGACY_WORKSPACE:
        value = ws.get(key)
        defined = key in ws if key == "suspended" else bool(value)
        if defined:
            rd.warn(files.get(key, default_file), f"workspace.{key} is deprecated: {suggestion}", f"workspace.{key}")
