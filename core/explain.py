"""Why a session has its identity: the desired entry's rule chain, the bead's identity fields,
its alias deferral and its lifecycle, as one dictionary the Why panel and the CLI render.

`explain_session(model, key)` keeps its signature; sections may grow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.timefmt import format_time
from core.world import beads as B

if TYPE_CHECKING:
    from core.desired.model import DesiredEntry
    from core.model import Model
    from core.world.beads import SessionBead


def _find_bead(model: "Model", key: str) -> "SessionBead | None":
    store = model.world.store
    b = store.session(key)
    if b is not None:
        return b
    for field in (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME, B.CONFIGURED_NAMED_IDENTITY):
        found = store.open_by(field, key)
        if found:
            return sorted(found, key=lambda x: x.created_at)[0]
    return None


def _find_entry(model: "Model", key: str, bead: "SessionBead | None") -> "DesiredEntry | None":
    d = model.last_desired
    if d is None:
        return None
    if bead is not None:
        for e in d.entries.values():
            if e.bead_id == bead.id:
                return e
        if bead.session_name in d.entries:
            return d.entries[bead.session_name]
    if key in d.entries:
        return d.entries[key]
    for e in d.sorted_entries():
        if key in (e.identity, e.alias, e.named_identity):
            return e
    return None


def explain_session(model: "Model", key: str) -> dict[str, Any]:
    """Explain the session `key` (bead id, session name, identity or alias) as the model stands.

    Returns `found` (False when nothing matches), `summary` (one line), `rules` (the desired
    entry's why chain, first rule first, as {rule, detail}), and the sections `identity`,
    `alias`, `slot`, `demand` and `lifecycle`.
    """
    from core.identity import shape
    from core.state_json import deferrals, trackers

    bead = _find_bead(model, key)
    entry = _find_entry(model, key, bead)
    out: dict[str, Any] = {"session": key, "found": bead is not None or entry is not None}
    if not out["found"]:
        out.update(summary=f"no session, bead or desired entry matches {key!r}", rules=[], identity={}, alias={},
                   slot={}, demand={}, lifecycle={})
        return out
    template = entry.template if entry is not None else (bead.template if bead else "")
    agent = model.city.agent(template)
    sh = shape(agent, model.city, model.semantics) if agent is not None else None
    deferral = None
    if bead is not None:
        deferral = next((d for d in deferrals(model) if d["bead_id"] == bead.id), None)
    out["rules"] = [w.to_json() for w in entry.why] if entry is not None else []
    out["identity"] = {
        "template": template,
        "shape": sh.label if sh else "(template not in the config)",
        "shape_rule": sh.detail if sh else "",
        "semantics": model.semantics,
        "desired_identity": entry.identity if entry else "",
        "bead_agent_name": bead.agent_name if bead else "",
        "session_name": (entry.session_name if entry else "") or (bead.session_name if bead else ""),
        "named_identity": (entry.named_identity if entry else "") or (bead.get(B.CONFIGURED_NAMED_IDENTITY) if bead else ""),
        "canonical_instance_name": bead.get(B.CANONICAL_INSTANCE_NAME) if bead else "",
        "origin": bead.origin if bead else "",
    }
    out["alias"] = {
        "desired": entry.alias if entry else "",
        "bead": bead.alias if bead else "",
        "history": bead.alias_history() if bead else [],
        "deferred": deferral,
    }
    out["slot"] = {"desired": entry.pool_slot if entry else None, "bead": bead.get(B.POOL_SLOT) if bead else ""}
    d = model.last_desired
    out["demand"] = {
        "source": entry.source if entry else "",
        "work_bead": entry.work_bead_id if entry else "",
        "pool_desired": d.pool_desired.get(template) if d else None,
        "scale_check_count": d.scale_check_counts.get(template) if d else None,
        "partial": (template in d.partial_templates) if d else False,
    }
    rt = model.world.runtime.get(bead.session_name if bead else entry.session_name if entry else "")
    tracker = next((t for t in trackers(model) if bead is not None and t["bead_id"] == bead.id), None)
    out["lifecycle"] = {
        "bead": bead.id if bead else "",
        "state": bead.state if bead else "",
        "state_reason": bead.get(B.STATE_REASON) if bead else "",
        "sleep_reason": bead.get(B.SLEEP_REASON) if bead else "",
        "runtime": ("running" if rt.process_alive else "zombie") if rt else "none",
        "last_activity": format_time(rt.last_activity) if rt else "",
        "trackers": tracker or {},
    }
    out["summary"] = _summary(entry, bead, deferral)
    return out


def _summary(entry: "DesiredEntry | None", bead: "SessionBead | None", deferral: dict | None) -> str:
    if entry is None:
        assert bead is not None
        return f"{bead.id} ({bead.agent_name or bead.session_name}) is not in the desired set this tick"
    head = f"{entry.identity} is desired ({entry.source})"
    if deferral:
        return head + f"; its alias {deferral['alias']} is deferred while {deferral['holder'] or 'another bead'} holds it"
    if not entry.alias:
        return head + "; it has no alias yet"
    return head + f" under alias {entry.alias}"
