"""Committing a start: what a confirmed start writes to the bead (CommitStartedPatch), used by
start execution and by the heal of a live pending create."""

from __future__ import annotations

from core.config.city_config import Agent
from core.formats.timefmt import format_time, format_time_seconds
from core.reconcile import hashes
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead

CONFIRMING_STATES = ("start-pending", "creating")
# StateConfirmsPendingStart: the states a start commit confirms and opens a new awake interval from
CONFIRMS_PENDING_START = ("", "start-pending", "creating", "asleep", "drained")


def commit_patch(ctx: TickContext, b: SessionBead, a: Agent | None, confirm: bool, clear_claim: bool,
                 starts_interval: bool | None = None) -> dict[str, str]:
    """CommitStartedPatch: clears reset markers, records the agent's hashes, and optionally
    confirms the bead active and clears its pending-create claim. A confirmed start opens a new
    awake interval (awake_started_at) unless `starts_interval` says it does not."""
    patch = {B.CONTINUATION_RESET_PENDING: "", B.RESET_COMMITTED_AT: "",
             B.CREATION_COMPLETE_AT: format_time_seconds(ctx.now)}
    if a is not None:
        patch.update({B.STARTED_CONFIG_HASH: hashes.core_hash(a), B.LIVE_HASH: hashes.live_hash(a),
                      B.STARTED_LIVE_HASH: hashes.live_hash(a), B.CORE_HASH_BREAKDOWN: hashes.breakdown(a),
                      B.STARTED_PROVISION_HASH: hashes.provision_hash(a), B.STARTED_LAUNCH_HASH: hashes.launch_hash(a)})
    if confirm:
        patch.update({B.STATE: "active", B.STATE_REASON: "creation_complete", B.PENDING_CREATE_STARTED_AT: ""})
    opens_interval = confirm if starts_interval is None else starts_interval
    if opens_interval:
        patch[B.AWAKE_STARTED_AT] = format_time(ctx.now)
    if b.get(B.SLEEP_REASON):
        patch[B.SLEEP_REASON] = ""
    if clear_claim:
        patch[B.PENDING_CREATE_CLAIM] = ""
        patch[B.PENDING_CREATE_STARTED_AT] = ""
    return patch


def recover_running_pending_create(ctx: TickContext, b: SessionBead, template: str) -> SessionBead:
    """recoverRunningPendingCreate: a claimed bead whose runtime is already alive (and ours) is
    committed as started. Re-confirming an awake bead keeps its awake interval."""
    state = b.state.strip()
    starts_interval = state in CONFIRMS_PENDING_START
    b = ctx.patch(b.id, commit_patch(ctx, b, ctx.agent(template), starts_interval or state == "awake", True,
                                     starts_interval))
    ctx.decision("reconciler.session.rollback_pending_create", "pending_create_healed", "healed", template,
                 b.session_name)
    return b
