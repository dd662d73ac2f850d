"""The city's agents as the Agents panel shows them: shape, bounds and session counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.identity import shape

if TYPE_CHECKING:
    from core.model import Model


@dataclass(frozen=True)
class AgentRow:
    key: str  # qualified name
    shape: str
    shape_detail: str
    bounds: str
    scale_check: str
    desired: int
    open: int
    running: int
    suspended: bool


def bounds_text(min_count: int, min_set: bool, max_: int | None) -> str:
    """`min..max` with ∞ for an unlimited pool; min shows as 0 when unset."""
    hi = "∞" if max_ is None or max_ < 0 else str(max_)
    lo = str(min_count) if min_set else "0"
    return f"{lo}..{hi}"


def agent_rows(model: "Model") -> list[AgentRow]:
    """One row per configured agent, in the config's merged order.

    `scale_check` shows the simulated result the controller would read (or "—" when the agent
    has none); the counts are desired entries, open session beads and live runtime sessions of
    the template.
    """
    city = model.city
    desired: dict[str, int] = {}
    if model.last_desired is not None:
        for e in model.last_desired.entries.values():
            desired[e.template] = desired.get(e.template, 0) + 1
    open_: dict[str, int] = {}
    running: dict[str, int] = {}
    rt = model.world.runtime
    for b in model.world.store.open_sessions():
        open_[b.template] = open_.get(b.template, 0) + 1
        s = rt.get(b.session_name) if b.session_name else None
        if s is not None and s.process_alive:
            running[b.template] = running.get(b.template, 0) + 1
    rows = []
    for a in city.agents:
        qn = a.qualified_name
        sh = shape(a, city, model.semantics)
        sc = "—"
        if a.has_scale_check:
            sc = str(model.world.scale_check(qn))
        rows.append(AgentRow(qn, sh.label, sh.detail, bounds_text(a.min_count, a.min_set, a.max_active_sessions), sc,
                             desired.get(qn, 0), open_.get(qn, 0), running.get(qn, 0), a.suspended))
    return rows
