"""One future of a city: the model run forward from a starting world, and each session's end.

`run_futures` runs two models in lockstep (the current config and the new one) until a tick in
which neither does anything, or a cap; `Future.sessions` then holds every session's end state,
keyed so the same session is found in both futures (see `session_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.actions import Action
from core.model.facade import Model
from core.model.patrol import tick_steps
from core.views.state_json import deferrals
from core.world import beads as B
from core.world.beads import SessionBead

MAX_TICKS = 10


@dataclass(frozen=True)
class SessionEnd:
    """A session bead at the end of a future, with what the model last said about it."""

    key: str
    bead_id: str
    template: str
    identity: str  # the named identity, else the agent name
    session_name: str
    alias: str
    pool_slot: int
    open: bool
    state: str
    running: bool
    close_reason: str  # Gas City's close code, when closed
    named: bool
    dependency_only: bool
    source: str = ""  # the desired entry's demand source ("" when not desired)
    why: tuple[tuple[str, str], ...] = ()  # the desired entry's rules (rule, detail)
    deferred_alias: str = ""  # an alias this bead waits for
    deferred_holder: str = ""

    @property
    def shown(self) -> str:
        """How an operator names this session: its alias or identity, else its runtime name."""
        return self.alias or self.identity or self.session_name or self.bead_id


@dataclass
class Future:
    """Where one model ended: its sessions by key, every action of every tick, the config warnings."""

    model: Model
    sessions: dict[str, SessionEnd] = field(default_factory=dict)
    actions: list[tuple[int, Action]] = field(default_factory=list)  # (tick, action)


def session_key(b: SessionBead, start_ids: frozenset[str], taken: set[str]) -> str:
    """The key that finds the same session in both futures. A bead that existed at the start
    keeps its id; a bead created in the future is known by what makes it that session (its named
    identity, its alias, its template and slot), because the two futures may number new beads
    differently. `taken` disambiguates sessions that share all of that (an unlimited pool)."""
    if b.id in start_ids:
        return f"bead:{b.id}"
    label = (b.get(B.CONFIGURED_NAMED_IDENTITY) or b.alias
             or (f"slot {b.pool_slot}" if b.pool_slot else "") or "new")
    base = f"new:{b.template}:{label}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}#{n}"
    taken.add(key)
    return key


def session_ends(model: Model, start_ids: frozenset[str]) -> dict[str, SessionEnd]:
    """Every session bead of `model` now (open ones, and closed ones that existed at the start
    or closed during the future), keyed by `session_key`."""
    world = model.world
    desired = {e.bead_id: e for e in model.last_desired.entries.values() if e.bead_id} \
        if model.last_desired is not None else {}
    waiting = {d.bead_id: d for d in deferrals(model)}
    out: dict[str, SessionEnd] = {}
    taken: set[str] = set()
    # Open beads take the keys first, so a bead that came and went does not take the key of the
    # session that stands in its place at the end.
    for b in sorted(world.store.all_sessions(), key=lambda b: (not b.open, b.created_at, b.id)):
        key = session_key(b, start_ids, taken)
        e = desired.get(b.id)
        d = waiting.get(b.id)
        out[key] = SessionEnd(
            key=key, bead_id=b.id, template=b.template,
            identity=b.get(B.CONFIGURED_NAMED_IDENTITY) or b.agent_name, session_name=b.session_name,
            alias=b.alias, pool_slot=b.pool_slot, open=b.open, state=b.state or "active",
            running=b.open and world.runtime.is_running(b.session_name), close_reason=b.get(B.CLOSE_REASON),
            named=b.is_named, dependency_only=b.dependency_only,
            source=e.source if e else "", why=tuple((w.rule, w.detail) for w in e.why) if e else (),
            deferred_alias=d.alias if d else "", deferred_holder=d.holder if d else "")
    return out


def run_futures(current: Model, proposed: Model, ticks: int | None) -> tuple[Future, Future, int]:
    """Tick both models together, one patrol interval apart as the controller does, for `ticks`
    ticks, or (None) until a tick in which neither acts, at most MAX_TICKS. Returns both futures
    and the number of ticks run."""
    start_ids = frozenset(b.id for b in current.world.store.all_sessions())
    a, b = Future(current), Future(proposed)
    limit = MAX_TICKS if ticks is None else ticks
    n = 0
    while n < limit:
        n += 1
        quiet = True
        for fut in (a, b):
            for step in tick_steps(fut.model):
                out = fut.model.do(step)
                fut.actions += [(n, x) for x in out.actions]
                quiet = quiet and not out.actions
        if ticks is None and quiet and n > 1:
            break
    a.sessions = session_ends(a.model, start_ids)
    b.sessions = session_ends(b.model, start_ids)
    return a, b, n
