"""The step registry: one typed definition per scenario step kind (docs/scenario-extensions.md).

Every module of this package defines step kinds (`@kind` classes, see core/steps/base.py) and
is imported here, so a new kind lands by adding or editing one module of this package: the
loader, `Model.do`, the app's labels and export all find it through `REGISTRY`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from core.steps.base import REGISTRY, LoadCity, Step, UnknownStep, work_from_table

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")


def step_class(do: Any) -> type[Step] | None:
    """The kind named `do`, or None."""
    return REGISTRY.get(do) if isinstance(do, str) else None


def as_step(step: Step | Mapping[str, Any]) -> Step:
    """`step` as a typed record: a table (`{"do": ..., ...}`) is read by its kind. Raises
    UnknownStep for a kind or a key that does not exist."""
    if isinstance(step, Step):
        return step
    cls = step_class(step.get("do"))
    if cls is None:
        raise UnknownStep(f'unknown step "{step.get("do")}"')
    return cls.from_table(step)


__all__ = ["REGISTRY", "LoadCity", "Step", "UnknownStep", "as_step", "step_class", "work_from_table"]
