"""set_detached_probe: what probing a `gc.detached` spec answers from this step on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.outcome import Outcome
from core.steps import scenario_schema as SS
from core.steps.base import LoadCity, Located, Step, Target, kind
from core.world.world import DETACHED_PROBE_RESULTS


@kind
@dataclass(frozen=True, kw_only=True, slots=True)
class SetDetachedProbe(Step):
    """Give or change the answer of the detached-work probe of `spec` (as `[detached_probe]`
    does at step 0): Gas City probes before releasing orphaned pool work that carries the spec
    (detachedProbeAllowsOrphanRelease), and its count of consecutive failed probes of a work
    bead starts again after an alive or dead answer, so a case can fail a probe, let it answer,
    and fail it again."""

    do: ClassVar[str] = "set_detached_probe"
    KEYS: ClassVar[dict[str, str]] = {"spec": SS.STR, "answer": SS.STR}
    REQUIRED: ClassVar[tuple[str, ...]] = ("spec", "answer")
    spec: str = ""
    answer: str = ""

    @classmethod
    def check_refs(cls, sc: Located, table: dict[str, Any], fp: str) -> None:
        if table["answer"] not in DETACHED_PROBE_RESULTS:
            raise sc.loc(f"{fp}.answer", f'a detached probe answers one of {", ".join(DETACHED_PROBE_RESULTS)}, '
                                         f'got "{table["answer"]}"')

    def apply(self, model: Target, load_city: LoadCity | None) -> Outcome:
        model.world.detached_probe = model.world.detached_probe.set(str(self.spec), str(self.answer))
        return Outcome(notes=[f"the detached probe of {self.spec} answers {self.answer} (given by the scenario)"])
