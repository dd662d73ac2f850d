"""Steps that change what the controller reads besides the world's beads and sessions:
edit_config, set_scale_check and set_suspension."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Located, Relocate, Step, Target, kind

if TYPE_CHECKING:
    from core.config.city_config import City


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class EditConfig(Step):
    """A new config (an inline `city` table or a `city_file`), applied at the next tick.

    Not keys: `loaded`, a config already loaded (the app's reload), and `at`, the step's place
    in its scenario file, where errors in a config loaded later are located."""

    do: ClassVar[str] = "edit_config"
    KEYS: ClassVar[dict[str, str]] = {"city": SS.ANY_TABLE, "city_file": SS.STR}
    HIDDEN: ClassVar[tuple[str, ...]] = ("loaded", "at")
    city: dict[str, Any] | None = None
    city_file: str = ""
    loaded: City | None = field(default=None, compare=False)
    at: int | None = None

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.cities.append(sc.load_city(table, fp))
        sc.templates |= {a.qualified_name for a in sc.cities[-1].agents}

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        if self.loaded is not None:
            new = self.loaded
        else:
            assert load_city is not None
            new = load_city(self)
        model.pending_city = new
        return Outcome(notes=["config edited; applied at the next tick"])

    def label(self) -> str:
        return "config edit"

    def export(self, relocate: Relocate) -> dict[str, Any]:
        out = self.to_table()
        if "city_file" in out:
            out["city_file"] = relocate.city_file(out["city_file"])
        if isinstance(out.get("city"), dict):
            out["city"] = relocate.city_table(out["city"])
        return out


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetScaleCheck(Step):
    """The scale_check result of `template` (`ran`: what its command printed when run for real)."""

    do: ClassVar[str] = "set_scale_check"
    KEYS: ClassVar[dict[str, str]] = {"template": SS.STR, "value": SS.SCALE, "ran": SS.BOOL, "reason": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("template", "value")
    template: str = ""
    value: int | str = 0
    ran: bool = False
    reason: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if all(c.agent(table["template"]) is None for c in sc.cities):
            raise sc.loc(f"{fp}.template", f'unknown template "{table["template"]}"')

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_scale_check(self.template, self.value, bool(self.ran), str(self.reason))

    def label(self) -> str:
        if self.ran:
            return f"scale_check {self.template} read {self.value}"
        return super(SetScaleCheck, self).label()  # (slots: the class is rebuilt, so name it)


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetSuspension(Step):
    """What `gc suspend`/`gc resume` and their rig forms write to the runtime suspension state."""

    do: ClassVar[str] = "set_suspension"
    KEYS: ClassVar[dict[str, str]] = SS.SUSPENSION
    city: bool = False
    rigs: dict[str, bool] | None = None
    gc_suspended: bool = False

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        sc.check_suspension({k: v for k, v in table.items() if k != "do"}, fp)

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        return model.set_suspension(self.values())
