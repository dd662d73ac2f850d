"""`citywatch plan`: what a config change will do to a city before it lands.

The model runs the same world forward twice, once with the config running now and once with the
new one (applied as the controller's hot reload would, or from the start for a fresh world), and
the plan is the difference between the two futures (core/change_plan/diff.py), never the raw
states. `make_plan` returns a typed `Plan`; `render_plan` lays it out like `terraform plan`;
`Plan.to_json` is the `--json` document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.change_plan.diff import Change, session_changes, summary, summary_line
from core.change_plan.future import run_futures
from core.change_plan.source import PlanError, Start, load_config, load_start
from core.config.city_config import City
from core.model.facade import Model

SCHEMA_VERSION = 1


@dataclass
class Plan:
    """The changes the new config makes over `ticks` ticks, and what the reader should know."""

    start: Start
    new_path: str
    new_city: City
    ticks: int
    changes: list[Change]
    warnings: list[str] = field(default_factory=list)  # the new config's warnings
    scale_checks: str = "simulated"  # simulated | run

    @property
    def empty(self) -> bool:
        """Whether the new config changes nothing the model can see."""
        return not self.changes

    def summary_line(self) -> str:
        """`Plan: 1 to create, 2 to drain, 1 to rename, 0 deferred`."""
        return summary_line(self.changes)

    def to_json(self) -> dict[str, Any]:
        """The plan as the `--json` document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "source": {"kind": self.start.kind, "path": self.start.path, "config_revision": self.start.city.revision},
            "new_config": {"path": self.new_path, "config_revision": self.new_city.revision},
            "ticks": self.ticks,
            "semantics": self.start.semantics,
            "scale_checks": self.scale_checks,
            "changes": [c.to_json() for c in self.changes],
            "summary": summary(self.changes),
            "warnings": self.warnings,
        }


def make_plan(source: str, new_config: str, *, ticks: int | None = None, now: datetime | None = None,
              packs_dir: str | None = None, semantics: str | None = None,
              scale_check_timeout: float | None = None) -> Plan:
    """Plan what `new_config` (a city.toml or a directory holding one) does to `source` (a live
    city directory, a scenario file or a bare city.toml) over `ticks` ticks (None: until a tick
    in which nothing acts, at most 10). With `scale_check_timeout` the scale_check commands of
    both configs run for real once; otherwise their simulated values are used and each change on
    a template with a scale_check says so. Raises PlanError (`unreachable` for a live city that
    cannot be read)."""
    if ticks is not None and ticks < 1:
        raise PlanError(f"--ticks: must be at least 1, got {ticks}")
    start = load_start(source, now=now, packs_dir=packs_dir, semantics=semantics)
    return plan_from(start, new_config, load_config(new_config, packs_dir), ticks=ticks,
                     scale_check_timeout=scale_check_timeout)


def plan_for_model(model: Model, new_city: City, label: str = "the edited config", *,
                   ticks: int | None = None) -> Plan:
    """What `new_city` would do to the world `model` holds now (the app's "what if" before a
    reload is applied); the model itself is not touched."""
    start = Start("model", "the running model", model.pending_city or model.city, model.world, model.semantics,
                  fresh=False)
    return plan_from(start, label, new_city, ticks=ticks)


def plan_from(start: Start, new_label: str, new: City, *, ticks: int | None = None,
              scale_check_timeout: float | None = None) -> Plan:
    """The plan of `new` against `start` (see make_plan)."""
    if ticks is not None and ticks < 1:
        raise PlanError(f"--ticks: must be at least 1, got {ticks}")
    if new.name != start.city.name:
        raise PlanError(f"{new_label}: renames the city from {start.city.name!r} to {new.name!r}; Gas City refuses "
                        "that on reload until the controller restarts, so there is no plan to show")
    current = start.model()
    proposed = start.model(new) if start.fresh else start.model()
    if not start.fresh:
        proposed.pending_city = new  # the controller's hot reload, applied at the next tick
    if scale_check_timeout is not None:
        _run_scale_checks(current, proposed, scale_check_timeout)
    a, b, n = run_futures(current, proposed, ticks)
    changes = session_changes(a, b)
    if scale_check_timeout is None:
        changes = _note_scale_checks(changes, start.city, new)
    changes.sort(key=lambda c: (c.agent, c.session, c.kind))
    warnings = [w.render() for w in new.warnings]
    return Plan(start, new_label, new, n, changes, warnings, "run" if scale_check_timeout is not None else "simulated")


def _run_scale_checks(current, proposed, timeout: float) -> None:
    from core.model.scalecheck import result_step, run_all

    for model, city in ((current, current.city), (proposed, proposed.pending_city or proposed.city)):
        for r in run_all(city, timeout):
            model.do(result_step(r))


def _note_scale_checks(changes: list[Change], *cities: City) -> list[Change]:
    checked = {a.qualified_name for c in cities for a in c.agents if a.has_scale_check}
    note = "rests on a simulated scale_check value (--run-scale-checks runs the command)"
    return [Change(c.kind, c.agent, c.session, c.bead_id, c.detail, c.rule, note) if c.agent in checked else c
            for c in changes]


__all__ = ["Plan", "PlanError", "make_plan", "plan_for_model"]
