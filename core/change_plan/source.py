"""Where a plan starts: a live city directory (read exactly as `attach` reads it, never written),
a scenario file (its world after its last step), or a bare city.toml (a fresh world)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from core.config.city_config import City
from core.config.errors import ConfigError
from core.model.facade import Model, ModelError
from core.world.world import World


class PlanError(Exception):
    """A plan that cannot be made: bad input (exit 2), or `unreachable` (exit 3)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass
class Start:
    """The starting point of both futures: the config running now, the world it runs on."""

    kind: str  # live | scenario | city
    path: str
    city: City
    world: World
    semantics: str
    fresh: bool  # a fresh world (a bare city.toml): the controller starts with whichever config

    def model(self, city: City | None = None) -> Model:
        """A model over a copy of the starting world (with `city` instead of the current config
        for a fresh start)."""
        world = World.from_state(self.world.snapshot(), prefix=self.world.store.prefix)
        return Model(city or self.city, world, self.semantics, adopt_on_start=self.fresh)


def source_kind(path: str) -> str:
    """`live` for a directory with a `.gc/` (a running city), `scenario` for a scenario file,
    `city` for a city.toml or a directory holding one."""
    if os.path.isdir(path):
        return "live" if os.path.isdir(os.path.join(path, ".gc")) else "city"
    from core.explain.explanation import ExplainError
    from core.explain.run import target_kind

    try:
        return target_kind(path)
    except ExplainError as e:
        raise PlanError(str(e)) from None


def load_start(path: str, *, now: datetime | None = None, packs_dir: str | None = None,
               semantics: str | None = None) -> Start:
    """Read SOURCE into a Start. Raises PlanError with a located message."""
    kind = source_kind(path)
    if kind == "live":
        return _live(path, now, packs_dir, semantics)
    if kind == "scenario":
        return _scenario(path, packs_dir, semantics)
    return _city(path, now, packs_dir, semantics)


def _live(path: str, now: datetime | None, packs_dir: str | None, semantics: str | None) -> Start:
    from core.attach.session import AttachError, AttachOptions, AttachSession, AttachUnreachable

    opts = AttachOptions(semantics=semantics or "current", packs_dir=packs_dir)
    if now is not None:
        opts.clock = lambda: now
    try:
        session = AttachSession.open(path, opts)
    except AttachUnreachable as e:
        raise PlanError(str(e), unreachable=True) from None
    except AttachError as e:
        raise PlanError(str(e)) from None
    try:
        if session.city is None:
            problems = "; ".join(w.render() for w in session.warnings() if w.source == "config")
            raise PlanError(f"{path}: the live city's config does not load ({problems})")
        return Start("live", path, session.city, session.world(), opts.semantics, fresh=False)
    finally:
        session.close()


def _scenario(path: str, packs_dir: str | None, semantics: str | None) -> Start:
    from core.scenario.file import ScenarioError, load_scenario

    try:
        scn = load_scenario(path, packs_dir)
    except ScenarioError as e:
        raise PlanError(str(e)) from None
    if semantics:
        scn.semantics = semantics
    model = scn.model()
    for st in scn.steps:
        with contextlib.suppress(ModelError):  # a refused poke changes nothing, as in `scenario run`
            scn.apply(model, st)
    return Start("scenario", path, model.pending_city or model.city, model.world, model.semantics, fresh=False)


def _city(path: str, now: datetime | None, packs_dir: str | None, semantics: str | None) -> Start:
    city = load_config(path, packs_dir)
    start = now or datetime.now(UTC).replace(microsecond=0)
    return Start("city", path, city, World(start, prefix="gc"), semantics or "current",
                 fresh=True)


def load_config(path: str, packs_dir: str | None) -> City:
    """A city.toml (or a directory holding one), loaded and validated; PlanError when it cannot."""
    from core.config.load import load_city
    from core.config.validate import validate_city

    try:
        city = load_city(path, packs_dir=packs_dir)
        validate_city(city)
    except ConfigError as e:
        raise PlanError(e.render()) from None
    except OSError as e:
        raise PlanError(f"{path}: cannot read ({e.strerror or e})", unreachable=True) from None
    return city
