"""The city's agents as the Agents panel shows them: shape, bounds and session counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.desired.entries import Why
from core.identity import shape

if TYPE_CHECKING:
    from core.model_view import ModelView


@dataclass(frozen=True)
class AgentRow:
    """One agent's row on the board: identity shape, bounds, scale check, and session counts."""
    key: str  # qualified name
    shape: str
    shape_detail: str
    bounds: str
    scale_check: str
    desired: int
    open: int
    running: int
    suspended: bool  # effectively: the agent, its rig or the city (isAgentEffectivelySuspendedWith)
    scale_source: str = ""  # "run" (its command ran for real), "simulated", or "" (no scale_check)
    scale_detail: str = ""  # for people: the value or the failure reason, and when it ran
    inactive: str = ""  # why the template produces no session at all ("" = it is a live template)
    suspended_by: str = ""  # what suspends it, for people ("city suspended (gc suspend)", "rig x ...")

    @property
    def note(self) -> str:
        """What the row's note column says: why it produces no session, or that it is suspended."""
        return self.inactive or ("suspended" if self.suspended else "")


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """A template's identity in its detail: shape, bounds and what suspends it or makes it
    produce no session."""
    template: str
    shape: str
    shape_detail: str
    bounds: str
    suspended: bool
    no_session: str
    suspended_by: str

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "shape": self.shape, "shape_detail": self.shape_detail,
                "bounds": self.bounds, "suspended": self.suspended, "no_session": self.no_session,
                "suspended_by": self.suspended_by}


@dataclass(frozen=True, slots=True)
class AgentDemand:
    """A template's demand in its detail: its scale_check read in words, where it came from,
    whether the read was partial, and its desired, open and running session counts."""
    scale_check: str
    source: str
    partial: bool
    desired: int
    open: int
    running: int

    def to_json(self) -> dict[str, Any]:
        return {"scale_check": self.scale_check, "source": self.source, "partial": self.partial,
                "desired": self.desired, "open": self.open, "running": self.running}


@dataclass(frozen=True, slots=True)
class AgentDetail:
    """The Why panel's view of one template (selected in the Agents panel): a summary, then its
    identity and demand sections, read like an explanation (core.explain.records) with no
    rules; `to_json()` keeps the form the Why panel lists field by field."""
    summary: str
    identity: AgentIdentity
    demand: AgentDemand
    found: bool = False  # not a session's chain: the panel adds no "no rule chain" line
    rules: tuple[Why, ...] = ()

    def sections(self) -> tuple[tuple[str, AgentIdentity | AgentDemand], ...]:
        """(name, section) in reading order: identity, demand."""
        return (("identity", self.identity), ("demand", self.demand))

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "identity": self.identity.to_json(), "demand": self.demand.to_json()}


def scale_check_view(model: ModelView, template: str) -> tuple[str, str, str]:
    """(cell, source, detail) of `template`'s scale_check: the last real run's value or
    "partial !" with its reason and tick, else the simulated value."""
    agent = model.city.agent(template)
    if agent is None or not agent.has_scale_check:
        return "—", "", "no scale_check: demand comes from routed work"
    run = model.world.scale_check_run(template)
    if run is not None:
        return run.cell, "run", run.describe()
    value = model.world.scale_check(template)
    return str(value), "simulated", f"{value} (simulated: scale_check commands run only with --run-scale-checks)"


def bounds_text(min_count: int, min_set: bool, max_: int | None) -> str:
    """`min..max` with ∞ for an unlimited pool; min shows as 0 when unset."""
    hi = "∞" if max_ is None or max_ < 0 else str(max_)
    lo = str(min_count) if min_set else "0"
    return f"{lo}..{hi}"


UNSTAMPED = "rig-scope template no rig receives: add a [[rigs]] entry to stamp it"
RIG_DEFAULT = "rig default not yet stamped: `gc rig add` stamps it into each new rig"


def agent_rows(model: ModelView) -> list[AgentRow]:
    """One row per configured agent, in the config's merged order, then the templates the config
    declares that produce no session (rig-scope templates no rig receives, rig defaults not yet
    stamped), each with the reason in `inactive`, as `config show` lists them.

    `scale_check` shows what the controller reads (`scale_check_view`): the last real run's
    count or "partial !", else the simulated result (or "—" when the agent has none); the counts are desired entries, open session beads and live runtime sessions of
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
    from core.world.suspension import why_suspended

    rows = []
    for a in city.agents:
        qn = a.qualified_name
        sh = shape(a, city, model.semantics)
        sc, source, detail = scale_check_view(model, qn)
        by = why_suspended(city, model.world.suspension, a)
        rows.append(AgentRow(qn, sh.label, sh.detail, bounds_text(a.min_count, a.min_set, a.max_active_sessions), sc,
                             desired.get(qn, 0), open_.get(qn, 0), running.get(qn, 0), bool(by), source, detail,
                             suspended_by=by))
    seen = {r.key for r in rows}
    for group, why in ((city.unstamped, UNSTAMPED), (city.rig_defaults, RIG_DEFAULT)):
        for a in group:
            if a.qualified_name in seen:
                continue
            seen.add(a.qualified_name)
            sh = shape(a, None, model.semantics)
            rows.append(AgentRow(a.qualified_name, sh.label, sh.detail,
                                 bounds_text(a.min_count, a.min_set, a.max_active_sessions), "—", 0, 0, 0, a.suspended,
                                 "", "no session: " + why, why))
    return rows


def agent_detail(model: ModelView, template: str) -> AgentDetail | None:
    """The Why panel's view of one template (selected in the Agents panel), read like an
    explanation: a summary, then identity and demand sections. None when unknown."""
    row = next((r for r in agent_rows(model) if r.key == template), None)
    if row is None:
        return None
    cell, source, detail = scale_check_view(model, template)
    partial = bool(model.last_desired and template in model.last_desired.partial_templates)
    state = {"run": "read from its command", "simulated": "simulated", "": "none"}[source]
    summary = f"{template}: {row.desired} desired, {row.open} open, {row.running} running; scale_check {state}"
    if row.inactive:
        summary = f"{template} produces no session: {row.inactive}"
        cell, source, detail = "—", "", row.scale_detail
    elif source == "run" and cell.startswith("partial"):
        summary = f"{template}: demand read partial, scale_check {detail}"
    return AgentDetail(
        summary,
        AgentIdentity(template, row.shape, row.shape_detail, row.bounds, row.suspended, row.inactive, row.suspended_by),
        AgentDemand(detail, source, partial, row.desired, row.open, row.running))
