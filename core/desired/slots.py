"""Slot resolution (existingPoolSlotWithConfigInfo and the claim helpers)."""

from __future__ import annotations

from core.config.model import Agent
from core.identity import canonical_singleton, owns_pool_session_name, parse_slot, slot_in_bounds
from core.world.beads import SessionBead


def _usable(a: Agent, n: int, preserve: bool) -> bool:
    if n <= 0:
        return False
    if slot_in_bounds(a, n):
        return True
    # A resume whose work is still assigned keeps its identity across a capacity shrink (#4686),
    # but never past the namepool list.
    return preserve and (not a.namepool_names or n <= len(a.namepool_names))


def existing_slot(a: Agent, b: SessionBead, semantics: str = "current", preserve: bool = False) -> int:
    """The slot a bead already holds for template `a`; 0 when none (always 0 for a canonical
    singleton)."""
    if canonical_singleton(a, semantics):
        return 0
    tmpl = b.template
    template_ok = not tmpl or tmpl == a.qualified_name or tmpl == a.name
    agent_slot = parse_slot(a, b.agent_name, tmpl)
    alias_slot = parse_slot(a, b.alias, tmpl)
    sn_slot = 0
    if not b.alias and not owns_pool_session_name(b.session_name, a.qualified_name, b.id):
        sn_slot = parse_slot(a, b.session_name, tmpl)
    ps = b.pool_slot
    if ps > 0:
        if agent_slot and agent_slot != ps and _usable(a, agent_slot, preserve):
            return agent_slot
        if not template_ok and not agent_slot and not alias_slot:
            return 0
        if not _usable(a, ps, preserve):
            for n in (agent_slot, alias_slot, sn_slot):
                if _usable(a, n, preserve):
                    return n
            return 0
        return ps
    for n in (agent_slot, alias_slot, sn_slot):
        if _usable(a, n, preserve):
            return n
    return 0


def lowest_free(used: set[int]) -> int:
    n = 1
    while n in used:
        n += 1
    return n


def claim_slot(existing: int, used: set[int]) -> int:
    """claimPoolSlot: keep an existing slot unless taken (then 0); none -> lowest free."""
    if existing > 0:
        return 0 if existing in used else existing
    return lowest_free(used)
