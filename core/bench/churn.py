"""What happens in the benchmark city between two ticks: work is added, claimed and closed,
sessions show activity, exit and crash. A `Script` for the `Driver`, so every press is recorded
exactly as an operator's would be.

The happenings are scenario steps chosen by a generator seeded with (seed, tick): the same
world and seed always give the same steps.
"""

from __future__ import annotations

import random
from typing import Any

from core.bench.city import rig_name
from core.bench.world import ROUTED
from core.model.facade import Model
from core.model.patrol import tick_steps
from core.session.driver import Unscripted
from core.steps import Step
from core.world import beads as B


class Churn(Unscripted):
    """Each press: the happenings due before the coming tick, then the tick itself. Rates are
    per rig block, so churn grows with the city."""

    def __init__(self, blocks: int, seed: int = 0) -> None:
        self.blocks = blocks
        self.seed = seed

    def done(self) -> None:
        pass

    def describe(self, model: Model) -> str:
        return f"benchmark churn over {self.blocks} rig blocks"

    def next_steps(self, model: Model) -> list[Step | dict[str, Any]]:
        """The pokes before the coming tick, then an advance and the tick (`tick_steps`)."""
        rng = random.Random(self.seed * 1_000_003 + model.world.tick)
        steps: list[Step | dict[str, Any]] = list(tick_steps(model))
        return steps[:-1] + self.pokes(model, rng) + steps[-1:]

    def pokes(self, model: Model, rng: random.Random) -> list[dict[str, Any]]:
        b = self.blocks
        out: list[dict[str, Any]] = []
        out += _add_work(model, rng, max(1, b // 2))
        out += _claim_work(model, rng, max(1, b // 3))
        out += _close_work(model, rng, max(1, b // 3))
        names = sorted(n for n, s in model.world.runtime.sessions.items() if s.alive)
        picked = rng.sample(names, min(len(names), b + max(1, b // 10) + max(1, b // 20)))
        exits, crashes = max(1, b // 10), max(1, b // 20)
        for name in picked[:exits]:
            out.append({"do": "runtime_exit", "name": name})
        for name in picked[exits:exits + crashes]:
            out.append({"do": "runtime_exit", "name": name, "crash": True})
        for name in picked[exits + crashes:]:
            out.append({"do": "activity", "name": name})
        return out


def _rig(rng: random.Random, model: Model) -> str:
    rigs = model.city.rigs
    return rig_name(rng.randrange(len(rigs))) if rigs else rig_name(0)


def _add_work(model: Model, rng: random.Random, count: int) -> list[dict[str, Any]]:
    store = model.world.store
    n = len(store.work) + 1
    out = []
    for _ in range(count):
        while store.work_bead(f"w-{n}") is not None:
            n += 1
        template = f"{_rig(rng, model)}/{ROUTED[rng.randrange(len(ROUTED))]}"
        out.append({"do": "add_work", "id": f"w-{n}", "routed_to": template, "priority": rng.randrange(4),
                    "title": f"task {n}"})
        n += 1
    return out


def _live_identities(model: Model, template: str) -> list[str]:
    """Identities of the live sessions of `template` with no work in progress, sorted."""
    store, rt = model.world.store, model.world.runtime
    out = []
    for b in store.open_by(B.TEMPLATE, template):
        ident = b.alias or b.agent_name
        if ident and rt.alive(b.session_name) and not store.work_assigned_to(ident):
            out.append(ident)
    return sorted(out)


def _claim_work(model: Model, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """A live, idle session takes the oldest ready work routed to its template."""
    store = model.world.store
    out, taken, busy = [], set(), set()
    for _ in range(count):
        template = f"{_rig(rng, model)}/{ROUTED[rng.randrange(len(ROUTED))]}"
        free = sorted((w for w in store.work_routed_to(template) if not w.assignee and w.ready and w.id not in taken),
                      key=lambda w: B.natural_key(w.id))
        idle = [i for i in _live_identities(model, template) if i not in busy]
        if free and idle:
            taken.add(free[0].id)
            busy.add(idle[0])
            out.append({"do": "update_work", "id": free[0].id, "assignee": idle[0], "status": "in_progress"})
    return out


def _close_work(model: Model, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Sessions finish work they hold."""
    store = model.world.store
    held = store.assigned_work()
    out = []
    for w in rng.sample(held, min(count, len(held))):
        out.append({"do": "update_work", "id": w.id, "status": "closed"})
    return out
