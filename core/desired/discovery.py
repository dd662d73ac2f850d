"""Step 7: the discovery overlay (discoverSessionBeadsWithRoots): open beads of configured
templates rejoin the desired set, so scale-down is left to the reconciler."""

from __future__ import annotations

from core.config.model import Agent
from core.desired.context import BuildContext, is_manual_for, manual_identity
from core.desired.model import DesiredEntry, Why
from core.desired.realize import bead_stale_suffixed, shape_why
from core.desired.slots import existing_slot
from core.identity import canonical_singleton, request_identity
from core.timefmt import parse_time
from core.world import beads as B
from core.world.beads import SessionBead

PRESERVABLE_STATES = frozenset({"", "active", "awake", "start-pending", "creating", "asleep", "stopped", "suspended",
                                "quarantined"})


def ephemeral_for(ctx: BuildContext, a: Agent, b: SessionBead) -> bool:
    if b.origin == "ephemeral":
        return True
    return ctx.sie(a) and existing_slot(a, b, ctx.semantics) > 0


def canonical_identity(ctx: BuildContext, a: Agent, b: SessionBead) -> str:
    """canonicalSessionIdentity: named -> its identity; singleton -> QN; stamped slot ->
    instance identity; unstamped -> QN."""
    if b.is_named:
        return b.get(B.CONFIGURED_NAMED_IDENTITY) or a.qualified_name
    if canonical_singleton(a, ctx.semantics):
        return a.qualified_name
    slot = existing_slot(a, b, ctx.semantics)
    if slot > 0:
        return request_identity(a, slot, ctx.semantics)[0]
    return a.qualified_name


def has_canonical_singleton_entry(ctx: BuildContext, a: Agent) -> bool:
    if not canonical_singleton(a, ctx.semantics):
        return False
    qn = a.qualified_name
    return any(e.template == qn and (e.dependency_only or e.identity == qn or e.alias == qn)
               for e in ctx.result.entries.values())


def discover(ctx: BuildContext) -> None:
    res = ctx.result
    desired_templates = {e.template for e in res.entries.values()}
    named_templates = {e.template for e in res.entries.values() if e.named_identity}
    for b in ctx.store.open_sessions():
        sn = b.session_name
        if not sn or b.failed_create:
            continue
        qn = ctx.template_of(b)
        if not qn:
            continue
        a = ctx.agent(qn)
        if a is None or ctx.in_suspended_rig(a):
            continue
        res.roots.add(qn)
        already = sn in res.entries
        partial_tpl = qn in res.partial_templates
        preservable = b.state in PRESERVABLE_STATES or (b.pool_managed and b.pending_claim)
        manual = is_manual_for(a, b)
        if (not already and not manual and not b.is_named and has_canonical_singleton_entry(ctx, a)
                and bead_stale_suffixed(a, b)):
            continue
        if not b.is_manual and not b.is_named and not b.pool_managed and qn in named_templates:
            continue
        if ephemeral_for(ctx, a, b):
            creating = b.state in ("creating", "start-pending")
            pending = b.pool_managed and b.pending_claim
            managed = b.get(B.POOL_MANAGED) == "true" or bool(b.get(B.POOL_SLOT)) or pending
            tpl_desired = qn in desired_templates
            if managed and b.drained:
                continue
            if managed and not manual and not b.is_named and not already and canonical_singleton(a, ctx.semantics) \
                    and has_canonical_singleton_entry(ctx, a):
                continue
            partial_alive = partial_tpl and (pending or (not creating and preservable))
            if managed and not manual and not b.is_named and not already and not tpl_desired and not partial_alive:
                continue
            if not manual and (not creating or stale_creating(ctx, b)) and not tpl_desired and not pending \
                    and not (partial_tpl and preservable):
                continue
        if already:
            continue
        why = [shape_why(ctx, a)]
        if manual:
            identity = manual_identity(a, b)
            alias = b.alias
            why.append(Why("shape.manual", "manual session keeps its own identity"))
            source = "manual"
        else:
            identity = canonical_identity(ctx, a, b)
            alias = identity
            source = "discovered"
        if ephemeral_for(ctx, a, b):
            if not manual or not b.alias:
                alias = ""
            if not manual:
                identity = sn
        why.append(Why("demand.discovered" if source == "discovered" else "demand.manual",
                       "an open bead of a configured template rejoins the desired set "
                       "(the reconciler decides whether it stays awake)"))
        if partial_tpl:
            why.append(Why("demand.partial_retained", f"scale_check for {qn} failed; its sessions are retained"))
        env = {"GC_TEMPLATE": qn, "GC_ALIAS": alias, "GC_AGENT": alias or sn,
               "GC_SESSION_ORIGIN": "manual" if manual else ("named" if b.is_named else "ephemeral"),
               "GC_SESSION_NAME": sn, "GC_SESSION_ID": b.id}
        res.entries[sn] = DesiredEntry(
            session_name=sn, template=qn, identity=identity, alias=alias, pool_slot=0, source=source, bead_id=b.id,
            named_identity=b.get(B.CONFIGURED_NAMED_IDENTITY) if b.is_named else "",
            named_mode=b.get(B.CONFIGURED_NAMED_MODE) if b.is_named else "", manual=manual,
            dependency_only=b.dependency_only, env=env, why=why)
        desired_templates.add(qn)


def stale_creating(ctx: BuildContext, b: SessionBead) -> bool:
    anchor = parse_time(b.get(B.PENDING_CREATE_STARTED_AT)) or b.created_at
    return (ctx.now - anchor).total_seconds() > 60
