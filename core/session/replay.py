"""The steps of a session whose script's presses are kept as sizes, made again by replaying it.

A replayable script (the demo's) makes each press from the model alone, so the session's step
record keeps such a press as its number of steps (core/session/steplog.py). To write the steps
out (an export), the session runs again from the world it started in: each recorded press is
applied as the driver applied it, and each scripted press is asked of the script again, on the
model as it was at that point, then checked against the size that was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from core.config.city_config import City
from core.model.facade import Model
from core.session.steplog import Recorded, Scripted, StepLog
from core.steps import as_step
from core.steps.config import EditConfig
from core.world.world import World, WorldState


class ReplayError(Exception):
    """The replay made a press other than the one recorded: the script is not replayable."""


@dataclass(frozen=True)
class Origin:
    """The model as a session started: what a replay starts from."""

    world: WorldState
    prefix: str
    city: City
    semantics: str
    adopt_on_start: bool

    @classmethod
    def of(cls, model: Model) -> Origin:
        return cls(model.world.snapshot(), model.world.store.prefix, model.city, model.semantics,
                   model.adopt_on_start)

    def model(self) -> Model:
        return Model(self.city, World.from_state(self.world, self.prefix), self.semantics, self.adopt_on_start)


def replayed_steps(origin: Origin, log: StepLog, next_steps: Callable[[Model], Any],
                   load_city: Callable[[EditConfig], City] | None, keep_closed: int) -> Iterator[Recorded]:
    """Every step of `log`, scripted presses made again by `next_steps` on a replay of the
    session from `origin` (as the driver ran each press: its steps, then forgetting old closed
    beads). Raises ReplayError when a press made again is not the size recorded, or fails."""
    model = origin.model()
    for n, press in enumerate(log.presses(), 1):
        if isinstance(press, Scripted):
            steps = [Recorded(as_step(s)) for s in next_steps(model)]
            if len(steps) != press.size:
                raise ReplayError(f"press {n}: the script now makes a press of {len(steps)} step(s), "
                                  f"not the {press.size} that ran")
        else:
            steps = list(press)
        try:
            for rec in steps:
                model.do(rec.step, load_city=load_city)
        except Exception as e:  # noqa: BLE001 - a recorded press never failed; say which one now does
            raise ReplayError(f"press {n} failed on replay: {type(e).__name__}: {e}") from e
        model.world.forget_closed(keep_closed)
        yield from steps
