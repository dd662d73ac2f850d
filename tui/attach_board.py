"""What the app shows while attached to a live city: core's `Picture` (core.attach.polling)
turned into the rows and cells of the attach screen.

This module never imports textual: the attach widgets only lay out what it computed, so every
cell on screen is a function of the picture (the live beads, tmux, trace and events, and one
model tick on a copy of the live world). `attach_board(picture)` is the whole screen;
`AttachState` is core's poller presenting each picture as an `AttachBoard`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from core.alarms import Alarm
from core.attach.feed import short_tick
from core.attach.polling import NO_MODEL, Picture, Poller
from core.explain.records import Explanation, Why
from core.views.board import Board
from core.views.event_line import EventLine
from core.views.plan import CHANGE, DEFER, START, STOP, SessionRow

if TYPE_CHECKING:
    from core.attach.controller_drift import DriftReport
    from core.attach.lifecycle import LifecycleRow, Until
    from core.attach.session import AttachSession
    from core.attach.snapshot import AttachSnapshot
    from core.attach.sources import SourceRead
    from core.model.facade import Model

__all__ = ["LIFECYCLE_COLUMNS", "AttachBoard", "AttachState", "DriftRow", "Header", "TableRow", "short_tick"]

DRIFT_MARKER = {"missing_bead": START, "start": START, "undesired": STOP, "stop": STOP, "alias": CHANGE,
                "state": CHANGE, "pool_desired": "≠", "template_desired": "≠", "desired_count": "≠"}


# ---------------------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class Header:
    """The two status lines: what is attached and how fresh each source is."""

    city: str
    path: str
    revision: str
    config_loaded: bool
    last_tick_id: str
    last_tick_at: str  # the cycle's finish time, RFC 3339 ("" without a trace)
    last_tick_completion: str
    as_of: datetime
    drift: int | None  # None: drift unavailable
    alarms: int
    warnings: int
    sources: tuple[str, ...]  # one short phrase per source
    drift_at: datetime | None = None  # when drift (one model tick) was last computed
    drift_stale: bool = False  # a source the model reads changed since: a recompute is due
    inputs_version: int = 0  # the session's inputs_version (changes with what the model reads)


@dataclass(frozen=True)
class TableRow:
    """One plain table row: its key, cell texts and highlight level ("", "warn" or "alarm")."""
    key: str
    cells: tuple[str, ...]
    level: str = ""  # "" | warn | alarm


@dataclass(frozen=True)
class DriftRow:
    """One model-versus-controller difference as the drift panel shows it."""
    key: str
    kind: str
    subject: str
    bead_id: str
    model: str
    controller: str
    tick_id: str
    why: tuple[Why, ...]

    @property
    def marker(self) -> str:
        return DRIFT_MARKER.get(self.kind, "?")

    @property
    def text(self) -> str:
        return f"model expects {self.model}, controller has {self.controller}"

    def cells(self) -> tuple[str, ...]:
        return (self.marker, self.kind, self.subject, self.bead_id, self.model, self.controller)


@dataclass(frozen=True)
class AttachBoard:
    """Everything the attach screen shows for one snapshot generation."""
    generation: int
    header: Header
    board: Board  # agents, sessions (with the model's markers), deferrals: for the shared panels
    sessions_summary: str
    runtime_observable: bool
    trackers: tuple[TableRow, ...]
    drift: tuple[DriftRow, ...]
    drift_notes: tuple[str, ...]
    drift_error: str
    alarms: tuple[Alarm, ...]
    lines: tuple[EventLine, ...]
    banner: str  # "" when the model is available
    model: Model | None = field(default=None, compare=False)  # the live world with the model's desired set
    raised: tuple[Alarm, ...] = ()  # alarms holding now that did not at the previous board

    @property
    def alarmed(self) -> frozenset[str]:
        """The beads some alarm is about (their Sessions rows are marked)."""
        return frozenset(b for a in self.alarms for b in a.bead_ids)


LIFECYCLE_COLUMNS = [("bead", "bead"), ("session", "session"), ("state", "state"), ("wakes/churn", "wakes"),
                     ("quarantine", "quarantine"), ("hold", "hold"), ("pending", "pending"),
                     ("circuit", "circuit"), ("alias conflict", "conflict")]


def _clock(t: str) -> str:
    """HH:MM:SS of an RFC 3339 time, or the text itself when it is not one."""
    return t[11:19] if len(t) >= 19 and t[10:11] == "T" else t


def _until(u: Until) -> str:
    return f"{'until' if u.active else 'ended'} {_clock(u.until)}"


def lifecycle_row(t: LifecycleRow) -> TableRow:
    """One open session's persisted lifecycle keys (core.attach.lifecycle) as table cells."""
    state = t.state or "active"
    if t.sleep_reason:
        state += f" ({t.sleep_reason})"
    q, hold, conflict = t.quarantine, t.hold, t.alias_conflict
    flags = [w for w, on in (("wait_hold", t.wait_hold), ("pin_awake", t.pin_awake)) if on]
    hold_text = " ".join([_until(hold) if hold else ""] + flags).strip() or "—"
    cells = (t.bead_id, t.session_name, state, f"{t.wake_attempts}/{t.churn_count}",
             _until(q) if q else "—", hold_text, _clock(t.pending_create_started_at) or "—", t.circuit_state or "—",
             (f"{conflict.alias} ×{conflict.count}" if conflict else "—"))
    level = "alarm" if q and q.active else ("warn" if conflict or (hold and hold.active) else "")
    return TableRow(t.bead_id, cells, level)


def drift_rows(drift: DriftReport) -> list[DriftRow]:
    """DriftRows for a drift report's items, keys made unique with "#2", "#3", ..."""
    rows, seen = [], set()
    for i in drift.items:
        key = f"{i.kind}:{i.subject}:{i.bead_id}"
        n = 2
        while key in seen:
            key, n = f"{key}#{n}", n + 1
        seen.add(key)
        rows.append(DriftRow(key, i.kind, i.subject, i.bead_id, i.model, i.controller, i.tick_id, tuple(i.why)))
    return rows


def header(snap: AttachSnapshot, now: datetime, warnings: int) -> Header:
    """The attach header for a snapshot: city, last cycle, drift and alarm counts, and one phrase
    per source (tmux first)."""
    c, src = snap.city, snap.sources
    last = snap.trace.last_cycle
    beads, events, trace, rt = src.beads, src.events, src.trace, src.runtime
    bsrc = c.bead_source
    phrases = [
        (f"beads {bsrc}: {beads.sessions} sessions, {beads.work} work"
         + (f", changed {_clock(beads.modified_at)}" if bsrc == "file" and beads.modified_at else "")
         if bsrc != "none" else "beads: no .gc/beads.json"),
        (f"events: last #{events.last_seq} at {_clock(str(events.last_ts or ''))}"
         if events.last_seq is not None else ("events: none yet" if events.present else "events: no file")),
        (f"trace: {trace.batches_read} batches" + (f", head seq {trace.head.seq}" if trace.head is not None else "")
         if trace.present else "trace: none"),
        ("tmux: unobservable" + (f" ({rt.note})" if rt.note else "") if not rt.observable
         else (f"tmux {os.path.basename(rt.socket) or rt.socket}: "
               + (f"{len(snap.runtime)} sessions" if rt.server_running else "no server"))),
    ]
    # the runtime first: whether anything runs matters most
    ordered = api_phrases(snap, now) if src.api is not None else phrases[-1:] + phrases[:-1]
    drift = snap.drift
    return Header(c.name, c.path, c.config_revision, c.config_loaded,
                  last.tick_id if last else "", last.finished_at if last else "", last.completion if last else "",
                  now, None if drift.error else len(drift.items), len(snap.alarms), warnings, tuple(ordered))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    from core.formats.durations import format_duration

    return format_duration(round(seconds))


def api_phrases(snap: AttachSnapshot, now: datetime) -> list[str]:
    """The source phrases of a city attached through a supervisor's API: the beads and sessions
    with the age of the supervisor's cache, the event stream's state (live, or reconnecting with
    its attempt and why), and, when the supervisor stopped answering, how long the view has been
    stale (first: everything after it is as of the supervisor's last answer)."""
    from core.guards.safetext import printable

    src = snap.sources
    api, beads, events, rt = src.api, src.beads, src.events, src.runtime
    assert api is not None

    def cache(read: SourceRead | None) -> str:
        age = read.cache_age_s if read is not None else None
        return f", cache {_age(age)} old" if age else ""

    stream = api.stream
    phase = stream.phase if stream is not None else "off"
    if stream is not None and phase == "reconnecting":
        retry = stream.retry_at
        wait = f" in {_age(max((retry - now).total_seconds(), 0))}" if retry else ""
        stream_text = f"stream RECONNECTING (attempt {stream.attempt}{wait})"
    else:
        stream_text = f"stream {phase}"
    last = f"last #{events.last_seq}" if events.last_seq is not None else "no events yet"
    error = rt.read.error if rt.read is not None else ""
    phrases = [f"runtime (api): {rt.running or 0} running{cache(rt.read)}" if rt.observable
               else f"runtime (api): unobservable ({printable(rt.note or error or '?')})",
               f"beads api: {beads.sessions} sessions, {beads.work} work{cache(beads.read)}",
               f"events: {stream_text}, {last}"]
    if not api.reachable:
        since = api.last_ok_at
        phrases.insert(0, f"STALE {_age((now - since).total_seconds()) if since else '?'}: the supervisor "
                          "does not answer")
    return phrases


# ---------------------------------------------------------------------------------------- explanations
def session_explanation(board: AttachBoard, row: SessionRow) -> Explanation:
    """The Why panel for a Sessions row: the model's explain chain over the live world."""
    from core.explain.explanation import explain_session

    if board.model is None:
        return Explanation(row.key, False, f"{row.key}: {NO_MODEL}, so there is no why chain")
    return explain_session(board.model, row.bead_id or row.key)


def drift_explanation(board: AttachBoard, row: DriftRow) -> Explanation:
    """The Why panel for a Drift row: the difference, then the model's why chain for its side,
    then (for a session) the usual identity, alias, slot, demand and lifecycle sections."""
    from core.explain.explanation import explain_session

    base = Explanation(row.subject, True, "")
    if board.model is not None and row.kind not in ("pool_desired", "template_desired", "desired_count"):
        x = explain_session(board.model, row.bead_id or row.subject)
        if x.found:
            base = x
    where = f". Compared with the controller's tick {row.tick_id}" if row.tick_id else ""
    rules = tuple(row.why)
    if not rules and base.rules:  # the tick recorded no action for it: the session's own chain
        rules = (Why("no action recorded", "the model's tick took no action that explains this "
                     "difference; the session's desired chain follows"), *base.rules)
    elif not rules:
        rules = (Why("no action recorded", "the model's tick took no action that explains this "
                     "difference, and the session is not in its desired set"),)
    return replace(base, summary=f"{row.kind} · {row.subject}: {row.text}{where}", rules=rules)


def alarm_explanation(board: AttachBoard, row: Alarm) -> Explanation:
    """The Why panel for an Alarms row: the alarm, then the model's view of its first session."""
    from core.explain.explanation import explain_session

    beads = f" (beads {', '.join(row.bead_ids)})" if row.bead_ids else ""
    summary = f"{row.kind} · {row.subject}: {row.message}{beads}"
    if board.model is not None and row.bead_ids:
        x = explain_session(board.model, row.bead_ids[0])
        if x.found:
            return replace(x, summary=summary)
    return Explanation(row.subject, False, summary)


# ---------------------------------------------------------------------------------------- the screen
def attach_board(p: Picture) -> AttachBoard:
    """The attach screen for one picture: every row, cell and line of text."""
    snap = p.snapshot
    if snap is None:  # nothing could be read yet
        h = Header(p.city, p.root, "", p.config_loaded, "", "", "", p.now, None, 0, 0, ())
        return AttachBoard(p.generation, h, p.board, "", False, (), (), (), "", p.alarms, p.lines, "", p.model,
                           p.raised)
    drift = snap.drift
    return AttachBoard(
        generation=p.generation,
        header=replace(header(snap, p.now, p.warnings), drift_at=p.drift_at, drift_stale=p.drift_stale,
                       inputs_version=p.inputs_version),
        board=p.board,
        sessions_summary=sessions_line(p, snap),
        runtime_observable=p.runtime_observable,
        trackers=tuple(lifecycle_row(t) for t in snap.trackers),
        drift=tuple(drift_rows(drift)),
        drift_notes=tuple(drift.notes),
        drift_error=drift.error,
        alarms=p.alarms,
        lines=p.lines,
        banner=banner(p, snap),
        model=p.model,
        raised=p.raised,
    )


def sessions_line(p: Picture, snap: AttachSnapshot) -> str:
    """The Sessions panel's count line: desired, open, running, and the rows by marker."""
    rows = p.board.sessions
    marks = {m: sum(1 for r in rows if r.marker == m) for m in (START, STOP, CHANGE, DEFER)}
    running = sum(1 for r in snap.runtime if r.alive)
    n_open = sum(1 for r in snap.sessions if r.open)
    return (f"desired {p.desired if p.desired is not None else '?'} · open {n_open} · "
            f"running {running if p.runtime_observable else '?'} · to start {marks[START]} · to stop {marks[STOP]} · "
            f"changing {marks[CHANGE]} · deferred {marks[DEFER]}")


def banner(p: Picture, snap: AttachSnapshot) -> str:
    """The line above the panels: the supervisor's state, then why the model is missing ("" when
    all is well)."""
    text = ""
    if not snap.city.config_loaded:
        err = next((w.render() for w in snap.warnings if w.code == "config_error"), "")
        text = f"city.toml is not loaded: {err or 'no city.toml'}"
        if "still shows" not in text:
            text += " · beads, tmux, trace and events still show; the model, drift and why chains need it"
    elif p.why_no_model:
        text = p.why_no_model
    notice = snap.sources.api.notice if snap.sources.api is not None else ""
    if notice:  # the supervisor's state first: everything below it is as of its last answer
        text = notice + (f" · {text}" if text else "")
    return text


class AttachState(Poller[AttachBoard]):
    """An attached session polled for the screen (core.attach.polling), each picture presented
    as an `AttachBoard`."""

    def __init__(self, session: AttachSession, *, max_lines: int = 3000, backlog: int = 400) -> None:
        super().__init__(session, attach_board, max_lines=max_lines, backlog=backlog)
