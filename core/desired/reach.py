"""Which store's work an agent can serve (assigned_work_scope.go): work bead reachability for
pool demand and named-session demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config.model import Agent
    from core.desired.context import BuildContext
    from core.world.beads import WorkBead


CITY_STORE = "city"


def work_reachable(ctx: "BuildContext", a: "Agent", w: "WorkBead") -> bool:
    """assignedWorkIndexReachableFromAgent: a city-scope agent (scope = "city") serves work in
    any store; any other agent only work in its configured rig's store (ConfiguredRigName; an
    agent with no rig serves the city store). A work bead whose store is not given (`store`
    unset) carries no store reference and is reachable from every agent, as Gas City treats
    work handed over without store references."""
    if not w.store or a.scope.strip() == "city":
        return True
    return w.store == (configured_rig_name(ctx, a) or CITY_STORE)


def configured_rig_name(ctx: "BuildContext", a: "Agent") -> str:
    """ConfiguredRigName: the rig an agent's dir names, else the rig at that path; "" for none."""
    if not a.dir:
        return ""
    for r in ctx.city.rigs:
        if r.name == a.dir:
            return r.name
    for r in ctx.city.rigs:
        if r.path.rstrip("/") == a.dir.rstrip("/"):
            return r.name
    return ""
