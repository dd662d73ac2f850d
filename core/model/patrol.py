"""What one press of "step" does on a plain city: one controller patrol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.steps import Step
from core.steps.controller import Advance, Tick

if TYPE_CHECKING:
    from core.model.facade import Model


def tick_steps(model: Model) -> list[Step]:
    """One controller tick one patrol interval after the last (the first tick runs at once)."""
    steps: list[Step] = []
    if model.world.tick > 0:
        steps.append(Advance(by=model.city.daemon.patrol_interval or "30s", given=("by",)))
    steps.append(Tick())
    return steps
