"""Drift: where the model and the live controller disagree, and why the model thinks what it does.

One model tick runs on a copy of the live world (an O(1) snapshot; the live world and the city
are never touched) with the startup adoption barrier already passed, as for a controller that
has been running. What it concludes is compared with what the controller has:

- the desired set against the open beads: a desired session without a bead, a bead with a
  different alias than the model gives it, and an open bead the model does not desire at all;
- when the runtime is observable, what the tick did on the copy against the live state:
  sessions it started or stopped, beads it put to sleep, drained or closed (without tmux the
  live runtime looks empty, so these comparisons would be noise and are skipped, with a note);
- per template, `pool_desired` against the controller's last traced `cycle_input_snapshot` and
  the number of desired sessions against its `template_tick_summary`; the desired-session
  count against the same snapshot.

Each difference reads "model expects X, controller has Y" and carries the model's why chain
for X (the desired entry's rules, the actions the tick took, or why a request was rejected).
Differences are facts to explain, not verdicts: the controller's bead state can trail its
runtime by a tick, and a start the model makes now the controller may make on its next tick.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from core.desired.entries import Why
from core.world import beads as B
from core.world.world import World

if TYPE_CHECKING:
    from core.actions import Action
    from core.attach.trace_view import Cycle
    from core.config.city_config import City
    from core.desired.entries import DesiredEntry, DesiredResult


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One difference between what the model expects and what the controller did, with the
    model's why chain for it (`rule`/`detail` steps)."""
    kind: str  # missing_bead | alias | undesired | start | stop | state | pool_desired | template_desired | desired_count
    subject: str  # a session name or a template
    model: str
    controller: str
    why: tuple[Why, ...] = ()
    bead_id: str = ""
    tick_id: str = ""  # the controller cycle compared with, when the trace supplied one

    @property
    def text(self) -> str:
        return f"model expects {self.model}, controller has {self.controller}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "bead_id": self.bead_id, "model": self.model,
                "controller": self.controller, "text": self.text, "why": [w.to_json() for w in self.why],
                "tick_id": self.tick_id}


@dataclass(frozen=True, slots=True)
class DriftReport:
    """The model-versus-controller comparison for one tick: the differences, the model's actions
    and desired state, and notes or an error."""
    items: tuple[DriftItem, ...] = ()
    model_actions: tuple[Action, ...] = ()
    model_desired: tuple[DesiredEntry, ...] = ()
    compared_tick_id: str = ""
    notes: tuple[str, ...] = ()
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"items": [i.to_json() for i in self.items], "model_actions": [a.to_json() for a in self.model_actions],
                "model_desired": [e.to_json() for e in self.model_desired], "compared_tick_id": self.compared_tick_id,
                "notes": list(self.notes), "error": self.error}


def _state(b) -> str:
    sr = b.get(B.SLEEP_REASON)
    return f"state {b.state or 'active'}" + (f", sleep_reason {sr}" if sr else "")


def _desired_drift(world: World, desired: DesiredResult) -> list[DriftItem]:
    """Desired sessions with no open bead, or whose bead does not carry the wanted alias."""
    items = []
    store = world.store
    for name, e in sorted(desired.entries.items()):
        why = tuple(e.why)
        bead = store.session(e.bead_id) if e.bead_id else None
        if bead is None or not bead.open:
            found = store.open_by(B.SESSION_NAME, name)
            bead = found[0] if found else None
        if bead is None:
            items.append(DriftItem("missing_bead", name, f"desired session {name} ({e.identity}, {e.source})",
                                   "no open session bead for it", why))
        elif e.alias and bead.alias != e.alias:
            items.append(DriftItem("alias", name, f"{name} to carry alias {e.alias!r}",
                                   f"alias {bead.alias or '(none)'!r} on {bead.id}", why, bead.id))
    return items


def _undesired_drift(world: World, desired: DesiredResult, runtime_observable: bool) -> list[DriftItem]:
    """Open beads the desired set does not hold (failed creates aside), with the rejected
    requests that would have kept them, when there are any."""
    rejected: dict[str, list[Why]] = {}
    for req, reason in desired.rejected:
        if req.session_bead_id:
            rejected.setdefault(req.session_bead_id, []).append(Why(f"rejected {req.tier} request", reason))
    items = []
    for bead in world.store.open_sessions():
        name = bead.session_name
        if not name or name in desired.entries or bead.failed_create:
            continue
        run = ""
        if runtime_observable:
            run = ", running" if world.runtime.alive(name) else ", not running"
        why = rejected.get(bead.id) or [Why("not desired", "no config entry, demand or floor asks for this session")]
        items.append(DriftItem("undesired", name, f"{name} not in the desired set",
                               f"an open bead {bead.id} ({_state(bead)}{run})", tuple(why), bead.id))
    return items


def _cycle_drift(last_cycle: Cycle, desired: DesiredResult) -> list[DriftItem]:
    """pool_desired per template, desired sessions per template and the desired session count,
    against the controller's last traced cycle."""
    items = []
    snap, tick_id = last_cycle.snapshot, last_cycle.tick_id
    theirs = last_cycle.counts("pool_desired")
    mine = desired.pool_desired
    for t in sorted(set(theirs) | set(mine)):
        m, c = int(mine.get(t, 0) or 0), theirs.get(t, 0)
        if m != c:
            reqs = desired.requests.get(t, [])
            why = tuple(Why(f"{r.source} request", (f"bead {r.session_bead_id}" if r.session_bead_id else "")
                            + (f" work {r.work_bead_id}" if r.work_bead_id else "")) for r in reqs)
            items.append(DriftItem("pool_desired", t, f"pool_desired[{t}] = {m}",
                                   f"{c} in its last traced cycle", why, tick_id=tick_id))
    per_template: dict[str, int] = {}
    for e in desired.entries.values():
        per_template[e.template] = per_template.get(e.template, 0) + 1
    for t, row in sorted(last_cycle.templates.items()):
        traced = row.get("desired_count")
        if isinstance(traced, int) and traced != per_template.get(t, 0):
            why = tuple(Why(f"desired entry ({e.source})", e.session_name)
                        for e in desired.sorted_entries() if e.template == t)
            items.append(DriftItem("template_desired", t, f"{per_template.get(t, 0)} desired session(s) of {t}",
                                   f"{traced} in its last traced cycle", why, tick_id=tick_id))
    count = snap.get("desired_session_count")
    if isinstance(count, int) and count != len(desired.entries):
        items.append(DriftItem("desired_count", "(city)", f"{len(desired.entries)} desired sessions",
                               f"{count} in its last traced cycle", tick_id=tick_id))
    return items


def compute_drift(city: City | None, world: World, last_cycle: Cycle | None, *, runtime_observable: bool,
                  semantics: str = "current") -> DriftReport:
    """Compare one model tick on a copy of `world` with the live state and the last cycle."""
    from core.model.facade import Model

    if city is None:
        return DriftReport(error="no drift without a loadable city.toml")
    copy = World.from_state(world.snapshot(), prefix=world.store.prefix)
    try:
        model = Model(city, copy, semantics, adopt_on_start=False)
        out = model.tick()
    except Exception as err:  # live data is arbitrary: a model failure is reported, never raised
        return DriftReport(error=f"the model could not tick on this city: {type(err).__name__}: {err}")
    desired = out.desired or model.last_desired
    actions, entries = tuple(out.actions), tuple(desired.sorted_entries()) if desired else ()
    if desired is None:
        return DriftReport(model_actions=actions, error="the model's tick produced no desired state")
    tick_id = last_cycle.tick_id if last_cycle else ""
    items = _desired_drift(world, desired) + _undesired_drift(world, desired, runtime_observable)
    notes: tuple[str, ...] = ()
    if runtime_observable:
        items += _post_tick(world, copy, out.actions, desired)
    else:
        notes = ("the runtime is unobservable: the model's post-tick starts, stops and state changes are not "
                 "compared",)
    if last_cycle is not None and last_cycle.snapshot:
        items += _cycle_drift(last_cycle, desired)
    return DriftReport(tuple(replace(i, tick_id=i.tick_id or tick_id) for i in items), actions, entries, tick_id,
                       notes)


def _post_tick(live: World, after: World, actions: list, desired) -> list[DriftItem]:
    """What the model's tick changed that the controller has not: sessions it started or
    stopped, and beads whose state, sleep reason or open/closed status it changed."""
    items: list[DriftItem] = []
    by_name: dict[str, list[Why]] = {}
    for a in actions:
        if a.session_name:
            by_name.setdefault(a.session_name, []).append(
                Why(f"action.{a.kind}", a.reason + (f" ({a.detail})" if a.detail else "")))
    for name in sorted(set(live.runtime.sessions.keys()) | set(after.runtime.sessions.keys())):
        was, now = live.runtime.alive(name), after.runtime.alive(name)
        if was == now:
            continue
        entry = desired.entries.get(name)
        why = tuple(entry.why if entry else ()) + tuple(by_name.get(name, ()))
        if now:
            items.append(DriftItem("start", name, f"{name} running after its tick", "it not running", why))
        else:
            items.append(DriftItem("stop", name, f"{name} stopped by its tick", "it running", why))
    for b in live.store.open_sessions():
        m = after.store.session(b.id)
        if m is None:
            continue
        why = tuple(by_name.get(b.session_name, ()))
        if not m.open:
            items.append(DriftItem("state", b.session_name or b.id, f"bead {b.id} closed"
                                   + (f" ({m.get(B.CLOSE_REASON)})" if m.get(B.CLOSE_REASON) else ""),
                                   f"it open ({_state(b)})", why, b.id))
        elif (m.state, m.get(B.SLEEP_REASON)) != (b.state, b.get(B.SLEEP_REASON)):
            items.append(DriftItem("state", b.session_name or b.id, f"bead {b.id} {_state(m)}", _state(b), why, b.id))
    return items
