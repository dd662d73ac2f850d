"""The state JSON of scenario-format.md: one object per step, stable and sorted."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from core.desired.alias import next_retry_at
from core.formats.goparse import atoi_or
from core.formats.timefmt import format_time
from core.world import beads as B
from core.world.beads import natural_key
from core.world.world import runtime_json, session_json, wait_json

if TYPE_CHECKING:
    from core.model_view import ModelView
    from core.outcome import Outcome
    from core.trackers.view import TrackerRow


@dataclass(frozen=True)
class AliasDeferral:
    """A session bead waiting for an alias another bead holds (the state JSON's `deferrals[]`
    row): the alias wanted, its holder and the holder's state ("" when nobody holds it now),
    the attempts so far, the last one and when the next is due."""
    bead_id: str
    session_name: str
    alias: str
    holder: str
    holder_state: str
    count: int
    last_at: str
    next_retry_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def deferrals(model: ModelView) -> list[AliasDeferral]:
    """Beads waiting for an alias: the alias wanted, who holds it now, attempts, next retry."""
    store = model.world.store
    out = []
    for b in store.open_sessions():
        wanted = b.get(B.POOL_ALIAS_CONFLICT)
        if not wanted or b.alias == wanted:
            continue
        holder = ""
        holder_state = ""
        for key in (B.ALIAS, B.SESSION_NAME, B.AGENT_NAME):
            for h in store.open_by(key, wanted):
                if h.id != b.id and not h.failed_create:
                    holder, holder_state = h.id, h.state
                    break
            if holder:
                break
        if not holder and any(n.identity == wanted for n in model.city.named_sessions):
            holder, holder_state = "(reserved: [[named_session]])", "reserved"
        out.append(AliasDeferral(
            bead_id=b.id,
            session_name=b.session_name,
            alias=wanted,
            holder=holder,
            holder_state=holder_state,
            count=atoi_or(b.get(B.POOL_ALIAS_CONFLICT_COUNT).strip()),
            last_at=b.get(B.POOL_ALIAS_CONFLICT_AT),
            next_retry_at=format_time(next_retry_at(b)),
        ))
    return out


def trackers(model: ModelView) -> list[TrackerRow]:
    """The model's tracker rows (see core.trackers.view.tracker_rows)."""
    from core.trackers.view import tracker_rows

    return tracker_rows(model)


@dataclass(frozen=True)
class SessionWakeReasons:
    """The wake reasons `gc session list` shows for one open session bead now."""
    bead: str
    session_name: str
    wake_reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"bead": self.bead, "session_name": self.session_name, "wake_reasons": list(self.wake_reasons)}


def session_reasons(model: ModelView) -> list[SessionWakeReasons]:
    """Per open session bead, the wake reasons `gc session list` shows for it now
    (core.views.wake_reasons.list_wake_reasons)."""
    from core.views.wake_reasons import list_wake_reasons

    return [SessionWakeReasons(b.id, b.session_name, tuple(list_wake_reasons(model, b)))
            for b in model.world.store.all_sessions() if b.open]


@dataclass(frozen=True)
class Fingerprints:
    """The fingerprints the running config gives an agent (core.reconcile.hashes): what the
    reconciler stamps on a bead at start and compares its started hashes with."""
    core: str
    live: str
    provision: str
    launch: str
    breakdown: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def fingerprints(model: ModelView) -> dict[str, Fingerprints]:
    """Per open session bead whose template names a configured agent (the template of its
    desired entry when it has one), the fingerprints the running config gives that agent now."""
    from core.reconcile import hashes

    desired = model.last_desired
    entry_template = {e.bead_id: e.template for e in desired.entries.values() if e.bead_id} if desired else {}
    city = model.city
    per_agent: dict[str, Fingerprints] = {}
    out: dict[str, Fingerprints] = {}
    for b in model.world.store.open_sessions():
        tpl = entry_template.get(b.id) or b.template
        a = (city.agent(tpl) or city.find_agent(tpl)) if tpl else None
        if a is None:
            continue
        if a.qualified_name not in per_agent:
            per_agent[a.qualified_name] = Fingerprints(
                core=hashes.core_hash(a), live=hashes.live_hash(a), provision=hashes.provision_hash(a),
                launch=hashes.launch_hash(a), breakdown=hashes.breakdown(a))
        out[b.id] = per_agent[a.qualified_name]
    return out


def state(model: ModelView, step: int, do: str, outcome: Outcome | None) -> dict[str, Any]:
    """The model's full state after a step as a JSON-ready dict, with the step's outcome."""
    w = model.world
    desired = model.last_desired
    out = outcome
    return {
        "step": step,
        "do": do,
        "tick": w.tick,
        "now": format_time(w.now),
        "semantics": model.semantics,
        "config_revision": model.city.revision,
        "desired": [e.to_json() for e in desired.sorted_entries()] if desired else [],
        "pool_desired": dict(sorted(desired.pool_desired.items())) if desired else {},
        "pool_requests": dict(sorted(desired.pool_requests.items())) if desired else {},
        "requests": {t: [r.to_json() for r in rs] for t, rs in sorted(desired.requests.items())} if desired else {},
        "assigned_work": list(desired.collected_work_ids) if desired else [],
        "scale_check_counts": dict(sorted(desired.scale_check_counts.items())) if desired else {},
        "partial_templates": sorted(desired.partial_templates) if desired else [],
        "store_query_partial": bool(desired.store_query_partial) if desired else False,
        "named_demand": dict(sorted(desired.named_demand.items())) if desired else {},
        "named_routed_demand": dict(sorted(desired.named_routed_demand.items())) if desired else {},
        "sessions": [session_json(b) for b in w.store.all_sessions()],
        "session_reasons": [r.to_json() for r in session_reasons(model)],
        "fingerprints": {bead: f.to_json() for bead, f in fingerprints(model).items()},
        "runtime": [runtime_json(s) for s in sorted(w.runtime.sessions.values(), key=lambda s: s.name)],
        "work": [{"id": x.id, "status": x.status, "assignee": x.assignee, "routed_to": x.routed_to,
                  "priority": x.priority, "ready": x.ready, "store": x.store, "type": x.type,
                  "metadata": x.meta}
                 for x in sorted(w.store.work.values(), key=lambda x: natural_key(x.id))],
        "deferrals": [d.to_json() for d in deferrals(model)],
        "waits": [wait_json(x) for x in w.store.waits_in_order()],
        "trackers": [t.to_json() for t in trackers(model)],
        "awake": [r.to_json() for r in out.awake] if out else [],
        "actions": [a.to_json() for a in out.actions] if out else [],
        "trace": [r.to_json() for r in out.trace] if out else [],
        "events": [e.to_json() for e in out.events] if out else [],
        "logs": out.logs if out else [],
        "notes": out.notes if out else [],
        "warnings": ([x.render() for x in model.city.warnings] + (out.warnings if out else [])),
        "error": out.error if out else "",
    }
