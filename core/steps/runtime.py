"""Steps that change a runtime session outside the controller: runtime_exit, runtime_start,
activity, attach, detach, drain_ack and set_runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.formats.timefmt import parse_time
from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Step, Target, kind


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class RuntimeExit(Step):
    """The runtime session `name` exits (`crash`: it dies, and a crash event is logged)."""

    do: ClassVar[str] = "runtime_exit"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "crash": SS.BOOL}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""
    crash: bool = False

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.runtime_exit(self.name, bool(self.crash))


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class RuntimeStart(Step):
    """A runtime session appears outside the controller."""

    do: ClassVar[str] = "runtime_start"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "session_id": SS.STR, "attached": SS.BOOL,
                                      "pending_interaction": SS.BOOL}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""
    session_id: str = ""
    attached: bool = False
    pending_interaction: bool = False

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        given = self.values()
        extra = {k: given[k] for k in ("attached", "pending_interaction") if k in given}
        return model.runtime_start(self.name, self.session_id, **extra)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Activity(Step):
    """Output on the runtime session `name` (its last activity is now)."""

    do: ClassVar[str] = "activity"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.activity(self.name)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Attach(Step):
    """An operator attaches to the runtime session `name`."""

    do: ClassVar[str] = "attach"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_attached(self.name, True)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class Detach(Step):
    """The operator detaches from the runtime session `name`."""

    do: ClassVar[str] = "detach"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_attached(self.name, False)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class DrainAck(Step):
    """The agent in `name` acknowledges a drain."""

    do: ClassVar[str] = "drain_ack"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.drain_ack(self.name)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetRuntime(Step):
    """Change fields of the runtime session `name` (only those given)."""

    do: ClassVar[str] = "set_runtime"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "alive": SS.BOOL, "peek": SS.STR,
                                      "pending_interaction": SS.BOOL, "attached": SS.BOOL,
                                      "last_activity": SS.TIME, "meta": SS.STRMAP, "corpse": SS.BOOL}
    REQUIRED: ClassVar[tuple[str, ...]] = ("name",)
    name: str = ""
    alive: bool = True
    peek: str = ""
    pending_interaction: bool = False
    attached: bool = False
    last_activity: str = ""
    meta: dict[str, str] | None = None
    corpse: bool = False

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        changes: dict[str, Any] = {k: v for k, v in self.values().items() if k != "name"}
        if "alive" in changes:
            changes["process_alive"] = changes.pop("alive")
        if "last_activity" in changes:
            changes["last_activity"] = parse_time(changes["last_activity"])
        return model.set_runtime(self.name, **changes)
