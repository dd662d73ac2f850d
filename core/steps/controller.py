"""Steps that run the controller or change how it runs: tick, build, sync, hygiene, advance,
restart_controller and set_semantics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.formats.durations import format_duration, parse_duration
from core.identity import SEMANTICS
from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Located, Step, Target, kind


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Tick(Step):
    """`count` controller ticks, `every` apart. `scale_check_runs` (not a key: the app sets it
    when scale_check commands run for real) are the unchanged runs read for this tick, whose
    time the tick records."""

    do: ClassVar[str] = "tick"
    KEYS: ClassVar[dict[str, str]] = {"count": SS.INT, "every": SS.DUR}
    HIDDEN: ClassVar[tuple[str, ...]] = ("scale_check_runs",)
    count: int = 1
    every: str = "0s"
    scale_check_runs: tuple[tuple[str, int | None, str], ...] = ()

    @classmethod
    def check_types(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if "count" in table and (not SS.is_int(table["count"]) or table["count"] < 1):
            raise sc.loc(f"{fp}.count", "count must be a positive integer")
        super(Tick, cls).check_types(sc, table, fp)  # (slots: the class is rebuilt, so name it)

    @classmethod
    def check_budget(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        problem = sc.work.ticks(table.get("count", 1), table.get("every", "0s"), fp)
        if problem is not None:
            raise sc.loc(problem.field, problem.message)

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        out = Outcome()
        model.record_scale_check_runs(list(self.scale_check_runs))
        every = parse_duration(self.every)
        for i in range(int(self.count)):
            if i and every:
                model.world.advance(every)
            out.extend(model.tick())
        return out

    def label(self) -> str:
        return "tick"


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Advance(Step):
    """Move the clock `by` a duration (async commits that come due land)."""

    do: ClassVar[str] = "advance"
    KEYS: ClassVar[dict[str, str]] = {"by": SS.DUR}
    by: str = "30s"

    @classmethod
    def check_budget(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        problem = sc.work.move(parse_duration(table.get("by", "30s")), f"{fp}.by")
        if problem is not None:
            raise sc.loc(problem.field, problem.message)

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.advance(parse_duration(self.by))

    def label(self) -> str:
        return f"advance {format_duration(parse_duration(self.by))}"


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Build(Step):
    """Only the desired-state build (`store = false`: the legacy no-store build)."""

    do: ClassVar[str] = "build"
    KEYS: ClassVar[dict[str, str]] = {"store": SS.BOOL}
    store: bool = True

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.build(store=bool(self.store))


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Sync(Step):
    """The tick up to session bead sync (`close`: with sync's close pass)."""

    do: ClassVar[str] = "sync"
    KEYS: ClassVar[dict[str, str]] = {"close": SS.BOOL}
    close: bool = False

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.sync_only(close=bool(self.close))


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Hygiene(Step):
    """Only the tick's runtime and bead hygiene phase."""

    do: ClassVar[str] = "hygiene"
    KEYS: ClassVar[dict[str, str]] = {}

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.hygiene_only()


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class RestartController(Step):
    """The controller process restarts: in-memory state is lost."""

    do: ClassVar[str] = "restart_controller"
    KEYS: ClassVar[dict[str, str]] = {}

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.restart_controller()


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetSemantics(Step):
    """Switch the identity rules the model follows."""

    do: ClassVar[str] = "set_semantics"
    KEYS: ClassVar[dict[str, str]] = {"semantics": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("semantics",)
    semantics: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if table["semantics"] not in SEMANTICS:
            raise sc.loc(f"{fp}.semantics",
                         f'semantics must be one of {", ".join(SEMANTICS)}, got "{table["semantics"]}"')

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        model.set_semantics(str(self.semantics))
        return Outcome(notes=[f"semantics switched to {model.semantics}"])
