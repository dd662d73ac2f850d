"""Step 7: the discovery overlay (discoverSessionBeadsWithRoots). Open beads of configured
templates rejoin the desired set so the reconciler, not the build, decides their fate; every
such bead's template becomes a dependency-floor root.

Controller-created pool capacity is only rediscovered while its template has desired entries
(scale-down is the reconciler's job), never when drained, and never as a stale duplicate beside
a canonical singleton that is already desired.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config.city_config import Agent
from core.desired.context import (
    BuildContext,
    controller_managed,
    is_manual_for,
    session_qualified_name,
)
from core.desired.entries import DesiredEntry, Why
from core.desired.realize import base_env, bead_stale_suffixed, shape_why
from core.desired.slots import existing_slot, raw_existing_slot
from core.formats.goduration import go_quote
from core.formats.timefmt import parse_time
from core.identity import request_identity
from core.world import beads as B
from core.world.beads import SessionBead

PRESERVABLE_STATES = frozenset({"", "active", "awake", "start-pending", "creating", "asleep", "stopped", "suspended",
                                "quarantined"})
STALE_CREATING_SECONDS = 60.0


def ephemeral_for(ctx: BuildContext, a: Agent, b: SessionBead) -> bool:
    """isEphemeralSessionInfoForAgent: ephemeral origin, or an expanding template's non-named,
    non-manual bead that holds a pool slot."""
    
    if b.is_ephemeral:
        return True
    if not ctx.supports_instance_expansion(a) or b.is_named or b.is_manual:
        return False
    return raw_existing_slot(a, b, ctx.semantics) > 0


def canonical_identity(ctx: BuildContext, a: Agent, b: SessionBead) -> str:
    """canonicalSessionIdentity: named -> its configured identity; canonical singleton -> QN;
    stamped slot -> the instance identity; unstamped -> QN."""
    if b.is_named:
        return b.get(B.CONFIGURED_NAMED_IDENTITY).strip() or a.qualified_name
    if ctx.uses_canonical_singleton(a):
        return a.qualified_name
    slot = existing_slot(ctx, a, b)
    if slot > 0:
        return request_identity(a, slot, ctx.semantics)[0]
    return a.qualified_name


def has_canonical_singleton_entry(ctx: BuildContext, a: Agent) -> bool:
    """desiredHasCanonicalNonExpandingPoolSession."""
    if not ctx.uses_canonical_singleton(a):
        return False
    qn = a.qualified_name
    return any(e.dependency_only or e.identity == qn or e.alias == qn for e in ctx.result.entries.of_template(qn))


def preservable(b: SessionBead) -> bool:
    """scaleCheckPartialSessionPreservableInfo: a non-terminal bead a partial read must keep (or a
    pool create still holding its pending claim)."""
    return b.state.strip() in PRESERVABLE_STATES or (b.pool_managed and b.pending_claim)


def stale_creating(ctx: BuildContext, b: SessionBead) -> bool:
    """isStaleCreatingInfo: a minute has passed since pending_create_started_at (else creation)."""
    anchor = parse_time(b.get(B.PENDING_CREATE_STARTED_AT)) or b.created_at
    return (ctx.now - anchor).total_seconds() >= STALE_CREATING_SECONDS


def discover(ctx: BuildContext) -> None:
    """Add rediscovered beads to the desired set and record every bead's template as a root
    (the loop of discoverSessionBeadsWithRoots)."""
    res = ctx.result
    desired_templates = {e.template for e in res.entries.values()}
    named_templates = {e.template for e in res.entries.values() if e.named_identity}
    # A rediscovered bead is never a configured named session in desired state (its
    # [[named_session]] would have claimed it in the named pass); its identity still follows
    # canonicalSessionIdentity.
    for b in ctx.store.open_sessions():
        sn = b.session_name
        if not sn or b.failed_create:
            continue
        already = sn in res.entries
        qn = ctx.template_of(b)
        if not qn:
            continue
        a = ctx.find_agent_by_template(qn)
        if a is None or ctx.in_suspended_rig(a):
            continue
        res.roots.add(qn)
        facts = _facts_for(ctx, a, b)
        if not _rejoins(ctx, a, b, qn, facts, already=already, desired_templates=desired_templates,
                        named_templates=named_templates):
            continue
        if already:
            continue
        if ctx.refuse_transport(a, f"bead {b.id} template {go_quote(qn)}"):
            continue
        res.entries[sn] = _rediscovered_entry(ctx, a, b, qn, manual=facts.manual, eph=facts.eph)
        desired_templates.add(qn)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What discovery asks of an open bead that depends on nothing but the bead, its agent, the
    config and the semantics."""

    manual: bool  # isManualSessionInfoForAgent
    eph: bool  # isEphemeralSessionInfoForAgent
    named: bool
    plain: bool  # neither manual (as stored) nor named nor pool-managed
    managed: bool  # controller_managed
    drained: bool
    creating: bool  # creating or start-pending
    pending: bool  # a pool create still holding its pending claim
    preservable: bool


def _facts_for(ctx: BuildContext, a: Agent, b: SessionBead) -> _Facts:
    """The bead's _Facts for agent `a`, kept with the bead's facts across passes and ticks (each
    refresh pass asks them of every open bead again)."""
    return ctx.kept_for_agent("discover.facts", a, b, lambda: _Facts(
        manual=is_manual_for(a, b), eph=ephemeral_for(ctx, a, b), named=b.is_named,
        plain=not b.is_manual and not b.is_named and not b.pool_managed, managed=controller_managed(b),
        drained=b.drained, creating=b.state in ("creating", "start-pending"), pending=b.pool_managed and b.pending_claim,
        preservable=preservable(b)))


def _rejoins(ctx: BuildContext, a: Agent, b: SessionBead, qn: str, f: _Facts, *, already: bool,
             desired_templates: set[str], named_templates: set[str]) -> bool:
    """Whether this open bead of a configured template may rejoin the desired set: not a stale
    suffixed duplicate of a desired canonical singleton, not a leaked plain bead beside the
    configured named session, and (ephemeral capacity) only while its template is wanted."""
    manual, named = f.manual, f.named
    if not already and not manual and not named and has_canonical_singleton_entry(ctx, a) \
            and bead_stale_suffixed(ctx, a, b):
        return False
    if f.plain and qn in named_templates:
        return False  # leaked plain bead beside the configured named session: the reconciler closes it
    if not f.eph:
        return True
    partial_templates = ctx.result.partial_templates
    partial = qn in partial_templates and f.preservable
    managed = f.managed
    template_desired = qn in desired_templates
    if managed and f.drained:
        return False
    if managed and not manual and not named and not already and ctx.uses_canonical_singleton(a) \
            and has_canonical_singleton_entry(ctx, a):
        return False
    partial_alive = qn in partial_templates and (f.pending or (not f.creating and f.preservable))
    if managed and not manual and not named and not already and not template_desired and not partial_alive:
        return False
    return not (not manual and (not f.creating or stale_creating(ctx, b)) and not template_desired and not f.pending
                and not partial)


def _rediscovered_entry(ctx: BuildContext, a: Agent, b: SessionBead, qn: str, *, manual: bool, eph: bool) -> DesiredEntry:
    """The desired entry a rediscovered bead rejoins with: a manual session keeps its persisted
    identity and alias; rediscovered ephemeral capacity asks for no alias."""
    sn = b.session_name
    why = [shape_why(ctx, a)]
    identity = session_qualified_name(a, b) if manual else canonical_identity(ctx, a, b)
    env = base_env(qn, b, identity)
    alias = b.alias.strip() if manual and b.alias.strip() else identity
    instance = identity
    if eph:
        if not manual or not b.alias.strip():
            alias = ""
        instance = identity if manual and identity else sn
    source = "manual" if manual else "discovered"
    why.append(Why("demand.manual" if manual else "demand.discovered",
                   "an open bead of a configured template rejoins the desired set "
                   "(the reconciler decides whether it stays awake)"))
    if manual:
        why.append(Why("shape.manual", "manual session: keeps its persisted identity and alias"))
    if qn in ctx.result.partial_templates:
        why.append(Why("demand.partial_retained", f"scale_check for {qn} failed; its sessions are retained"))
    if alias:
        why.append(Why("alias.kept", f"keeps alias {alias}"))
    else:
        why.append(Why("alias.none", "rediscovered pool capacity asks for no alias; the bead keeps its own"))
    return DesiredEntry(
        session_name=sn, template=qn, identity=instance, alias=alias, pool_slot=0, source=source, bead_id=b.id,
        manual=manual,
        dependency_only=b.dependency_only, env_identity_stamped=False, env=env, why=why)
