"""Which keys Gas City's config structs accept, and of what type (from its toml tags).

Used for unknown-key warnings (city.toml), unknown-key errors (pack.toml) and type errors
(which Gas City's TOML decoder makes fatal).
"""

from __future__ import annotations

import json
from typing import Any

STR, INT, BOOL, LIST, TABLE, ANY, DUR = "string", "integer", "boolean", "array", "table", "any", "duration"
STRLIST, STRMAP, TABLES = "array of strings", "table of strings", "array of tables"

AGENT_FIELDS: dict[str, str] = {
    **{k: STR for k in ["name", "description", "dir", "work_dir", "tmux_alias", "scope", "prompt_template", "nudge", "session", "provider", "upstream", "start_command", "lifecycle", "prompt_mode", "prompt_flag", "ready_prompt_prefix", "scale_check", "on_boot", "on_death", "namepool", "work_query", "sling_query", "session_setup_script", "overlay_dir", "default_sling_formula", "wake_mode", "mouse_mode", "resume_command"]},
    **{k: DUR for k in ["drain_timeout", "idle_timeout", "max_session_age", "max_session_age_jitter", "sleep_after_idle"]},
    **{k: INT for k in ["max_active_sessions", "min_active_sessions", "assigned_work_defer_limit", "ready_delay_ms"]},
    **{k: BOOL for k in ["suspended", "attach", "emits_permission_warning", "hooks_installed", "inject_assigned_skills"]},
    **{k: STRLIST for k in ["pre_start", "args", "process_names", "depends_on", "session_setup", "session_live", "inject_fragments", "append_fragments", "skills", "mcp", "install_agent_hooks"]},
    **{k: STRMAP for k in ["env", "option_defaults"]},
}
# [[patches.agent]] and [[rigs.overrides]]/[[rigs.patches]] (Gas City's AgentPatch/AgentOverride):
# the pointer fields a patch may set. A [pool] table is accepted here (legacy min/max/check)
# though it is an unknown field on an agent in city.toml.
_OVERRIDABLE = ["dir", "work_dir", "tmux_alias", "scope", "suspended", "env", "env_remove", "pre_start", "prompt_template", "session", "provider", "upstream", "args", "start_command", "lifecycle", "nudge", "idle_timeout", "max_session_age", "max_session_age_jitter", "assigned_work_defer_limit", "sleep_after_idle", "install_agent_hooks", "skills", "mcp", "hooks_installed", "inject_assigned_skills", "session_setup", "session_setup_script", "session_live", "overlay_dir", "default_sling_formula", "inject_fragments", "append_fragments", "attach", "depends_on", "resume_command", "wake_mode", "mouse_mode", "max_active_sessions", "min_active_sessions", "scale_check", "option_defaults"]
AGENT_OVERRIDE_FIELDS: dict[str, str] = {
    **{k: AGENT_FIELDS.get(k, STRLIST) for k in _OVERRIDABLE},
    "env_remove": STRLIST,
    "agent": STR,
    "pool": TABLE,
    **{k: STRLIST for k in ["pre_start_append", "session_setup_append", "session_live_append", "install_agent_hooks_append", "skills_append", "mcp_append", "inject_fragments_append"]},
}
AGENT_PATCH_FIELDS = {**{k: v for k, v in AGENT_OVERRIDE_FIELDS.items() if k != "agent"}, "name": STR}
POOL_OVERRIDE_FIELDS = {"min": INT, "max": INT, "check": STR, "drain_timeout": DUR, "on_death": STR, "on_boot": STR}
NAMED_SESSION_FIELDS = {k: STR for k in ["name", "template", "scope", "dir", "mode"]}
IMPORT_FIELDS = {"source": STR, "version": STR, "export": BOOL, "transitive": BOOL, "shadow": STR}
RIG_PATCH_FIELDS = {"name": STR, "path": STR, "prefix": STR, "default_branch": STR, "suspended": BOOL,
                    "suspended_on_start": BOOL, "formula_vars": STRMAP}
RIG_FIELDS: dict[str, str] = {
    **{k: STR for k in ["name", "path", "prefix", "default_branch", "formulas_dir", "default_sling_target", "dolt_host", "dolt_port"]},
    **{k: BOOL for k in ["suspended", "suspended_on_start"]},
    "max_active_sessions": INT,
    "includes": STRLIST,
    "default_sling_targets": STRLIST,
    "imports": TABLE,
    "overrides": TABLES,
    "patches": TABLES,
    "session_sleep": TABLE,
    "formula_vars": STRMAP,
}
WORKSPACE_FIELDS: dict[str, str] = {
    **{k: STR for k in ["name", "prefix", "provider", "timezone", "start_command", "session_template"]},
    **{k: BOOL for k in ["suspended", "suspended_on_start"]},
    "max_active_sessions": INT,
    **{k: STRLIST for k in ["install_agent_hooks", "global_fragments", "includes", "default_rig_includes"]},
    "env": STRMAP,
}
DAEMON_FIELDS: dict[str, str] = {
    **{k: DUR for k in ["patrol_interval", "restart_window", "session_circuit_breaker_window", "session_circuit_breaker_reset_after", "shutdown_timeout", "dolt_stop_timeout", "dolt_start_address_in_use_retry_window", "wisp_gc_interval", "wisp_ttl", "drift_drain_timeout", "start_ready_timeout", "tick_debounce"]},
    **{k: INT for k in ["max_restarts", "session_circuit_breaker_max_restarts", "probe_concurrency", "max_wakes_per_tick", "auto_reap_closed_bead_worktrees_min_age_minutes"]},
    **{k: BOOL for k in ["formula_v2", "graph_workflows", "session_circuit_breaker", "auto_restart_on_drift", "auto_reap_closed_bead_worktrees", "auto_reap_closed_bead_worktrees_dry_run", "auto_prune_worker_dir"]},
    "nudge_dispatcher": STR,
    "observe_paths": STRLIST,
}
SESSION_FIELDS: dict[str, str] = {
    "provider": STR, "socket": STR, "remote_match": STR,
    "k8s": TABLE, "acp": TABLE,
    **{k: DUR for k in ["setup_timeout", "setup_max_timeout", "nudge_ready_timeout", "nudge_retry_interval", "nudge_poll_interval", "nudge_lock_timeout", "startup_timeout", "progress_stall_timeout", "claim_holder_stall_timeout"]},
    "debounce_ms": INT, "display_ms": INT,
}
CHAT_FIELDS = {"idle_timeout": DUR, "grace_period": DUR}
SLEEP_FIELDS = {k: DUR for k in ("interactive_resume", "interactive_fresh", "noninteractive")}

CITY_TOP: dict[str, str] = {
    "include": STRLIST, "workspace": TABLE, "providers": TABLE, "upstreams": TABLE, "packs": TABLE,
    "imports": TABLE, "defaults": TABLE, "agent": TABLES, "named_session": TABLES, "rigs": TABLES,
    "patches": TABLE, "storage": TABLE, "beads": TABLE, "session": TABLE, "mail": TABLE,
    "events": TABLE, "usage": TABLE, "dolt": TABLE, "formulas": TABLE, "daemon": TABLE,
    "orders": TABLE, "api": TABLE, "chat_sessions": TABLE, "session_sleep": TABLE,
    "convergence": TABLE, "doctor": TABLE, "maintenance": TABLE, "service": TABLES,
    "webhook": TABLES, "webhooks": TABLE, "github": TABLE, "extmsg": TABLE, "agent_defaults": TABLE,
    "agents": TABLE, "pricing": TABLES,
}
PACK_TOP: dict[str, str] = {
    "pack": TABLE, "imports": TABLE, "agent_defaults": TABLE, "agents": TABLE, "defaults": TABLE,
    "agent": TABLES, "named_session": TABLES, "service": TABLES, "webhook": TABLES, "providers": TABLE,
    "upstreams": TABLE, "runtimes": TABLE, "formulas": TABLE, "patches": TABLE, "doctor": TABLES,
    "commands": TABLES, "global": TABLE, "pricing": TABLES,
}
PACK_META_FIELDS = {
    "name": STR, "version": STR, "schema": INT, "requires_gc": STR, "description": STR,
    "includes": STRLIST, "requires": TABLES,
}
PATCHES_FIELDS = {"agent": TABLES, "named_session": TABLES, "rigs": TABLES, "providers": TABLES,
                  "github_pr_monitor": TABLES}
NAMED_PATCH_FIELDS = {"dir": STR, "name": STR, "template": STR, "mode": STR}


def suggest(key: str, known) -> str:
    """A "(did you mean ...)" hint: the closest of `known` within edit distance 2; of equally
    close ones the first in sorted order, so the hint never depends on a set's order."""
    best, best_d = "", 3
    for k in sorted(known):
        d = edit_distance(key, k, limit=3)
        if d < best_d:
            best, best_d = k, d
    return f' (did you mean "{best}"?)' if best else ""


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; with `limit`, any distance >= limit may come back as `limit`."""
    if limit is not None and abs(len(a) - len(b)) >= limit:
        return limit
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def type_name(value) -> str:
    """The TOML type name of a parsed value ("string", "table", ...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def type_ok(kind: str, value) -> bool:
    """True if the value has the type the schema kind expects; unknown kinds accept anything."""
    if kind == ANY:
        return True
    if kind in (STR, DUR):
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind in (LIST, STRLIST):
        return isinstance(value, list)
    if kind == TABLES:
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind in (TABLE, STRMAP):
        return isinstance(value, dict)
    return True


def expected(kind: str) -> str:
    """`expected a string`, `expected an integer`, `expected a duration string (Go form, ...)`."""
    if kind == DUR:
        return 'expected a duration string (Go form, e.g. "90s", "5m", "1h30m")'
    article = "an" if kind[0] in "aeiou" else "a"
    return f"expected {article} {kind}"


__all__ = [n for n in dir() if n.isupper()] + ["suggest", "edit_distance", "type_name", "type_ok", "expected"]


def toml_repr(value: Any) -> str:
    """A value as TOML would spell it (`true`, `"3"`, `[1, 2]`, `{ a = 1 }`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_repr(v)}" for k, v in value.items()) + " }" if value else "{}"
    return str(value)


def short(value: Any) -> str:
    """The value in TOML form, cut to 40 characters with "..." when longer."""
    s = toml_repr(value)
    return s if len(s) <= 40 else s[:37] + "..."
