"""What a city and its world actually contain, counted from the config and the beads with the
model's own predicates (not from how the benchmark meant to lay them out)."""

from __future__ import annotations

from core.config.city_config import City
from core.formats.durations import try_duration
from core.identity import canonical_singleton, shape, stale_suffixed
from core.world.world import World

SHAPES = ("canonical_singleton_scale_check", "slot_pool", "namepool", "unlimited", "named_always",
          "named_on_demand", "depends_on", "rig_agents", "deferral", "idle_timeout_due", "max_session_age_due")


def census(city: City, world: World) -> dict[str, int]:
    """How many of each identity shape the city and world hold (every key of `SHAPES`), plus the
    world's totals."""
    kinds = {a.qualified_name: shape(a, city).kind for a in city.agents}
    rigs = {r.name for r in city.rigs}
    out = {k: 0 for k in SHAPES}
    for a in city.agents:
        kind = kinds[a.qualified_name]
        out["canonical_singleton_scale_check"] += canonical_singleton(a) and a.has_scale_check
        out["slot_pool"] += kind == "slot-pool"
        out["namepool"] += kind == "namepool"
        out["unlimited"] += kind == "unlimited"
        out["depends_on"] += bool(a.depends_on)
        out["rig_agents"] += a.dir in rigs
    for n in city.named_sessions:
        out["named_" + n.effective_mode] += 1
    store, rt = world.store, world.runtime
    open_beads = store.open_sessions()
    aliases = {b.alias: b.id for b in open_beads if b.alias}
    for b in open_beads:
        agent = city.agent(b.template)
        if agent is None:
            continue
        # A stale `name-N` bead of a canonical singleton whose canonical alias another bead holds.
        if canonical_singleton(agent) and stale_suffixed(agent, b.agent_name) and aliases.get(agent.qualified_name, b.id) != b.id:
            out["deferral"] += 1
        s = rt.get(b.session_name)
        if s is None or not s.alive:
            continue
        idle = try_duration(agent.idle_timeout)
        if idle and s.last_activity is not None and (world.now - s.last_activity).total_seconds() >= idle:
            out["idle_timeout_due"] += 1
        age = try_duration(agent.max_session_age)
        if age and s.started_at is not None and (world.now - s.started_at).total_seconds() >= age:
            out["max_session_age_due"] += 1
    out.update({"agents": len(city.agents), "session_beads": len(store.sessions), "open_sessions": len(open_beads),
                "work_beads": len(store.work), "runtime_sessions": len(rt.sessions)})
    return out
