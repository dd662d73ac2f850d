"""Forward-pass step 3: a bead whose session_name is not in the desired set (orphaned,
suspended, retired, or a create that never landed). Handled before heal and stability so
leaving the desired set is never mistaken for a crash."""

from __future__ import annotations

from core.desired.entries import DesiredEntry, Why
from core.formats.timefmt import parse_time
from core.identity import session_name_for
from core.reconcile import drain_ack, drains, exits_check
from core.reconcile.context import TickContext
from core.reconcile.heal import heal_patch
from core.reconcile.lease import (
    lease_active,
    lease_expired_for_rollback,
    start_requested,
    within_spawn_claim_grace,
)
from core.reconcile.rollback import rollback_pending_create
from core.world import beads as B
from core.world.beads import SessionBead

NAMED_SUSPEND_CONFIRM_TICKS = 2


def configured_names(ctx: TickContext) -> set[str]:
    """configuredSessionNamesWithSnapshot: runtime names of every [[named_session]] (and of their
    canonical beads). A named session whose backing template is missing stays configured (Gas
    City's loader only warns that it is disabled), so its bead leaves as `suspended`, never
    `orphaned`."""
    names = set(ctx.named_by_runtime)
    names |= {session_name_for(ctx.city, n.identity) for n in ctx.city.disabled_named_sessions}
    for b in ctx.open_beads():
        if b.is_named and ctx.city.named_by_identity(b.get(B.CONFIGURED_NAMED_IDENTITY).strip()) is not None:
            names.add(b.session_name)
    return names


def preserved_named(ctx: TickContext, b: SessionBead) -> DesiredEntry | None:
    """preserveConfiguredNamedSessionBead: a named bead whose spec still exists under the
    same runtime name keeps its identity (returned as a synthetic desired entry). The identity is
    read trimmed (namedSessionIdentity) before it is looked up in the config."""
    if not b.is_named:
        return None
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
    spec = ctx.city.named_by_identity(identity) if identity else None
    if spec is None or b.session_name.strip() != session_name_for(ctx.city, spec.identity):
        return None
    state = b.state.strip()
    if state == "failed-create":
        return None
    if state == "stopped" and not b.get(B.SLEEP_REASON).strip():
        woke = parse_time(b.get(B.LAST_WOKE_AT))
        if woke is None or (ctx.now - woke).total_seconds() >= 60:
            return None
    mode = spec.effective_mode
    return DesiredEntry(session_name=b.session_name, template=spec.template_qualified, identity=identity,
                        alias=identity, pool_slot=0, source="named-always" if mode == "always" else "named-on-demand",
                        bead_id=b.id, named_identity=identity, named_mode=mode,
                        why=[Why("shape.named", "preserved configured named session")])


def still_leased(ctx: TickContext, b: SessionBead) -> bool:
    """pendingCreateSessionStillLeased: a live claim lease or a start request, agent not
    suspended."""
    a = ctx.agent_of(b)
    if b.pending_claim:
        if not lease_active(b, ctx.now, ctx.startup_timeout):
            return False
        return not (a is not None and a.suspended)
    if not start_requested(b, ctx.now):
        return False
    return a is not None and not a.suspended


def _rollback_expired_lease(ctx: TickContext, b: SessionBead, tpl: str, provider_alive: bool) -> bool:
    """A pending create whose lease expired with no runtime is rolled back (a rate-limit screen
    holds it instead). True when the bead is done for this tick."""
    if ctx.store_partial or provider_alive or not b.pending_claim or \
            not lease_expired_for_rollback(b, ctx.now, ctx.startup_timeout):
        return False
    if exits_check.rate_limit_hold(ctx, b, False):  # no runtime: a live one returned above
        return True
    # Gas City rolls a configured named session's claim back with rollbackPendingCreateClearingClaim,
    # which writes the store exactly as rollbackPendingCreate does and differs only in what it mirrors
    # onto the tick's bead snapshot; the model reads the store itself, so one rollback serves both.
    rollback_pending_create(ctx, b, tpl, "pending_create_lease_expired", "lease expired and no live runtime")
    return True


def _failed_create_done(ctx: TickContext, b: SessionBead, tpl: str, name: str, provider_alive: bool) -> bool:
    """A failed create is kept while its claim is still leased, else closed once no runtime is
    left (not at boot, on a partial read or with reachable open work). True when done."""
    if not b.failed_create:
        return False
    if b.pending_claim and still_leased(ctx, b):
        ctx.decision("reconciler.session.pending_create_preserved", "pending_create", "kept_open", tpl, name,
                     state=b.state)
        return True
    if provider_alive:
        return False
    ctx.decision("reconciler.session.close_failed_create", "failed-create", "closed", tpl, name)
    if not ctx.boot and not ctx.store_partial and not ctx.has_reachable_open_work(b):
        ctx.close(b.id, "failed-create")
    return True


def _undesired_drain_ack(ctx: TickContext, b: SessionBead, tpl: str, name: str, provider_alive: bool) -> None:
    """An undesired session that acknowledged its drain: deferred on a partial read, cancelled
    for assigned work, stopped while alive, finalized once gone."""
    if ctx.store_partial:
        ctx.log(f"Skipping drain-ack stop for '{name}': store query partial (transient failure)")
        ctx.decision("reconciler.session.drain_ack", "store_query_partial", "deferred", tpl, name,
                     store_query_partial=True, provider_alive=provider_alive)
        return
    ack_reason = drains.assigned_work_cancel_reason(ctx, b)
    if provider_alive and ctx.has_awake_work(b) and (
            drains.cancel_if(ctx, b, drains.assigned_work_cancelable)
            or drains.cancel_recovered_ack(ctx, b, drains.assigned_work_cancelable)):
        drains.clear_ack_meta(ctx, name)
        ctx.log(f"Canceled drain-acked session '{name}' (assigned work)")
        ctx.decision("reconciler.drain.cancel", ack_reason, "cancel_assigned_work", tpl, name)
        return
    if provider_alive:
        if drain_ack.mark_stop_pending(ctx, b):
            drain_ack.queue_async_stop(ctx, ctx.store.reread(b.id))
            ctx.decision("reconciler.session.drain_ack", "orphaned", "stop_pending", tpl, name)
        return
    drain_ack.finalize(ctx, b, tpl, True)


def _drain_live_undesired(ctx: TickContext, b: SessionBead, tpl: str, name: str, reason: str) -> None:
    """A live orphaned or suspended session is drained, unless it is in its spawn-claim grace,
    has live assigned work, or is a named session whose absence is not yet confirmed."""
    if reason == "orphaned" and within_spawn_claim_grace(b, ctx.now, ctx.startup_timeout):
        ctx.decision("reconciler.session.orphan_or_suspended", reason, "kept_open", tpl, name,
                     provider_alive=True, spawn_claim_grace=True)
        return
    if ctx.has_open_work(b):
        ctx.decision("reconciler.session.orphan_or_suspended", reason, "kept_open", tpl, name,
                     provider_alive=True, live_assigned_work=True)
        ctx.log(f"Skipping drain for '{name}': live assigned work found")
        return
    if b.is_named:
        n = ctx.mem.named_absence.get(b.id, 0) + 1
        ctx.mem = ctx.mem.set("named_absence", b.id, n)
        if n < NAMED_SUSPEND_CONFIRM_TICKS:
            ctx.decision("reconciler.session.orphan_or_suspended", reason, "deferred_confirm", tpl, name,
                         confirm_ticks=n, confirm_required=NAMED_SUSPEND_CONFIRM_TICKS)
            return
    if drains.begin_drain(ctx, b, reason):
        ctx.decision("reconciler.session.orphan_or_suspended", reason, "drain", tpl, name, provider_alive=True)


def handle_undesired(ctx: TickContext, b: SessionBead, names: set[str]) -> DesiredEntry | None:
    """Returns a synthetic entry when a configured named bead is preserved (the caller then
    continues as if desired); None when the bead is done for this tick."""
    name = b.session_name.strip()
    tpl = ctx.template_of(b)
    provider_alive = ctx.running(name)
    if _rollback_expired_lease(ctx, b, tpl, provider_alive):
        return None
    preserved = preserved_named(ctx, b)
    if preserved is not None:
        ctx.mem = ctx.mem.drop("named_absence", b.id)
        if exits_check.rate_limit_hold(ctx, b, ctx.alive(name)):
            ctx.decision("reconciler.session.preserve_configured_named", "rate_limit", "held", tpl, name,
                         provider_alive=provider_alive)
            return None
    if _failed_create_done(ctx, b, tpl, name, provider_alive):
        return None
    patch = heal_patch(b, provider_alive, ctx.now, ctx.startup_timeout, rollback_available=not ctx.store_partial)
    if patch:
        b = ctx.patch(b.id, patch)
    if preserved is not None:
        ctx.decision("reconciler.session.preserve_configured_named", "preserve", "kept_open", tpl, name,
                     provider_alive=provider_alive)
        return preserved
    if still_leased(ctx, b):
        ctx.decision("reconciler.session.pending_create_preserved", "pending_create", "kept_open", tpl, name,
                     state=b.state, provider_alive=provider_alive)
        return None
    if drains.acked(ctx, name):
        _undesired_drain_ack(ctx, b, tpl, name, provider_alive)
        return None
    reason = "suspended" if name in names else "orphaned"
    if provider_alive and ctx.store_partial:
        ctx.log(f"Skipping drain for '{name}': store query partial (transient failure)")
        return None
    if provider_alive:
        _drain_live_undesired(ctx, b, tpl, name, reason)
        return None
    ctx.decision("reconciler.session.close_orphan", reason, "closed", tpl, name)
    if ctx.boot or ctx.store_partial or ctx.has_reachable_open_work(b):
        return None
    ctx.close_unassigned(b, reason, reachable_only=True)
    return None
