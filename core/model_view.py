"""What the views read of a model: the running city, the one queued for the next tick, the
world, the last desired-state build and the semantics. Nothing here changes anything.

The views (`plan`, `roster`, `board`, `explain`, the tracker view, the state JSON) take a
`ModelView` instead of the `Model` facade, so they cannot reach the calls that change the
model and do not import it. A `Model` is a `ModelView` as it is (the protocol is structural).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.desired.entries import DesiredResult
    from core.world.world import World


class ModelView(Protocol):
    """Read accessors of a model, as the views use them."""

    @property
    def city(self) -> City:
        """The running config."""

    @property
    def pending_city(self) -> City | None:
        """An edited config waiting for the next tick (hot reload), if any."""

    @property
    def world(self) -> World:
        """Beads, runtime, clock and in-memory trackers."""

    @property
    def semantics(self) -> str:
        """Which Gas City behaviour the model follows ("current", ...)."""

    @property
    def last_desired(self) -> DesiredResult | None:
        """The desired state of the last build (None before the first)."""
