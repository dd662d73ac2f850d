"""Steps that change beads outside the controller: add_work, update_work, set_session,
close_session, set_wait and set_work_query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Located, Step, Target, kind, work_from_table


class _WorkStep(Step):
    """add_work and update_work: a work table (scenario-format.md's [[work]]) plus `do`."""

    KEYS: ClassVar[dict[str, str]] = SS.WORK
    REQUIRED: ClassVar[tuple[str, ...]] = ("id",)

    @classmethod
    def check_types(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.check_work(table, fp, partial=cls.do == "update_work")


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class AddWork(_WorkStep):
    """A new work bead (created now unless `created_at` says when)."""

    do: ClassVar[str] = "add_work"
    id: str = ""
    status: str = "open"
    assignee: str = ""
    routed_to: str = ""
    priority: int = 0
    ready: bool = True
    title: str = ""
    created_at: str = ""
    store: str = ""
    type: str = ""
    metadata: dict[str, str] | None = None

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.wids.add(table["id"])

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.add_work(work_from_table(self.values(), model.world.now))


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class UpdateWork(_WorkStep):
    """Change fields of the work bead `id` (only those given; metadata is merged)."""

    do: ClassVar[str] = "update_work"
    id: str = ""
    status: str = "open"
    assignee: str = ""
    routed_to: str = ""
    priority: int = 0
    ready: bool = True
    title: str = ""
    created_at: str = ""
    store: str = ""
    type: str = ""
    metadata: dict[str, str] | None = None

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if table["id"] not in sc.wids:
            raise sc.loc(f"{fp}.id", f'update_work names unknown work "{table["id"]}" (not in [[work]] '
                                     "or an earlier add_work)")

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        changes = {k: v for k, v in self.values().items() if k != "id"}
        return model.update_work(self.id, **changes)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetSession(Step):
    """Edit metadata of the session bead `id`."""

    do: ClassVar[str] = "set_session"
    KEYS: ClassVar[dict[str, str]] = {"id": SS.STR, "metadata": SS.STRMAP}
    REQUIRED: ClassVar[tuple[str, ...]] = ("id", "metadata")
    id: str = ""
    metadata: dict[str, str] | None = None

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_session(self.id, self.metadata or {})


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class CloseSession(Step):
    """Close the session bead `id` as a plain store close does."""

    do: ClassVar[str] = "close_session"
    KEYS: ClassVar[dict[str, str]] = {"id": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("id",)
    id: str = ""

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.close_session(self.id)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetWait(Step):
    """Register or change a durable wait (the fields of a [[wait]] table)."""

    do: ClassVar[str] = "set_wait"
    KEYS: ClassVar[dict[str, str]] = SS.WAIT
    id: str = ""
    session: str = ""
    state: str = ""
    kind: str = ""
    deps: list[str] | None = None
    dep_mode: str = ""
    registered_epoch: str = ""
    expires_at: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.check_wait({k: v for k, v in table.items() if k != "do"}, fp)

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_wait(self.values())


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetWorkQuery(Step):
    """What the work_query of `template` finds from now on."""

    do: ClassVar[str] = "set_work_query"
    KEYS: ClassVar[dict[str, str]] = {"template": SS.STR, "found": SS.BOOL}
    REQUIRED: ClassVar[tuple[str, ...]] = ("template", "found")
    template: str = ""
    found: bool = False

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.check_work_query(fp, table["template"], table["found"])

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        t, found = str(self.template), self.found is True
        model.world.work_query = model.world.work_query.set(t, found)
        return Outcome(notes=[f"work_query of {t}: {'work found' if found else 'no work'} (given by the scenario)"])
