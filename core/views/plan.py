"""Desired against actual, one row per session, in Terraform's plan grammar.

Two axes are kept apart (as Argo CD keeps sync and health apart): the *drift* marker says how
the session differs from what the controller wants (`+` to start, `-` to stop or close, `~` an
identity or alias change, `!` an alias deferral, `×` desired but held down: quarantined after a
crash loop, its circuit breaker open, or an operator hold, with the time it ends); the bead state
and runtime liveness say where the session is in its lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.world.beads import COUNTS_AGAINST_CAP, SessionBead, natural_key
from core.world.runtime import META_ACTIVITY

if TYPE_CHECKING:
    from core.desired.entries import DesiredEntry
    from core.model_view import ModelView
    from core.views.state_json import AliasDeferral

START, STOP, CHANGE, DEFER, HOLD, SYNCED = "+", "-", "~", "!", "×", " "
MARKER_WORDS = {START: "to start", STOP: "to stop", CHANGE: "changing", DEFER: "deferred", HOLD: "held",
                SYNCED: "in sync"}


@dataclass(frozen=True)
class SessionRow:
    """One session as the Sessions panel shows it. `key` is stable across ticks."""

    key: str
    marker: str
    template: str
    source: str
    identity: str
    alias: str
    slot: str
    bead_id: str
    bead_state: str
    runtime: str
    reason: str
    # The identity the session has, or is changing to when `identity` shows a change: what an
    # action on the session names (the cell above is for reading).
    target_identity: str = ""

    @property
    def changed(self) -> bool:
        return self.marker != SYNCED


@dataclass(frozen=True)
class PlanSummary:
    """Session counts for the plan line: desired, running, and what is to start, stop or change."""
    desired: int
    running: int
    to_start: int
    to_stop: int
    changing: int
    deferred: int
    in_sync: int
    held: int = 0

    def line(self) -> str:
        held = f" · held {self.held}" if self.held else ""
        return (f"desired {self.desired} · running {self.running} · to start {self.to_start} · "
                f"to stop {self.to_stop} · changing {self.changing} · deferred {self.deferred}{held}")


def _runtime_text(model: ModelView, name: str) -> tuple[str, bool]:
    s = model.world.runtime.get(name) if name else None
    if s is None:
        return "—", False
    text = "running" if s.process_alive else "zombie"
    if s.meta.get(META_ACTIVITY):
        text += f" {s.meta[META_ACTIVITY]}"
    if s.attached:
        text += " +attached"
    if s.pending_interaction:
        text += " ?waiting"
    return text, s.process_alive


def _arrow(old: str, new: str) -> str:
    if old == new:
        return new
    return f"{old or '∅'} → {new or '∅'}"


def session_rows(model: ModelView) -> list[SessionRow]:
    """Every desired entry, open session bead and runtime session, joined by session name.

    Rows come sorted by template, then identity, then key (natural order), so they do not jump
    as states change.
    """
    desired = model.last_desired
    entries: dict[str, DesiredEntry] = dict(desired.entries) if desired else {}
    by_bead = {e.bead_id: e for e in entries.values() if e.bead_id}
    deferred = _deferred_aliases(model)
    rows: list[SessionRow] = []
    seen_entries: set[str] = set()
    seen_runtime: set[str] = set()
    for b in model.world.store.open_sessions():
        e = by_bead.get(b.id) or (entries.get(b.session_name) if b.session_name else None)
        if e is not None:
            seen_entries.add(e.session_name)
        name = e.session_name if e is not None else b.session_name
        seen_runtime.add(name)
        rows.append(_bead_row(model, b, e, name, deferred.get(b.id)))
    for name, e in entries.items():
        if name in seen_entries:
            continue
        seen_runtime.add(name)
        rt, alive = _runtime_text(model, name)
        marker = SYNCED if alive else START
        reason = "desired; no session bead yet" if not alive else "desired; runtime without a bead"
        rows.append(SessionRow(name, marker, e.template, e.source, e.identity, e.alias or "(deferred)",
                               _slot(e.pool_slot), "", "", rt, reason, target_identity=e.identity))
    for s in model.world.runtime.sessions.values():
        if s.name in seen_runtime:
            continue
        rt, _ = _runtime_text(model, s.name)
        rows.append(SessionRow(s.name, STOP, s.template, "", "", "", "", s.session_id, "", rt,
                               "runtime with no open session bead"))
    rows.sort(key=lambda r: (r.template, natural_key(r.identity), natural_key(r.key)))
    return rows


def _slot(n: int | str) -> str:
    return "" if n in (0, "", "0") else str(n)


def _deferred_aliases(model: ModelView) -> dict[str, AliasDeferral]:
    from core.views.state_json import deferrals

    return {d.bead_id: d for d in deferrals(model)}


def _bead_row(model: ModelView, b: SessionBead, e: DesiredEntry | None, name: str, deferral: AliasDeferral | None) -> SessionRow:
    from core.holds import session_hold

    rt, alive = _runtime_text(model, b.session_name)
    state = b.state or "(none)"
    hold = None if alive else session_hold(b, model.world.now, model.city, model.world.memory)
    if e is None:
        if deferral is not None:
            marker = DEFER
            reason = f"alias {deferral.alias} deferred: held by {deferral.holder or '?'}; not desired"
        elif model.city.agent(b.template) is None and not b.is_manual:
            marker, reason = STOP, "template not in the config: will be closed (orphaned)"
        elif alive or b.state in COUNTS_AGAINST_CAP:
            marker, reason = STOP, "not desired: " + ("running, will be stopped" if alive else f"{state}, will be stopped")
        elif hold is not None:
            marker, reason = HOLD, f"{hold.text()}; not desired"
        else:
            marker, reason = SYNCED, f"not desired; {state}"
        return SessionRow(name or b.id, marker, b.template, "", b.agent_name, b.alias, _slot(b.get("pool_slot")),
                          b.id, state, rt, reason, target_identity=b.agent_name)
    identity = _arrow(b.agent_name, e.identity) if b.agent_name else e.identity
    alias = _arrow(b.alias, e.alias) if (b.alias or e.alias) else ""
    slot = _arrow(_slot(b.get("pool_slot")), _slot(e.pool_slot))
    if hold is not None:
        marker = HOLD
        reason = f"{hold.text()}: desired, not started before then"
    elif deferral is not None:
        marker = DEFER
        holder = deferral.holder or "?"
        reason = f"alias {deferral.alias} deferred: held by {holder}"
        if not e.alias:
            alias = f"(wants {deferral.alias})"
    elif (b.agent_name and b.agent_name != e.identity) or b.alias != e.alias:
        marker = CHANGE
        reason = "identity or alias changes"
    elif not alive:
        marker = START
        reason = "desired, not running"
    else:
        marker = SYNCED
        reason = ""
    return SessionRow(name or b.id, marker, e.template, e.source, identity, alias, slot, b.id, state, rt, reason,
                      target_identity=e.identity)


def summarize(model: ModelView, rows: list[SessionRow]) -> PlanSummary:
    """The count line shown above the rows."""
    n_desired = len(model.last_desired.entries) if model.last_desired else 0
    running = sum(1 for s in model.world.runtime.sessions.values() if s.process_alive)
    count = {m: 0 for m in MARKER_WORDS}
    for r in rows:
        count[r.marker] += 1
    return PlanSummary(n_desired, running, count[START], count[STOP], count[CHANGE], count[DEFER], count[SYNCED],
                       count[HOLD])
