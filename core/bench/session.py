"""A benchmark session: the synthetic city written to a directory, its world, and a `Driver`
that steps it with churn, exactly as the app would."""

from __future__ import annotations

from dataclasses import dataclass

from core.bench.churn import Churn
from core.bench.city import SIZES, Size, write_city
from core.bench.world import build_world
from core.model.facade import Model
from core.session.driver import Driver, Start
from core.session.history import DEFAULT_LIMIT
from core.session.reload import load
from core.world.tables import world_tables


@dataclass
class BenchSession:
    """A benchmark city of one size: its city.toml path and the driver that runs it."""
    size: Size
    path: str  # the city.toml
    driver: Driver

    @property
    def model(self) -> Model:
        return self.driver.model


def open_bench(size: str | Size, root: str, seed: int = 0, history_limit: int | None = None) -> BenchSession:
    """Write the city of `size` under `root`, build its world and return a session on it whose
    every step is churn then one tick."""
    sz = SIZES[size] if isinstance(size, str) else size
    path = write_city(sz, root)
    loaded = load(path)
    if not loaded.ok:
        assert loaded.error is not None
        raise ValueError(loaded.error.render())
    assert loaded.city is not None and loaded.source is not None
    model = Model(loaded.city, build_world(loaded.city, sz, seed))
    start = Start(loaded.city.name, loaded.source, world_tables(model.world), "current", True,
                  loaded.source.base_dir)
    return BenchSession(sz, path, Driver(model, start, script=Churn(sz.blocks, seed),
                                         history_limit=history_limit or DEFAULT_LIMIT))
