"""Effective suspension of the city, its rigs and its agents (cmd_suspend.go, suspension_state.go).

A city or rig is suspended by its config (`[workspace] suspended_on_start`, `[[rigs]]
suspended_on_start`, and their deprecated `suspended` spelling) unless the runtime suspension
state (`.gc/runtime/suspension-state.json`, written by `gc suspend` / `gc resume`) overrides it
explicitly; `GC_SUSPENDED=1` in the controller's environment suspends the city whatever both
say. An agent is suspended when the city is, when it is itself, or when its rig is
(isAgentEffectivelySuspendedWith): suspension inherits downward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config.city_config import Agent, City


@dataclass(frozen=True)
class RuntimeSuspension:
    """The runtime suspension state: explicit overrides (None = none) and the GC_SUSPENDED
    escape hatch."""
    city: bool | None = None
    rigs: Mapping[str, bool] = field(default_factory=dict)
    env_suspended: bool = False  # GC_SUSPENDED=1

    def updated(self, t: Mapping) -> RuntimeSuspension:
        """This state with a suspension table applied: `city` (gc suspend / gc resume), `rigs`
        (gc rig suspend / gc rig resume, merged by rig) and `gc_suspended` (GC_SUSPENDED=1)."""
        rigs = dict(self.rigs)
        rigs.update({str(k): bool(v) for k, v in (t.get("rigs") or {}).items()})
        return RuntimeSuspension(city=bool(t["city"]) if "city" in t else self.city, rigs=rigs,
                                 env_suspended=bool(t["gc_suspended"]) if "gc_suspended" in t else self.env_suspended)

    def to_json(self) -> dict:
        out: dict = {}
        if self.city is not None:
            out["city"] = self.city
        if self.rigs:
            out["rigs"] = dict(sorted(self.rigs.items()))
        if self.env_suspended:
            out["gc_suspended"] = True
        return out

    @classmethod
    def from_json(cls, d: Mapping | None) -> RuntimeSuspension:
        d = d or {}
        city = d.get("city")
        return cls(None if city is None else bool(city), {str(k): bool(v) for k, v in (d.get("rigs") or {}).items()},
                   bool(d.get("gc_suspended", False)))


def city_suspended(city: City, st: RuntimeSuspension) -> bool:
    """effectiveCitySuspended: GC_SUSPENDED=1, else the explicit runtime override, else the
    workspace's suspended_on_start."""
    if st.env_suspended:
        return True
    if st.city is not None:
        return st.city
    return city.workspace.suspended


def suspended_rigs(city: City, st: RuntimeSuspension) -> set[str]:
    """buildEffectiveSuspendedRigNames: each rig's explicit runtime override, else its
    suspended_on_start."""
    return {r.name for r in city.rigs if st.rigs.get(r.name, r.suspended)}


def agent_suspended(city: City, st: RuntimeSuspension, a: Agent, rigs: set[str] | None = None) -> bool:
    """isAgentEffectivelySuspendedWith: the city, the agent itself, or its rig."""
    if city_suspended(city, st) or a.suspended:
        return True
    rigs = suspended_rigs(city, st) if rigs is None else rigs
    return bool(a.dir) and a.dir in rigs


def city_note(city: City, st: RuntimeSuspension) -> str:
    """The header's suspension note: what suspends the city, else which rigs are suspended."""
    city_why = why_suspended(city, st)
    if city_why:
        return city_why.upper()[:1] + city_why[1:]
    rigs = sorted(suspended_rigs(city, st))
    return f"rig{'s' if len(rigs) > 1 else ''} {', '.join(rigs)} suspended" if rigs else ""


def why_suspended(city: City, st: RuntimeSuspension, a: Agent | None = None) -> str:
    """What suspends the city (or the agent), for an operator: "" when nothing does."""
    if st.env_suspended:
        return "city suspended (GC_SUSPENDED=1)"
    if st.city is True:
        return "city suspended (gc suspend)"
    if st.city is None and city.workspace.suspended:
        return "city suspended ([workspace] suspended_on_start)"
    if a is None:
        return ""
    if a.suspended:
        return f"agent {a.qualified_name} suspended"
    if a.dir:
        explicit = st.rigs.get(a.dir)
        if explicit is True:
            return f"rig {a.dir} suspended (gc rig suspend)"
        rig = city.rig(a.dir)
        if explicit is None and rig is not None and rig.suspended:
            return f"rig {a.dir} suspended (suspended_on_start)"
    return ""
