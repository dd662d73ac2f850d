"""The city config the model runs on when attached through a supervisor's API.

The API's `/config` names the workspace, the rigs and each agent (name, dir, scope, whether it
is a pool, provider, suspended), but not the settings that shape identities: pool bounds,
named sessions, namepools, scale_check, depends_on. `city_from_api` fills what it can from the
API's own summaries: `status.agent_details[].scale_label` (`scaled (min=N, max=M)`, once per
pool group) gives a pool's bounds, `status.named_session_details` the named sessions and their
modes, and an agent the API says is not a pool can hold one session at a time. What stays
unknown is said in the returned notes: a pool's scale_check (the model then counts routed work,
as Gas City does for a pool without one), a namepool, a named session whose name differs from
its template. `compare_configs` lists where a local copy of the config (`--config DIR`, which the
model then uses instead) disagrees with what the supervisor runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from core.attach.api.records import CityStatus, ConfigView, parse_scale_label
from core.config.city_config import Agent, City, NamedSession, Origin, Rig, Workspace, qualify


def city_from_api(config: ConfigView, status: CityStatus | None, *, root: str, source: str) -> tuple[City, list[str]]:
    """A City built from the API's config and status (see the module docstring), and notes on
    what the API does not say. `source` names where it came from (shown as each agent's file)."""
    labels: dict[str, tuple[int, int | None]] = {}
    for d in (status.agent_details if status else ()):
        bounds = parse_scale_label(d.scale_label) if d.scale_label else None
        if bounds is not None:
            labels[d.group_name or d.qualified_name] = bounds
    agents: list[Agent] = []
    guessed: list[str] = []
    for i, a in enumerate(config.agents):
        qn = qualify(a.dir, "", a.name)
        bounds = labels.get(qn)
        lo: int | None = None
        hi: int | None
        if bounds is not None:
            lo, hi = bounds
            if hi == 1 and a.is_pool:
                hi = None  # Gas City labels an unset max as max=1; a pool of at most one is not a pool
            if not (hi == 1 and not a.is_pool) and lo == 0:
                lo = None  # min matters only for a pool of one (it makes it a pool); 0 is the default
        elif a.is_pool:
            hi = None
            if status is not None:
                guessed.append(qn)
        else:
            hi = 1
        agents.append(Agent(name=a.name, dir=a.dir, scope=a.scope, suspended=a.suspended, provider=a.provider,
                            max_active_sessions=hi, min_active_sessions=lo,
                            origin=Origin(source, f"agents[{i}]")))
    named = []
    for i, n in enumerate(status.named_sessions if status else ()):
        dir_, _, base = n.identity.rpartition("/")
        if base:
            named.append(NamedSession(template=base, dir=dir_, mode=n.mode, scope="rig" if dir_ else "city",
                                      origin=Origin(source, f"named_session_details[{i}]")))
    rigs = [Rig(name=r.name, path=r.path, prefix=r.prefix, suspended=r.suspended, origin=Origin(source, "rigs"))
            for r in config.rigs]
    ws = Workspace(name=config.name, prefix=config.prefix, provider=config.provider,
                   max_active_sessions=config.max_active_sessions, session_template=config.session_template,
                   suspended=config.suspended)
    digest = hashlib.sha256(json.dumps([asdict(config), asdict(status) if status else None], sort_keys=True,
                                       default=str).encode()).hexdigest()
    city = City(root=root, path=source, workspace=ws, agents=agents, named_sessions=named, rigs=rigs,
                revision="api:" + digest[:12], resolved_name=config.name)
    notes = ["the model runs on the supervisor's API config, which does not carry scale_check, namepools, "
             "depends_on or other agent settings: pools without a traced scale_check count routed work, as Gas "
             "City does for a pool without one; give --config DIR (a copy of the city's config) for the exact "
             "model"]
    if status is None:
        notes.append("the city's status could not be read: pool bounds and named sessions are unknown")
    if guessed:
        notes.append(f"no pool bounds in the status for {', '.join(guessed)}: the model takes them as unlimited")
    return city, notes


def compare_configs(local: City, api: ConfigView) -> list[str]:
    """Where a local copy of the config differs from the one the supervisor runs: agents one
    has and the other does not, and agents suspended in one only."""
    mine = {qualify(a.dir, "", a.name): a for a in local.agents}
    theirs = {qualify(a.dir, "", a.name): a for a in api.agents}
    out = []
    only_local = sorted(set(mine) - set(theirs))
    only_api = sorted(set(theirs) - set(mine))
    if only_local:
        out.append(f"agents in the local config that the supervisor does not run: {', '.join(only_local)}")
    if only_api:
        out.append(f"agents the supervisor runs that the local config does not have: {', '.join(only_api)}")
    differ = sorted(qn for qn in set(mine) & set(theirs) if mine[qn].suspended != theirs[qn].suspended)
    if differ:
        out.append(f"agents suspended in one config and not the other: {', '.join(differ)}")
    if api.name and local.workspace.name and api.name != local.workspace.name:
        out.append(f"the workspace is {api.name!r} on the supervisor and {local.workspace.name!r} locally")
    return out
