"""Polling an attached city for the screen: what to read when, the model's view, the feed.

`Poller` owns an `AttachSession` for an app. `refresh(changed)` polls it (every source, or only
those under the paths a watcher reported), folds what is new into the Events feed
(core.attach.feed), ticks the model on a copy of the live world when a source it reads changed
and the caller asks for it, and hands the resulting `Picture` to `present`, the screen's
formatting, whose result it returns. Calls are serialized by a lock, so the file watcher and
the tmux timer may ask from any thread. Nothing here raises on live input: a failure becomes an
error line in the feed and the last good picture is presented again.

`PollRequests` merges the requests made while a poll runs, so one worker polls at a time and
a burst of changes costs one more poll, not one each.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from core.alarms import Alarm
from core.attach.feed import Feed
from core.views.board import Board
from core.views.event_line import EventLine
from core.views.plan import CHANGE, DEFER, START, STOP, SYNCED, PlanSummary, SessionRow, summarize

if TYPE_CHECKING:
    from core.attach.session import AttachSession
    from core.attach.snapshot import AttachSnapshot, SessionBeadRow
    from core.model.facade import Model

MODEL_SOURCES = frozenset({"config", "beads", "runtime", "trace"})  # what the model view depends on
NO_MODEL = "no model: city.toml is not loaded"

T = TypeVar("T")


@dataclass(frozen=True)
class Picture:
    """What the screen shows for one poll: the session's snapshot, the model's view of the live
    world as a board, the alarms, and the Events feed so far."""

    generation: int
    now: datetime
    city: str  # the city's name and directory (all an empty picture knows)
    root: str
    config_loaded: bool  # city.toml loaded
    snapshot: AttachSnapshot | None  # the session's snapshot (core.attach.live); None: none read yet
    board: Board  # agents, sessions (with the model's markers), deferrals, config notes
    runtime_observable: bool
    alarms: tuple[Alarm, ...]
    lines: tuple[EventLine, ...]
    warnings: int = 0  # reader warnings so far
    desired: int | None = None  # sessions in the model's desired set (None: no model)
    why_no_model: str = ""  # why there is no model view ("" when the model ticked)
    drift_at: datetime | None = None  # when drift (one model tick) was last computed
    drift_stale: bool = False  # a source the model reads changed since: a recompute is due
    inputs_version: int = 0  # the session's inputs_version (changes with what the model reads)
    model: Model | None = field(default=None, compare=False)  # the live world with the model's desired set
    raised: tuple[Alarm, ...] = ()  # alarms holding now that did not at the previous picture


class Poller(Generic[T]):
    """An attached session polled for a screen (see the module doc); `present` turns each
    `Picture` into what the screen shows."""

    def __init__(self, session: AttachSession, present: Callable[[Picture], T], *, max_lines: int = 3000,
                 backlog: int = 400) -> None:
        self.session = session
        self.present = present
        self.feed = Feed(max_lines, backlog)
        self._lock = threading.RLock()
        self._generation = 0
        self._view: tuple[Model | None, str] | None = None  # (model over the live world, why not)
        self._view_stale = True
        self._fresh_model = True
        self.model_runs = 0  # model ticks for the Sessions view (drift ticks are the session's drift_runs)
        self.picture: Picture | None = None  # the last good picture
        self._watch_paths = session.watch_paths()

    def watch_paths(self) -> list[str]:
        """What to watch, as of the last refresh (never waits for a refresh in progress, so the
        watcher on the event loop cannot stall the screen)."""
        return list(self._watch_paths)

    def close(self) -> None:
        with self._lock:
            self.session.close()

    def note(self, kind: str, text: str) -> None:
        """A line in the feed that no source produced (it shows with the next picture)."""
        with self._lock:
            self.feed.add(EventLine(0, 0, self.session.options.clock(), kind, text))

    def refresh(self, changed: Iterable[str] | None = None, *, model: bool = True) -> T:
        """Poll (every source when `changed` is None, else only those under the changed paths,
        none for an empty list) and present the new picture.

        `model=False` keeps the last model tick (drift, markers, why chains) even when a source
        it reads changed, and says so (`drift_stale`): the caller recomputes it with
        `model=True` once the city settles (core.attach.settle). The sources themselves (beads,
        tmux, trace, events, alarms) are always read fresh."""
        with self._lock:
            now = self.session.options.clock()
            got: set[str] = set()
            try:
                got = self.session.poll(None if changed is None else list(changed))
            except Exception as e:  # a reader bug must not stop the app: say so, keep the last picture
                self.feed.add(EventLine(0, 0, now, "error", f"reading the city failed ({type(e).__name__}: {e}); "
                                        "the last picture is kept"))
            if got & MODEL_SOURCES:
                self._view_stale = True
            self._fresh_model = model
            with contextlib.suppress(Exception):  # on a fault, keep watching what was watched
                self._watch_paths = self.session.watch_paths()
            try:
                self.feed.fold(self.session, now)
            except Exception as e:
                self.feed.add(EventLine(0, 0, now, "error", f"the events could not be read ({type(e).__name__}: {e})"))
            try:
                picture = self._picture(now)
                shown = self.present(picture)
            except Exception as e:
                self.feed.add(EventLine(0, 0, now, "error", f"the picture could not be built ({type(e).__name__}: "
                                        f"{e}); the last one is kept"))
                self._generation += 1
                last = self.picture or _empty_picture(self.session, now)
                picture = replace(last, generation=self._generation, lines=tuple(self.feed.lines), raised=())
                shown = self.present(picture)
            self.picture = picture
            return shown

    def _model_view(self) -> tuple[Model | None, str]:
        """The live world with the desired set of one model tick on a copy of it (cached until a
        source the model reads changes)."""
        if self._view is None or (self._view_stale and self._fresh_model):
            self._view_stale = False
            self.model_runs += 1
            s = self.session
            if s.city is None:
                self._view = (None, NO_MODEL)
            else:
                try:
                    ticked = s.model()
                    out = ticked.tick()
                    view = s.model()
                    view.last_desired = out.desired or ticked.last_desired
                    self._view = (view, "")
                except Exception as e:  # live data is arbitrary input
                    self._view = (None, f"the model could not tick on this city ({type(e).__name__}: {e})")
        return self._view

    def _picture(self, now: datetime) -> Picture:
        s = self.session
        snap = s.snapshot(fresh_drift=self._fresh_model)
        model, why_not = self._model_view()
        observable = s.runtime_observable
        board = model_board(model, snap, observable)
        alarms = snap.alarms
        before = {a.key for a in self.picture.alarms} if self.picture is not None else set()
        raised = tuple(a for a in alarms if a.key not in before)
        for a in raised:
            until = f" (until {a.until[11:19]})" if a.until else ""
            self.feed.add(EventLine(0, 0, now, "alarm", f"{a.kind} {a.subject}: {a.message}{until}",
                                    a.bead_ids[0] if a.bead_ids else a.subject))
        self._generation += 1
        return Picture(
            generation=self._generation, now=now, city=s.layout.name, root=s.root,
            config_loaded=snap.city.config_loaded, snapshot=snap, board=board,
            runtime_observable=observable, alarms=alarms, lines=tuple(self.feed.lines), warnings=len(s.warnings()),
            desired=(len(model.last_desired.entries) if model.last_desired else 0) if model is not None else None,
            why_no_model=why_not, drift_at=s.drift_computed_at,
            drift_stale=s.drift_stale or self._view_stale, inputs_version=s.inputs_version, model=model,
            raised=raised)


def model_board(model: Model | None, snap: AttachSnapshot, observable: bool) -> Board:
    """The Agents, Sessions and Deferrals of the live city: the model's rows when it
    ticked, else the open beads and tmux sessions as they are; without a tmux listing, no row
    claims a session is not running or is to be started."""
    from core.views.plan import session_rows
    from core.views.roster import agent_rows

    if model is not None:
        rows, agents = session_rows(model), agent_rows(model)
    else:
        rows, agents = plain_session_rows(snap), []
    if not observable:
        rows = unobservable(rows)
    summary = summarize(model, rows) if model is not None else None
    config_notes = [w.render() for w in snap.warnings if w.source == "config"]
    # The model's in-memory trackers cannot be seen from outside: the lifecycle rows go to the
    # attach board's own `trackers`, the shared board has none.
    return Board(agents, rows, summary or summarize_plain(rows),
                 list(snap.deferrals), [], config_notes)


def _runtime_cell(row: SessionBeadRow) -> str:
    if row.running is None:
        return "?"
    if not row.running:
        return "—"
    return "running" if row.alive else "zombie"


def plain_session_rows(snap: AttachSnapshot) -> list[SessionRow]:
    """Sessions without a model (the config does not load): open beads and the tmux sessions
    no bead claims, as they are, with no markers."""
    rows = []
    for s in snap.sessions:
        if not s.open:
            continue
        rows.append(SessionRow(s.session_name or s.bead_id, SYNCED, s.template, s.origin, s.agent_name, s.alias, "",
                               s.bead_id, s.state or "(none)", _runtime_cell(s), NO_MODEL,
                               target_identity=s.agent_name))
    names = {r.key for r in rows}
    for r in snap.runtime:
        if r.name not in names:
            rows.append(SessionRow(r.name, SYNCED, r.template, "", "", "", "", r.session_id, "",
                                   "running" if r.alive else "zombie", "runtime with no open session bead"))
    return rows


def unobservable(rows: Sequence[SessionRow]) -> list[SessionRow]:
    """Without a tmux listing the live runtime looks empty: say "?" instead of "not running",
    and do not claim that a desired session is to be started."""
    out = []
    for r in rows:
        if r.marker == START and r.bead_id:
            r = replace(r, marker=SYNCED, reason="desired; runtime unobservable")
        out.append(replace(r, runtime="?") if r.runtime == "—" else r)
    return out


def summarize_plain(rows: Sequence[SessionRow]) -> PlanSummary:
    """A PlanSummary counting rows by marker; the desired and running counts are left 0."""
    count = {m: sum(1 for r in rows if r.marker == m) for m in (START, STOP, CHANGE, DEFER, SYNCED)}
    return PlanSummary(0, 0, count[START], count[STOP], count[CHANGE], count[DEFER], count[SYNCED])


def _empty_picture(session: AttachSession, now: datetime) -> Picture:
    return Picture(0, now, session.layout.name, session.root, session.city is not None, None, Board([], [], summarize_plain([]), [], [], []),
                   False, (), ())


@dataclass(frozen=True)
class PollRequest:
    """What the next poll reads: every source (`full`), or those under `paths`; and whether the
    model ticks again now (`model`) rather than when the city settles."""

    full: bool
    paths: frozenset[str]
    model: bool

    @property
    def changed(self) -> list[str] | None:
        """The argument for `Poller.refresh`: None for every source, else the sorted paths."""
        return None if self.full else sorted(self.paths)


class PollRequests:
    """Poll requests from any thread, merged while a poll runs (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._full = False
        self._paths: set[str] = set()
        self._model = False
        self._polling = False

    @property
    def polling(self) -> bool:
        """A worker is polling (or about to)."""
        return self._polling

    def ask(self, paths: Iterable[str] | None, *, model: bool = False) -> bool:
        """Ask for a poll of every source (`paths` None) or of those under `paths` (none: an
        empty list). True when no poll is running: the caller starts the worker that `take`s."""
        with self._lock:
            if paths is None:
                self._full = True
            else:
                self._paths |= set(paths)
            self._model = self._model or model
            if self._polling:
                return False
            self._polling = True
            return True

    def take(self) -> PollRequest | None:
        """For the polling worker: everything asked since its last take, merged; None when
        nothing was (the worker ends, and the next `ask` starts another)."""
        with self._lock:
            if not self._full and not self._paths and not self._model:
                self._polling = False
                return None
            req = PollRequest(self._full, frozenset(self._paths), self._model)
            self._full, self._paths, self._model = False, set(), False
            return req

    def stop(self) -> None:
        """The polling worker ended early (its app is closing)."""
        with self._lock:
            self._polling = False
