"""Which keys Gas City's config structs accept, and of what type (from its toml tags).

Used for unknown-key warnings (city.toml), unknown-key errors (pack.toml) and type errors
(which Gas City's TOML decoder makes fatal).
"""

from __future__ import annotations

import difflib

STR, INT, BOOL, LIST, TABLE, ANY, DUR = "string", "integer", "boolean", "array", "table", "any", "duration"

AGENT_FIELDS: dict[str, str] = {
    **{k: STR for k in (
        "name description dir work_dir tmux_alias scope prompt_template nudge session provider "
        "upstream start_command lifecycle prompt_mode prompt_flag ready_prompt_prefix scale_check "
        "on_boot on_death namepool work_query sling_query session_setup_script overlay_dir "
        "default_sling_formula wake_mode mouse_mode resume_command"
    ).split()},
    **{k: DUR for k in "drain_timeout idle_timeout max_session_age max_session_age_jitter sleep_after_idle".split()},
    **{k: INT for k in "max_active_sessions min_active_sessions assigned_work_defer_limit ready_delay_ms".split()},
    **{k: BOOL for k in "suspended attach emits_permission_warning hooks_installed inject_assigned_skills".split()},
    **{k: LIST for k in (
        "pre_start args process_names depends_on session_setup session_live inject_fragments "
        "append_fragments skills mcp install_agent_hooks"
    ).split()},
    **{k: TABLE for k in "env option_defaults".split()},
}
# Stale but harmless in agent.toml; a [pool] table in city.toml is an unknown field.
AGENT_OVERRIDE_FIELDS: dict[str, str] = {
    **{k: v for k, v in AGENT_FIELDS.items() if k not in ("name", "description")},
    "agent": STR,
    "pool": TABLE,
    "env_remove": LIST,
    **{k: LIST for k in (
        "pre_start_append session_setup_append session_live_append install_agent_hooks_append "
        "skills_append mcp_append inject_fragments_append"
    ).split()},
}
AGENT_PATCH_FIELDS = {**AGENT_OVERRIDE_FIELDS, "name": STR}
NAMED_SESSION_FIELDS = {k: STR for k in "name template scope dir mode".split()}
IMPORT_FIELDS = {"source": STR, "version": STR, "export": BOOL, "transitive": BOOL, "shadow": STR}
RIG_FIELDS: dict[str, str] = {
    **{k: STR for k in "name path prefix default_branch formulas_dir default_sling_target dolt_host".split()},
    **{k: BOOL for k in "suspended suspended_on_start".split()},
    "max_active_sessions": INT,
    "dolt_port": ANY,
    "includes": LIST,
    "default_sling_targets": LIST,
    "imports": TABLE,
    "overrides": LIST,
    "patches": LIST,
    "session_sleep": TABLE,
    "formula_vars": TABLE,
}
WORKSPACE_FIELDS: dict[str, str] = {
    **{k: STR for k in "name prefix provider timezone start_command session_template".split()},
    **{k: BOOL for k in "suspended suspended_on_start".split()},
    "max_active_sessions": INT,
    **{k: LIST for k in "install_agent_hooks global_fragments includes default_rig_includes".split()},
    "env": TABLE,
}
DAEMON_FIELDS: dict[str, str] = {
    **{k: DUR for k in (
        "patrol_interval restart_window session_circuit_breaker_window "
        "session_circuit_breaker_reset_after shutdown_timeout dolt_stop_timeout "
        "dolt_start_address_in_use_retry_window wisp_gc_interval wisp_ttl drift_drain_timeout "
        "start_ready_timeout tick_debounce"
    ).split()},
    **{k: INT for k in (
        "max_restarts session_circuit_breaker_max_restarts probe_concurrency max_wakes_per_tick "
        "auto_reap_closed_bead_worktrees_min_age_minutes"
    ).split()},
    **{k: BOOL for k in (
        "formula_v2 graph_workflows session_circuit_breaker nudge_dispatcher auto_restart_on_drift "
        "auto_reap_closed_bead_worktrees auto_reap_closed_bead_worktrees_dry_run auto_prune_worker_dir"
    ).split()},
    "observe_paths": LIST,
}
SESSION_FIELDS: dict[str, str] = {
    "provider": STR, "socket": STR, "remote_match": STR,
    "k8s": TABLE, "acp": TABLE,
    **{k: DUR for k in (
        "setup_timeout setup_max_timeout nudge_ready_timeout nudge_retry_interval "
        "nudge_poll_interval nudge_lock_timeout startup_timeout progress_stall_timeout "
        "claim_holder_stall_timeout"
    ).split()},
    "debounce_ms": INT, "display_ms": INT,
}
CHAT_FIELDS = {"idle_timeout": DUR, "grace_period": DUR}
SLEEP_FIELDS = {k: DUR for k in ("interactive_resume", "interactive_fresh", "noninteractive")}

CITY_TOP: dict[str, str] = {
    "include": LIST, "workspace": TABLE, "providers": TABLE, "upstreams": TABLE, "packs": TABLE,
    "imports": TABLE, "defaults": TABLE, "agent": LIST, "named_session": LIST, "rigs": LIST,
    "patches": TABLE, "storage": TABLE, "beads": TABLE, "session": TABLE, "mail": TABLE,
    "events": TABLE, "usage": TABLE, "dolt": TABLE, "formulas": TABLE, "daemon": TABLE,
    "orders": TABLE, "api": TABLE, "chat_sessions": TABLE, "session_sleep": TABLE,
    "convergence": TABLE, "doctor": TABLE, "maintenance": TABLE, "service": LIST,
    "webhook": ANY, "webhooks": ANY, "github": TABLE, "extmsg": TABLE, "agent_defaults": TABLE,
    "agents": TABLE, "pricing": ANY,
}
PACK_TOP: dict[str, str] = {
    "pack": TABLE, "imports": TABLE, "agent_defaults": TABLE, "agents": TABLE, "defaults": TABLE,
    "agent": LIST, "named_session": LIST, "service": LIST, "webhook": ANY, "providers": TABLE,
    "upstreams": TABLE, "runtimes": ANY, "formulas": TABLE, "patches": TABLE, "doctor": ANY,
    "commands": ANY, "global": TABLE, "pricing": ANY,
}
PACK_META_FIELDS = {
    "name": STR, "version": STR, "schema": INT, "requires_gc": STR, "description": STR,
    "includes": LIST, "requires": LIST,
}
PATCHES_FIELDS = {"agent": LIST, "named_session": LIST, "rigs": LIST, "providers": LIST, "github_pr_monitor": ANY}
NAMED_PATCH_FIELDS = {"dir": STR, "name": STR, "template": STR, "mode": STR}


def suggest(key: str, known) -> str:
    """Gas City's "(did you mean ...)" hint: the closest known key within edit distance 2."""
    best, best_d = "", 3
    for k in known:
        d = _distance(key, k)
        if d < best_d:
            best, best_d = k, d
    return f' (did you mean "{best}"?)' if best else ""


def _distance(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 2:
        return 3
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def type_name(value) -> str:
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
    if kind == ANY:
        return True
    if kind in (STR, DUR):
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, list)
    if kind == TABLE:
        return isinstance(value, dict)
    return True


__all__ = [n for n in dir() if n.isupper()] + ["suggest", "type_name", "type_ok", "difflib"]
