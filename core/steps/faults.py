"""Fault injection steps: fail_start, fail_stop, slow_start, fail_store_read and fail_store_write
(docs/scenario-extensions.md, "Fault injection")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.formats.durations import parse_duration
from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Located, Step, Target, kind, positive_int


class _Counted(Step):
    """A fault that fires `count` times: its count is a positive integer within the cap."""

    @classmethod
    def check_budget(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if "count" in table and not 1 <= table["count"] <= SS.MAX_FAIL_COUNT:
            raise sc.loc(f"{fp}.count", f"count must be from 1 to {SS.MAX_FAIL_COUNT}")

    @classmethod
    def check_count(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if "count" in table and not positive_int(table["count"]):
            raise sc.loc(f"{fp}.count", "count must be a positive integer")


class _Selected(_Counted):
    """A start or stop fault: for the session `name`, or any session of `template`."""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if not (table.get("name") or table.get("template")):
            raise sc.loc(fp, f'{cls.do} needs "name" or "template"')
        cls.check_count(sc, table, fp)
        if table.get("template") and table["template"] not in sc.templates:
            raise sc.loc(f"{fp}.template", f'{cls.do} names unknown template "{table["template"]}"')

    def selector(self) -> str:
        name, template = getattr(self, "name", ""), getattr(self, "template", "")
        return name or f"template:{template}"


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class FailStart(_Selected):
    """The next `count` starts of a session (or a template's sessions) fail."""

    do: ClassVar[str] = "fail_start"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "template": SS.STR, "count": SS.INT, "message": SS.STR}
    name: str = ""
    template: str = ""
    count: int = 1
    message: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.fail_start(self.selector(), int(self.count), self.message)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class FailStop(_Selected):
    """The next `count` stops fail (`leaves_running`: they return but leave it running)."""

    do: ClassVar[str] = "fail_stop"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "template": SS.STR, "count": SS.INT, "message": SS.STR,
                                      "leaves_running": SS.BOOL}
    name: str = ""
    template: str = ""
    count: int = 1
    message: str = ""
    leaves_running: bool = False

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        sel, leaves = self.selector(), bool(self.leaves_running)
        model.world.runtime.inject_stop_failure(sel, int(self.count), self.message, leaves)
        effect = "return but leave it running" if leaves else "fail"
        return Outcome(notes=[f"next {int(self.count)} stop(s) of {sel} will {effect}"])


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SlowStart(_Selected):
    """The next `count` starts take `by` longer."""

    do: ClassVar[str] = "slow_start"
    KEYS: ClassVar[dict[str, str]] = {"name": SS.STR, "template": SS.STR, "by": SS.DUR, "count": SS.INT}
    REQUIRED: ClassVar[tuple[str, ...]] = ("by",)
    name: str = ""
    template: str = ""
    by: str = ""
    count: int = 1

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        sel = self.selector()
        model.world.runtime.slow_starts.append([sel, int(self.count), parse_duration(self.by)])
        return Outcome(notes=[f"the next {int(self.count)} start(s) of {sel} will take {self.by}"])


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class FailStoreRead(Step):
    """Reads of a bead store fail (or come back partial) for `ticks` ticks."""

    do: ClassVar[str] = "fail_store_read"
    KEYS: ClassVar[dict[str, str]] = {"store": SS.STR, "mode": SS.STR, "ticks": SS.INT, "message": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("store",)
    store: str = ""
    mode: str = "error"
    ticks: int = 1
    message: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if table["store"] != "city" and sc.cities[-1].rig(str(table["store"])) is None:
            raise sc.loc(f"{fp}.store", f'store must be "city" or a rig of the city, got "{table["store"]}"')
        if table.get("mode", "error") not in ("error", "partial"):
            raise sc.loc(f"{fp}.mode", f'mode must be "error" or "partial", got "{table["mode"]}"')
        if "ticks" in table and not positive_int(table["ticks"]):
            raise sc.loc(f"{fp}.ticks", "ticks must be a positive integer")
        if "message" in table and table.get("mode", "error") != "error":
            raise sc.loc(f"{fp}.message", 'message is the error text of failing reads: it needs mode "error"')

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        store, mode, ticks = str(self.store), str(self.mode), int(self.ticks)
        model.world.store.read_faults[store] = (mode, ticks, str(self.message))
        return Outcome(notes=[f"reads of the {store} store will {'fail' if mode == 'error' else 'come back partial'}"
                             f" for {ticks} tick(s)"])


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class FailStoreWrite(_Counted):
    """The next `count` session bead writes (or creates) fail."""

    do: ClassVar[str] = "fail_store_write"
    KEYS: ClassVar[dict[str, str]] = {"op": SS.STR, "count": SS.INT, "message": SS.STR}
    op: str = "write"
    count: int = 1
    message: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        cls.check_count(sc, table, fp)
        if table.get("op", "write") not in ("write", "create"):
            raise sc.loc(f"{fp}.op", f'op must be "write" or "create", got "{table["op"]}"')

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        op, count = str(self.op), int(self.count)
        model.world.store.write_faults.append([op, count, str(self.message)])
        return Outcome(notes=[f"the next {count} session bead {op}(s) will fail"])
