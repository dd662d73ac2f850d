"""Slot resolution: which pool slot a bead already holds and how a request claims one
(Gas City's existingPoolSlotWithConfigInfo, claimPoolSlot and the preferred-slot helpers).

`used` is the per-template set of slots claimed so far this build; every claim adds to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.config.city_config import Agent
from core.identity import (
    canonical_singleton,
    has_configured_bound,
    in_bounds_slot,
    owns_pool_session_name,
    persisted_identity_slot,
    usable_identity_slot,
)
from core.world.beads import SessionBead

if TYPE_CHECKING:
    from core.desired.context import BuildContext


def _stored_template_matches(ctx: BuildContext | None, a: Agent, b: SessionBead) -> bool:
    """storedTemplateMatchesPoolTemplate (true when there is no config to compare against)."""
    if ctx is None:
        return True
    from core.desired.context import stored_template

    st = stored_template(b)
    if not st:
        return False
    qn = a.qualified_name
    return ctx.equivalent(st, qn) or ctx.legacy_pool_template(st) == qn


def _owns_pool_name(b: SessionBead) -> bool:
    return bool(b.session_name) and owns_pool_session_name(b.session_name, b.template, b.id)


def _identity_slots(ctx: BuildContext | None, a: Agent, b: SessionBead) -> tuple[int, int, int, bool]:
    
    matches = _stored_template_matches(ctx, a, b)
    agent_slot = persisted_identity_slot(a, matches, b.recorded_agent_name)
    alias_slot = persisted_identity_slot(a, matches, b.alias)
    sn_slot = 0
    if matches and not b.alias.strip() and not _owns_pool_name(b):
        sn_slot = persisted_identity_slot(a, True, b.session_name)
    return agent_slot, alias_slot, sn_slot, matches


def existing_slot(ctx: BuildContext | None, a: Agent, b: SessionBead) -> int:
    """The slot a bead already holds for template `a` (0 when none; always 0 for a canonical
    singleton). A concrete agent_name slot beats stale pool_slot metadata; an out-of-bounds
    pool_slot falls back to an identity-derived slot, or to none when the template is bounded."""
    if ctx is None:
        return _existing_slot(ctx, a, b)
    return ctx.kept_for_agent("existing_slot", a, b, lambda: _existing_slot(ctx, a, b))


def _existing_slot(ctx: BuildContext | None, a: Agent, b: SessionBead) -> int:
    semantics = ctx.semantics if ctx is not None else "current"
    if canonical_singleton(a, semantics):
        return 0
    agent_slot, alias_slot, sn_slot, matches = _identity_slots(ctx, a, b)
    ps = b.pool_slot
    if ps > 0:
        if agent_slot > 0 and agent_slot != ps and usable_identity_slot(a, agent_slot):
            return agent_slot
        if not matches and agent_slot == 0 and alias_slot == 0:
            return 0
        if not in_bounds_slot(a, ps):
            for n in (agent_slot, alias_slot, sn_slot):
                if usable_identity_slot(a, n):
                    return n
            if has_configured_bound(a):
                return 0
        return ps
    if has_configured_bound(a):
        agent_slot = agent_slot if usable_identity_slot(a, agent_slot) else 0
        alias_slot = alias_slot if usable_identity_slot(a, alias_slot) else 0
        sn_slot = sn_slot if usable_identity_slot(a, sn_slot) else 0
    return agent_slot or alias_slot or sn_slot


def raw_existing_slot(a: Agent, b: SessionBead, semantics: str = "current") -> int:
    """existingPoolSlotInfo (no config): pool_slot, else an agent_name/alias slot, else a
    session_name slot when the bead has no alias and does not own a pool session name."""
    
    if canonical_singleton(a, semantics):
        return 0
    if b.pool_slot > 0:
        return b.pool_slot
    n = persisted_identity_slot(a, True, b.recorded_agent_name, b.alias)
    if n > 0:
        return n
    if not b.alias.strip() and not _owns_pool_name(b):
        return persisted_identity_slot(a, True, b.session_name)
    return 0


def above_capacity_slot(ctx: BuildContext | None, a: Agent, b: SessionBead) -> int:
    """preferredPoolSlotAboveCapacityInfo: a concrete identity slot above max_active_sessions
    (but within the namepool) that an assigned resume keeps across a capacity shrink; 0 when
    there is none."""
    if ctx is None:
        return _above_capacity_slot(ctx, a, b)
    return ctx.kept_for_agent("above_capacity_slot", a, b, lambda: _above_capacity_slot(ctx, a, b))


def _above_capacity_slot(ctx: BuildContext | None, a: Agent, b: SessionBead) -> int:
    
    semantics = ctx.semantics if ctx is not None else "current"
    if canonical_singleton(a, semantics):
        return 0
    if ctx is not None and not _stored_template_matches(ctx, a, b):
        return 0
    m = a.max_active_sessions
    if m is None or m <= 0:
        return 0
    slot = persisted_identity_slot(a, True, b.recorded_agent_name)
    if slot == 0:
        slot = persisted_identity_slot(a, True, b.alias)
    if slot == 0 and not b.alias.strip() and not _owns_pool_name(b):
        slot = persisted_identity_slot(a, True, b.session_name)
    if slot <= m:
        return 0
    if a.namepool_names and slot > len(a.namepool_names):
        return 0
    return slot


def lowest_free(used: set[int]) -> int:
    """The lowest slot >= 1 not yet claimed."""
    n = 1
    while n in used:
        n += 1
    return n


def claim_slot(existing: int, used: set[int]) -> int:
    """claimPoolSlot: keep the existing slot unless already claimed (then 0); with none, the
    lowest free slot. The claimed slot is marked used."""
    if existing > 0:
        if existing in used:
            return 0
        used.add(existing)
        return existing
    n = lowest_free(used)
    used.add(n)
    return n


def claim_for_bead(ctx: BuildContext, a: Agent, b: SessionBead | None, used: set[int]) -> int:
    """claimDesiredPoolSlotInfo: 0 for a canonical singleton, else claim_slot of the bead's
    existing slot (a fresh create passes no bead and takes the lowest free slot)."""
    if canonical_singleton(a, ctx.semantics):
        return 0
    return claim_slot(existing_slot(ctx, a, b) if b is not None else 0, used)


def claim_preferred(ctx: BuildContext, a: Agent, b: SessionBead, preserve: bool, used: set[int]) -> int:
    """claimPreferredPoolSlotWithConfigInfo: an assigned resume (`preserve`) keeps a concrete
    slot above a shrunken capacity; everything else is bounded like claim_for_bead."""
    if canonical_singleton(a, ctx.semantics):
        return 0
    if preserve:
        slot = above_capacity_slot(ctx, a, b)
        if slot > 0:
            if slot in used:
                return 0
            used.add(slot)
            return slot
    return claim_slot(existing_slot(ctx, a, b), used)
