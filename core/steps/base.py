"""What every step kind is: a typed record of one `[[step]]` table, and the hooks the loader, the
model, the driver's labels and export call on it.

A kind is a frozen dataclass subclass of `Step`, registered with `@kind`: its `do` name, the keys
of its table and their types (the vocabulary of core/steps/scenario_schema.py, so a wrong value is
refused where it is written, worded as for every other table), the keys it needs, the checks
that look past one value (references to templates, rigs, work), how it applies to the model
(through the model's public operations), its label, and its table for export.

The table's form is scenario-format.md's (and docs/scenario-extensions.md's): a record
remembers which keys were written, in the order they were written, so its label and its
exported table are what the file (or the app's action) said, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.outcome import Outcome
    from core.steps.scenario_schema import WorkBudget
    from core.world.beads import WorkBead
    from core.world.world import World


class UnknownStep(ValueError):
    """A table whose `do` names no step kind (or a key the kind does not have)."""


class Located(Protocol):
    """What the scenario loader offers a step's checks: located errors (file, field, line) and
    the shared checks of the tables a step may carry, in the order the steps are read."""

    cities: list[City]  # the first config and every edit so far
    templates: set[str]  # the qualified names of their agents
    wids: set[str]  # work ids so far ([[work]] and earlier add_work)
    work: WorkBudget

    def loc(self, fp: str, message: str) -> Exception: ...

    def typed(self, table: dict[str, Any], spec: dict[str, str], fp: str) -> None: ...

    def check_work(self, table: dict[str, Any], fp: str, *, partial: bool) -> None: ...

    def check_wait(self, table: dict[str, Any], fp: str) -> None: ...

    def check_suspension(self, table: dict[str, Any], fp: str) -> None: ...

    def check_work_query(self, fp: str, template: Any, found: Any) -> None: ...

    def load_city(self, table: dict[str, Any], fp: str) -> City: ...


class Target(Protocol):
    """The model a step applies to: the public operations of core.model.facade.Model it calls."""

    world: World
    semantics: str
    pending_city: City | None

    def tick(self) -> Outcome: ...
    def build(self, store: bool = True) -> Outcome: ...
    def sync_only(self, close: bool = False) -> Outcome: ...
    def hygiene_only(self) -> Outcome: ...
    def advance(self, seconds: float) -> Outcome: ...
    def restart_controller(self) -> Outcome: ...
    def set_semantics(self, semantics: str) -> None: ...
    def runtime_exit(self, name: str, crash: bool = False) -> Outcome: ...
    def runtime_start(self, name: str, session_id: str = "", **extra: Any) -> Outcome: ...
    def activity(self, name: str) -> Outcome: ...
    def set_attached(self, name: str, attached: bool) -> Outcome: ...
    def set_runtime(self, name: str, **changes: Any) -> Outcome: ...
    def drain_ack(self, name: str) -> Outcome: ...
    def fail_start(self, selector: str, count: int = 1, message: str = "") -> Outcome: ...
    def add_work(self, w: WorkBead) -> Outcome: ...
    def update_work(self, wid: str, **changes: Any) -> Outcome: ...
    def set_scale_check(self, template: str, value: int | str, ran: bool = False, reason: str = "") -> Outcome: ...
    def record_scale_check_runs(self, runs: list[tuple[str, int | None, str]]) -> None: ...
    def set_wait(self, table: dict[str, Any]) -> Outcome: ...
    def set_suspension(self, table: dict[str, Any]) -> Outcome: ...
    def set_session(self, bead_id: str, metadata: dict[str, str]) -> Outcome: ...
    def close_session(self, bead_id: str) -> Outcome: ...


class Relocate(Protocol):
    """What export offers a step that names files: where a config the step loads is written."""

    def city_file(self, city_file: str) -> str: ...

    def city_table(self, table: dict[str, Any]) -> dict[str, Any]: ...


LoadCity = Callable[[Any], "City"]  # a config edit's city, loaded (located at the step)


_KEY_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """One stored tuple per distinct key list: a long watch makes a step a press, and every
    step of a kind mostly names the same keys (the table stays small: the keys are checked
    against the kind's own before a step is made, and it stops sharing at its bound)."""
    if len(_KEY_TUPLES) < 4096:
        return _KEY_TUPLES.setdefault(keys, keys)
    return _KEY_TUPLES.get(keys, keys)


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """One step of a scenario (or one press of the app): the typed values of its table.

    `given` is the keys the table wrote, in order (None: the required keys and every other
    key whose value differs from its default, in field order, which is how code builds a
    step; a step that must write a default value names its keys). Fields named in `HIDDEN` are
    not keys: what a step carries from the code that made it (never written to a file)."""

    do: ClassVar[str]
    KEYS: ClassVar[dict[str, str]]
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    HIDDEN: ClassVar[tuple[str, ...]] = ()

    given: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.given is None:
            keys = tuple(f.name for f in fields(self) if f.name in self.KEYS
                         and (f.name in self.REQUIRED or getattr(self, f.name) != f.default))
            object.__setattr__(self, "given", _shared_keys(keys))

    # ------------------------------------------------------------ the table
    @classmethod
    def from_table(cls: type[S], table: Mapping[str, Any], **hidden: Any) -> S:
        """The record of `table` (its `do` key included or not); `hidden` sets HIDDEN fields.
        Values are taken as written: the loader checked their types, and `apply` reads them
        as the model always has."""
        keys = tuple(k for k in table if k != "do")
        unknown = [k for k in keys if k not in cls.KEYS]
        if unknown:
            raise UnknownStep(f'step "{cls.do}" has no key "{unknown[0]}"')
        return cls(given=_shared_keys(keys), **{k: table[k] for k in keys}, **hidden)

    def to_table(self) -> dict[str, Any]:
        """The step's table as it was written: `do` first, then the given keys in order."""
        assert self.given is not None
        return {"do": self.do, **{k: getattr(self, k) for k in self.given}}

    def values(self) -> dict[str, Any]:
        """The given keys and their values, without `do`."""
        assert self.given is not None
        return {k: getattr(self, k) for k in self.given}

    def identity(self) -> tuple[dict[str, Any], tuple[Any, ...]]:
        """What tells two steps apart: their table and their hidden fields."""
        return self.to_table(), tuple(getattr(self, h) for h in self.HIDDEN)

    # ------------------------------------------------------------ loading
    @classmethod
    def check_types(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        """The types of the table's values (after the keys and the required keys)."""
        sc.typed(table, cls.KEYS, fp)

    @classmethod
    def check_budget(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        """The step's share of the work a scenario may ask for (ticks, clock, fault counts)."""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        """What the step names must exist by the time it runs (templates, rigs, work)."""

    # ------------------------------------------------------------ running
    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        """Change `model` as the step says; raises ModelError (from the model's operations) when
        it cannot be done."""
        raise NotImplementedError

    def label(self) -> str:
        """How the app's step log and Events name the step: its kind and its values."""
        args = [str(v) for v in self.values().values()]
        return f"{self.do} " + " ".join(args) if args else self.do

    def export(self, relocate: Relocate) -> dict[str, Any]:
        """The table an exported scenario writes for this step."""
        return self.to_table()


S = TypeVar("S", bound=Step)

REGISTRY: dict[str, type[Step]] = {}


def kind(cls: type[S]) -> type[S]:
    """Register a step kind under its `do` name."""
    assert cls.do not in REGISTRY, cls.do
    REGISTRY[cls.do] = cls
    return cls


def positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def work_from_table(t: Mapping[str, Any], now: datetime) -> WorkBead:
    """A WorkBead from a scenario's work table; missing fields default (status open, ready,
    created at `now`)."""
    from core.formats.timefmt import parse_time
    from core.world.beads import WorkBead

    return WorkBead(
        id=str(t["id"]),
        status=str(t.get("status", "open")),
        assignee=str(t.get("assignee", "")),
        routed_to=str(t.get("routed_to", "")),
        priority=int(t.get("priority", 0)),
        ready=bool(t.get("ready", True)),
        created_at=parse_time(t.get("created_at")) or now,
        title=str(t.get("title", "")),
        store=str(t.get("store", "")),
        type=str(t.get("type", "")),
        metadata=tuple(sorted((str(k), str(v)) for k, v in (t.get("metadata") or {}).items())),
    )
