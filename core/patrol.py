"""What one press of "step" does on a plain city: one controller patrol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.model import Model


def tick_steps(model: Model) -> list[dict[str, Any]]:
    """One controller tick one patrol interval after the last (the first tick runs at once)."""
    steps: list[dict[str, Any]] = []
    if model.world.tick > 0:
        steps.append({"do": "advance", "by": model.city.daemon.patrol_interval or "30s"})
    steps.append({"do": "tick"})
    return steps
