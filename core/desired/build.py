"""The desired-state build, in Gas City's order. It has store side effects (creates,
normalizes and defers pool beads), exactly as buildDesiredStateWithSessionBeads does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.actions import Action
from core.config.model import City
from core.desired.context import BuildContext
from core.desired.demand import (
    alias_held_templates,
    assigned_work,
    compute_counts,
    compute_requests,
    identity_index,
    ready_unassigned_by_template,
)
from core.desired.discovery import discover
from core.desired.floors import realize_floors
from core.desired.model import DesiredResult
from core.desired.named import build_named
from core.desired.realize import realize

if TYPE_CHECKING:
    from core.world.world import World


def build_desired(city: City, world: "World", semantics: str = "current", actions: list[Action] | None = None,
                  trace: list[dict] | None = None) -> DesiredResult:
    """Compute this tick's desired sessions. Every entry carries its source tier and why chain;
    `actions` receives the store side effects (create_bead, normalize, defer_alias)."""
    ctx = BuildContext(city, world, semantics, actions if actions is not None else [], trace)
    res = ctx.result
    if city.workspace.suspended:
        res.suspended = True
        return res
    by_identity = identity_index(ctx)
    ready = ready_unassigned_by_template(ctx)
    work = assigned_work(ctx, by_identity)
    res.assigned_work_ids = [w.id for w in work]
    triggers = compute_counts(ctx, ready)
    res.alias_held = alias_held_templates(ctx)
    compute_requests(ctx, by_identity, work, triggers)
    realize(ctx)
    build_named(ctx)
    discover(ctx)
    realize_floors(ctx)
    return res
