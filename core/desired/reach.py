"""Which store's work an agent can serve (assigned_work_scope.go): work bead reachability for
pool demand and named-session demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config.city_config import Agent, Rig
    from core.desired.context import BuildContext
    from core.world.beads import WorkBead


CITY_STORE = "city"


def work_reachable(ctx: BuildContext, a: Agent, w: WorkBead) -> bool:
    """assignedWorkIndexReachableFromAgent: a city-scope agent (scope = "city") serves work in
    any store; any other agent only work in its configured rig's store (ConfiguredRigName; an
    agent with no rig serves the city store). A work bead whose store is not given (`store`
    unset) carries no store reference and is reachable from every agent, as Gas City treats
    work handed over without store references."""
    if not w.store or a.scope.strip() == "city":
        return True
    return w.store == (configured_rig_name(ctx, a) or CITY_STORE)


def configured_rig_name(ctx: BuildContext, a: Agent) -> str:
    """ConfiguredRigName: the rig an agent's dir names, else the rig at that path; "" for none."""
    if not a.dir:
        return ""
    names, by_path = ctx.city.derived(configured_rig_name, lambda: _rig_indexes(ctx.city.rigs))
    if a.dir in names:
        return a.dir
    return by_path.get(a.dir.rstrip("/"), "")


def _rig_indexes(rigs: list[Rig]) -> tuple[frozenset[str], dict[str, str]]:
    """The rig names, and each rig path (trailing slashes dropped) to the first rig at it: the
    two scans ConfiguredRigName makes, done once per config (every agent and bead asks)."""
    by_path: dict[str, str] = {}
    for r in rigs:
        by_path.setdefault(r.path.rstrip("/"), r.name)
    return frozenset(r.name for r in rigs), by_path


def filter_for_session_wake(ctx: BuildContext, collected: list[WorkBead]) -> list[WorkBead]:
    """filterAssignedWorkBeadsForSessionWake: the assigned work the awake computation sees. A
    work bead is kept when its assignee is reachable from the store it lives in: a configured
    named identity or an open session's identities and template, each reachable from its agent's
    store (a city-scope agent's from every store). Work without a store reference is kept, as
    Gas City keeps work handed over without store references."""
    reach: dict[str, set[str]] = {}
    cross: set[str] = set()
    store_of_dir: dict[str, str] = {}  # an agent's store is a function of its dir (and the rigs)

    def add(ident: str, ref: str) -> None:
        ident = ident.strip()
        if ident:
            reach.setdefault(ident, set()).add(ref)

    for n in ctx.city.named_sessions:
        spec = ctx.named_spec(n.identity)
        if spec is None:
            continue
        a = spec[1]
        if a.scope.strip() == "city":
            cross.add(n.identity.strip())
            continue
        add(n.identity, configured_rig_name(ctx, a) or CITY_STORE)
    for b in ctx.store.open_sessions():
        template = ctx.normalized_session_template(b).strip() or b.template.strip()
        agent = ctx.find_agent_by_template(template)
        if agent is None:
            continue
        if agent.scope.strip() == "city":
            cross.update(i.strip() for i in b.assignee_identities())
            cross.add(template)
            continue
        ref = store_of_dir.get(agent.dir, "")
        if not ref:
            ref = store_of_dir[agent.dir] = configured_rig_name(ctx, agent) or CITY_STORE
        for i in b.assignee_identities():
            add(i, ref)
        add(template, ref)
    out = []
    for w in collected:
        if not w.store:
            out.append(w)
            continue
        assignee = w.assignee.strip()
        if assignee and (assignee in cross or w.store in reach.get(assignee, ())):
            out.append(w)
    return out
