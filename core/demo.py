"""The embedded demo city: `harbor` (core/demo/city.toml), its starting world (demo.toml, a
scenario) and a repeating script of work, exits and crashes (script.toml).

Everything is deterministic: the script's selectors resolve against the model's own state, in
sorted order, so the same number of presses always gives the same city.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import tomli

from core.model.facade import Model
from core.model.patrol import tick_steps
from core.session.driver import Driver, Unscripted, open_scenario
from core.steps import Step

DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo")
DEMO_SCENARIO = os.path.join(DEMO_DIR, "demo.toml")
DEMO_CITY = os.path.join(DEMO_DIR, "city.toml")
DEMO_SCRIPT = os.path.join(DEMO_DIR, "script.toml")

SELECTING = {"runtime_exit", "activity", "attach", "detach", "drain_ack"}


@dataclass(frozen=True)
class Cue:
    """One scripted happening: at tick `tick` of every period, do `step`."""

    tick: int
    step: dict[str, Any]


def load_script(path: str = DEMO_SCRIPT) -> tuple[int, list[Cue]]:
    """The demo script at `path`: its period in ticks and its cues; raises ValueError for a cue
    tick outside 1..period."""
    with open(path, "rb") as f:
        d = tomli.load(f)
    period = int(d["period"])
    cues = []
    for c in d.get("at", []):
        c = dict(c)
        tick = int(c.pop("tick"))
        if not 1 <= tick <= period:
            raise ValueError(f"{path}: at.tick {tick} is outside 1..{period}")
        cues.append(Cue(tick, c))
    return period, cues


class DemoScript(Unscripted):
    """Each press: the cues due before the coming tick, then the tick itself."""

    replayable = True  # the cues of a press depend on the coming tick and the model alone

    def __init__(self, path: str = DEMO_SCRIPT) -> None:
        self.period, self.cues = load_script(path)

    def done(self) -> None:
        pass  # the script is a function of the tick number

    def describe(self, model: Model) -> str:
        return f"demo script, cycle tick {self._phase(model.world.tick + 1)}/{self.period}"

    def _phase(self, tick: int) -> int:
        return (tick - 1) % self.period + 1

    def next_steps(self, model: Model) -> list[Step | dict[str, Any]]:
        coming = model.world.tick + 1
        phase = self._phase(coming)
        cycle = (coming - 1) // self.period
        steps: list[Step | dict[str, Any]] = list(tick_steps(model))
        pokes = []
        for cue in self.cues:
            if cue.tick == phase:
                step = resolve(model, cue.step, cycle)
                if step is not None:
                    pokes.append(step)
        return steps[:-1] + pokes + steps[-1:]


def _live_sessions(model: Model, template: str) -> list[tuple[str, str]]:
    """(runtime name, identity) of the live sessions of `template`, sorted by name."""
    out = []
    rt = model.world.runtime
    for b in model.world.store.open_sessions():
        if b.template != template or not b.session_name:
            continue
        s = rt.get(b.session_name)
        if s is not None and s.process_alive:
            out.append((b.session_name, b.alias or b.agent_name or b.session_name))
    out.sort()
    return out


def resolve(model: Model, cue: dict[str, Any], cycle: int) -> dict[str, Any] | None:
    """The concrete scenario step for a cue now, or None when it has nothing to act on."""
    kind = cue["do"]
    template = cue.get("template", "")
    if kind == "add_work":
        step = {k: v for k, v in cue.items()}
        step["id"] = model.new_work_id()
        return step
    if kind in SELECTING and template:
        live = _live_sessions(model, template)
        if not live:
            return None
        name = live[cycle % len(live)][0]
        step = {k: v for k, v in cue.items() if k != "template"}
        step["name"] = name
        return step
    store = model.world.store
    if kind == "claim_work":
        work = [w for w in store.open_work() if w.routed_to == template and not w.assignee]
        live = _live_sessions(model, template)
        busy = {w.assignee for w in store.open_work() if w.status == "in_progress"}
        free = [ident for _, ident in live if ident not in busy]
        if not work or not free:
            return None
        return {"do": "update_work", "id": work[0].id, "assignee": free[0], "status": "in_progress"}
    if kind == "close_work":
        work = [w for w in store.open_work() if w.routed_to == template]
        work.sort(key=lambda w: (w.status != "in_progress",))
        if not work:
            return None
        return {"do": "update_work", "id": work[0].id, "status": "closed"}
    return dict(cue)


def open_demo(semantics: str = "current", history_limit: int | None = None) -> Driver:
    """A session on the demo city, at its starting world, driven by the demo script (time travel
    keeping `history_limit` recorded steps, by default the driver's)."""
    kw = {"history_limit": history_limit} if history_limit else {}
    d = open_scenario(DEMO_SCENARIO, script=DemoScript(), **kw)
    if semantics != "current":
        d.set_semantics(semantics)
    return d
