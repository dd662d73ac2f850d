"""The closed vocabularies of Gas City's session-reconciler trace (schema version 1).

Gas City declares these codes as typed constants; a reader must still accept anything, because
several decision sites pass raw strings through as reason codes (drain and close reasons such as
`no-wake-reason` or `orphaned`). `unknown_codes` tells a reader which values of a record fall
outside the vocabulary so it can say so once, without rejecting the record.
"""

from __future__ import annotations

from collections.abc import Mapping

SCHEMA_VERSION = 1

RECORD_TYPES = frozenset({
    "cycle_start", "cycle_input_snapshot", "batch_commit", "config_reload", "template_tick_summary",
    "template_config_snapshot", "session_baseline", "session_result", "decision", "operation", "mutation",
    "trace_control", "cycle_result",
})

# Record types whose template-scoped rows are "detail": kept only for armed templates.
DETAIL_RECORD_TYPES = frozenset({"decision", "operation", "mutation", "template_config_snapshot"})

TRACE_MODES = frozenset({"baseline", "detail"})
TRACE_SOURCES = frozenset({"always_on", "manual", "auto", "derived_dependency"})
DURABILITY_TIERS = frozenset({"metadata", "durable"})
COMPLETION_STATUSES = frozenset({"completed", "trace_error", "panic_recovered", "aborted"})
COMPLETENESS_STATUSES = frozenset({"complete", "partial_loss", "not_traced", "promotion_partial_context"})
EVALUATION_STATUSES = frozenset({"eligible", "dependency_blocked", "store_partial", "skipped"})
# The declared trigger vocabulary plus the raw strings the runtime also writes.
TICK_TRIGGERS = frozenset({"patrol", "poke", "startup", "reload_followup", "control", "unknown",
                           "startup-poke", "shutdown"})

_SITES = """
bead_metadata config.reload controller.tick.phase cycle.finish cycle.start demand_snapshot.load
desired_state.build lifecycle.drain.advance lifecycle.drain.begin lifecycle.shutdown.preserve_sessions
lifecycle.start.commit lifecycle.start.execute lifecycle.start.prepare orders.dispatch pool_desired.compute
reconciler.drain.cancel reconciler.drain.complete reconciler.drain.stale reconciler.drain.timeout
reconciler.pool.accept reconciler.pool.agent_cap reconciler.pool.inflight_reuse reconciler.pool.min_fill
reconciler.pool.new_demand_cap reconciler.pool.rig_cap reconciler.pool.wake_known_identity
reconciler.pool.workspace_cap reconciler.session.bead_reassign_cycle reconciler.session.circuit_open
reconciler.session.circuit_trip reconciler.session.close_failed_create reconciler.session.close_orphan
reconciler.session.config_drift reconciler.session.drain reconciler.session.drain_ack
reconciler.session.idle_drain reconciler.session.idle_timeout reconciler.session.live_drift
reconciler.session.max_session_age reconciler.session.orphan_or_suspended
reconciler.session.pending_create_preserved reconciler.session.preserve_configured_named
reconciler.session.progress_stall_exempt reconciler.session.provider_health_gate
reconciler.session.reset_stalled reconciler.session.rollback_pending_create
reconciler.session.skip_unknown_state reconciler.session.terminal_provider_error
reconciler.session.wake_decision reconciler.start.execute reconciler.start.failed
reconciler.start.rate_limit_hold reconciler.start.rollback_pending reconciler.start.terminal_provider_error
runtime_meta session_reconcile.awake_set session_reconcile.build_deps session_reconcile.circuit_breaker
session_reconcile.drain_advance session_reconcile.forward_pass session_reconcile.heal_retire
session_reconcile.start_execution session_reconcile.topo_order session_reconcile.wake_sleep
session_snapshot.load session_sync.update_index supervisor.fs_pressure trace.control
trace.scale_check_exec unknown
"""

_REASONS = """
acknowledged agent_cap assigned_work assigned_work_exhausted attached auto_arm_suppressed
blocked_on_dependencies cap circuit_open circuit_trip config_drift config_drift_attached
config_drift_attachment_error config_drift_recently_attached drain_timeout expired fresh_cycle fs_pressure
heal_cleared_stale_lease idle idle_timeout inflight_reuse live_drift max_session_age min_fill
min_floor_idle_worker no_demand no_effective_template_match no_matching_session no_wake_reason orphaned
pending pending_create pending_create_commit_failed pending_create_healed pending_create_rebuild_failed
pending_create_recovery_in_flight pending_create_rollback preserve provider_red quarantine
quarantine_entered rate_limit reset_stalled retained rig_cap scale_check stale_generation start
store_partial store_query_partial suspended template_missing unknown unknown_state_skipped user_hold wake
wake_failure_incremented workspace_cap
"""

_OUTCOMES = """
accepted applied blocked_on_dependencies cancel cancel_assigned_work cancel_pending cancel_reconciler_ack
canceled clear closed complete deadline_exceeded deferred deferred_active deferred_attached deferred_busy
deferred_by_wake_budget deferred_confirm deferred_pending deferred_quarantine deferred_user_hold drain
exempt failed failed_create healed held hold_deferred kept_open low_space_degraded no_change
panic_recovered partial promotion_partial_context provider_error rebaselined_unversioned
rebaselined_version_mismatch rejected relaunch repair_in_place resolution_failed respawn_skipped restart
restart_in_place retry rollback rollback_deferred scheduled session_exists session_exists_converged
session_initializing skipped skipped_liveness_error slow_storage_degraded start_candidate start_enqueued
start_error_converged start_in_flight stop stop_defer_exhausted stop_pending success unhealthy unknown
"""

SITE_CODES = frozenset(_SITES.split())
REASON_CODES = frozenset(_REASONS.split())
OUTCOME_CODES = frozenset(_OUTCOMES.split())

# Sites that hand a raw string (a drain, close or state reason) to the trace as the reason code.
RAW_REASON_SITES = frozenset({
    "reconciler.session.drain", "reconciler.session.orphan_or_suspended", "reconciler.session.close_orphan",
    "reconciler.session.close_failed_create", "reconciler.session.rollback_pending_create",
    "reconciler.session.terminal_provider_error", "reconciler.session.idle_timeout",
    "reconciler.session.max_session_age", "reconciler.drain.complete", "reconciler.drain.cancel",
})

# Reasons and outcomes that make Gas City auto-arm a template's detail trace.
AUTO_ARM_REASONS = frozenset({"pending_create_rollback", "wake_failure_incremented", "quarantine_entered",
                              "store_partial", "config_drift", "unknown_state_skipped"})
AUTO_ARM_OUTCOMES = frozenset({"failed", "provider_error", "deadline_exceeded"})


def unknown_codes(rec: Mapping) -> list[tuple[str, str]]:
    """The (field, value) pairs of `rec` that fall outside the vocabulary, in a fixed order:
    record_type, site_code, reason_code (unless the site passes raw reasons), outcome_code."""
    out: list[tuple[str, str]] = []
    rtype = rec.get("record_type")
    if isinstance(rtype, str) and rtype not in RECORD_TYPES:
        out.append(("record_type", rtype))
    site = rec.get("site_code") or ""
    if not isinstance(site, str):
        site = ""
    if isinstance(site, str) and site and site not in SITE_CODES:
        out.append(("site_code", site))
    reason = rec.get("reason_code") or ""
    if isinstance(reason, str) and reason and reason not in REASON_CODES and site not in RAW_REASON_SITES:
        out.append(("reason_code", reason))
    outcome = rec.get("outcome_code") or ""
    if isinstance(outcome, str) and outcome and outcome not in OUTCOME_CODES:
        out.append(("outcome_code", outcome))
    return out
