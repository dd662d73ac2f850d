"""The tick orchestrator: phases in Gas City's order, nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.desired.build import build_desired
from core.outcome import Outcome

if TYPE_CHECKING:
    from core.config.model import City
    from core.world.world import World


def run_build(city: "City", world: "World", semantics: str) -> Outcome:
    """Only the desired-state build (with its store side effects)."""
    out = Outcome()
    out.desired = build_desired(city, world, semantics, out.actions, out.trace)
    out.logs += out.desired.logs
    return out


def run_tick(city: "City", world: "World", semantics: str) -> Outcome:
    """One regular controller tick."""
    world.tick += 1
    out = run_build(city, world, semantics)
    out.ticks = 1
    return out
