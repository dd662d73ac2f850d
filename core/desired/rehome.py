"""The bound -> unbound migration's work re-home (canonicalizeLegacyBoundAssignedWork,
canonicalizeLegacyBoundUnassignedRoutedWork): work persisted under the legacy bound form of a
now-unbound pool agent (`dir/binding.name`) is rewritten onto the agent's canonical identity
(`dir/name`), so the canonical session's work query and claim, which match by raw string, can
see it. Idempotent: only a differing identity is written."""

from __future__ import annotations

from core.desired.context import BuildContext
from core.desired.stamp import assignee_index
from core.identity import generic_ephemeral
from core.world.beads import WorkBead


def _pool_template_names(ctx: BuildContext) -> tuple[frozenset[str], frozenset[str]]:
    """The spellings isKnownPoolTemplate accepts, gathered once per pass (it asked every agent for
    every work bead): the unsuspended multi-session agents' qualified names, and what those
    normalize to."""
    names = {a.qualified_name.strip() for a in ctx.city.agents
             if not a.suspended and generic_ephemeral(a)} - {""}
    return frozenset(names), frozenset(ctx.normalize_template(n) for n in names)


def _known_pool_template(ctx: BuildContext, assignee: str, pools: tuple[frozenset[str], frozenset[str]]) -> bool:
    """isKnownPoolTemplate: an unsuspended multi-session agent answers to the assignee (is it, or
    is equivalent to it: both normalize to the same template); `pools` from
    `_pool_template_names`."""
    assignee = assignee.strip()
    if not assignee:
        return False
    names, normalized = pools
    return assignee in names or ctx.normalize_template(assignee) in normalized


def rehome_assigned_work(ctx: BuildContext, collected: list[WorkBead]) -> None:
    """canonicalizeLegacyBoundAssignedWork over the collected assigned work: open or in-progress
    work whose assignee is a pool template's legacy form gets the canonical assignee (and route),
    unless a live session still answers to the legacy identity (the resume tier owns it)."""
    index = assignee_index(ctx)
    pools = _pool_template_names(ctx)
    for w in collected:
        if w.status not in ("in_progress", "open"):
            continue
        assignee = w.assignee.strip()
        if not assignee or not _known_pool_template(ctx, assignee, pools):
            continue
        canon_assignee = ctx.normalize_template(assignee)
        routed = w.routed_to.strip()
        canon_routed = ctx.normalize_template(routed)
        assignee_changed = bool(canon_assignee) and canon_assignee != assignee
        routed_changed = bool(routed) and canon_routed != routed
        if not assignee_changed and not routed_changed:
            continue
        if assignee in index:
            continue
        ctx.store.update_work_metadata(w.id, {}, assignee=canon_assignee if assignee_changed else None,
                                       routed_to=canon_routed if routed_changed else None)


def rehome_unassigned_routed_work(ctx: BuildContext) -> None:
    """canonicalizeLegacyBoundUnassignedRoutedWork over the open, unassigned routed work of every
    readable store: a route whose local name carries a binding dot and normalizes to another
    configured identity is rewritten to it."""
    for w in ctx.store.open_work():
        if w.status != "open" or w.assignee.strip() or not ctx.work_visible(w):
            continue
        routed = w.routed_to.strip()
        if not routed or "." not in routed.rpartition("/")[2]:
            continue
        canon = ctx.normalize_template(routed)
        if canon and canon != routed:
            ctx.store.update_work_metadata(w.id, {}, routed_to=canon)
