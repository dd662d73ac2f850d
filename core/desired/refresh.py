"""refreshDesiredState (refreshDesiredStateWithSessionBeads): re-apply the session-bead overlay
to an already built desired state against the store as it stands now.

The controller runs it twice per tick, before and after sync, so sessions that appeared while
the build ran are not missed. Each pass starts again from the build's base entries (BaseState:
everything desired before discovery and dependency floors), then rediscovers open beads and
realizes floors exactly as the build's own overlay does. A floor pass may create beads (the
store side effect Gas City has too); it has no assigned work and no create budget, as the
refresh's fresh build parameters have none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from core.actions import Action
from core.config.city_config import City
from core.desired.build import apply_overlay
from core.desired.context import BuildContext
from core.desired.entries import DesiredResult, Entries
from core.tracefile.record import TraceRecord

if TYPE_CHECKING:
    from core.world.world import World


def refresh_desired(city: City, world: World, semantics: str, built: DesiredResult,
                    actions: list[Action], trace: list[TraceRecord]) -> DesiredResult:
    """A new result equal to `built` except for the overlay, recomputed over the current store.
    Base entries are shared with `built` (sync annotates them with the beads it creates); the
    floor beads created so far this tick carry over, so a duplicate floor is recognized. Log
    lines of this pass are the new result's `logs` (the caller adds them to the tick's)."""
    ctx = BuildContext(city, world, semantics, actions, trace)
    base = built.base_keys if (built.base_keys or not built.entries) else tuple(sorted(built.entries))
    ctx.result = replace(
        built,
        entries=Entries({k: built.entries[k] for k in base if k in built.entries}),
        roots=set(),
        logs=[],
        floor_created={t: list(ids) for t, ids in built.floor_created.items()},
        duplicate_floors=list(built.duplicate_floors),
    )
    apply_overlay(ctx)
    return ctx.result
