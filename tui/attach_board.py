"""What the app shows while attached to a live city, computed from an `AttachSession`.

This module never imports textual: the attach widgets only lay out what it computed, so every
cell on screen is a function of the session's state (the live beads, tmux, trace and events,
and one model tick on a copy of the live world).

`AttachState` owns the session for the app. `refresh(changed)` polls it (every source, or only
those under the paths a watcher reported), folds what is new into the Events feed (events.jsonl
lines, the controller's trace decisions and finished cycles with their real tick ids, and every
reader warning once), and returns an `AttachBoard`. Calls are serialized by a lock, so the file
watcher and the tmux timer may ask from any thread. Nothing here raises on live input: a failure
becomes an error line in the feed and the last good picture is kept.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.alarms import Alarm
from core.board import Board
from core.history import EventLine
from core.plan import CHANGE, DEFER, START, STOP, SYNCED, SessionRow, summarize
from core.state_json import AliasDeferral
from core.timefmt import parse_time
from core.tracefile.problems import ReadWarning

if TYPE_CHECKING:
    from core.attach.session import AttachSession
    from core.model import Model

MODEL_SOURCES = frozenset({"config", "beads", "runtime", "trace"})  # what the model view depends on
DRIFT_MARKER = {"missing_bead": START, "start": START, "undesired": STOP, "stop": STOP, "alias": CHANGE,
                "state": CHANGE, "pool_desired": "≠", "template_desired": "≠", "desired_count": "≠"}
NO_MODEL = "no model: city.toml is not loaded"


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
    why: tuple[dict[str, str], ...]

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


def short_tick(tick_id: str) -> str:
    """A tick id's counter (`fixture-4242-1780311600000000000-000002` -> `000002`)."""
    return tick_id.rsplit("-", 1)[-1] if tick_id else ""


def _clock(t: str) -> str:
    """HH:MM:SS of an RFC 3339 time, or the text itself when it is not one."""
    return t[11:19] if len(t) >= 19 and t[10:11] == "T" else t


def lifecycle_row(t: dict[str, Any]) -> TableRow:
    """One open session's persisted lifecycle keys (core.attach.lifecycle) as table cells."""
    state = t.get("state") or "active"
    if t.get("sleep_reason"):
        state += f" ({t['sleep_reason']})"
    q, hold, conflict = t.get("quarantine"), t.get("hold"), t.get("alias_conflict")
    flags = [w for w, on in (("wait_hold", t.get("wait_hold")), ("pin_awake", t.get("pin_awake"))) if on]
    hold_text = (f"{'until' if hold['active'] else 'ended'} {_clock(hold['until'])}" if hold else "")
    hold_text = " ".join([hold_text] + flags).strip() or "—"
    cells = (t["bead_id"], t.get("session_name", ""), state,
             f"{t.get('wake_attempts', 0)}/{t.get('churn_count', 0)}",
             (f"{'until' if q['active'] else 'ended'} {_clock(q['until'])}" if q else "—"), hold_text,
             _clock(t.get("pending_create_started_at") or "") or "—", t.get("circuit_state") or "—",
             (f"{conflict['alias']} ×{conflict['count']}" if conflict else "—"))
    level = "alarm" if q and q["active"] else ("warn" if conflict or (hold and hold["active"]) else "")
    return TableRow(t["bead_id"], cells, level)


def _runtime_cell(row: dict[str, Any]) -> str:
    if row.get("running") is None:
        return "?"
    if not row["running"]:
        return "—"
    return "running" if row.get("alive") else "zombie"


def plain_session_rows(snap: dict[str, Any]) -> list[SessionRow]:
    """Sessions without a model (the config does not load): open beads and the tmux sessions
    no bead claims, as they are, with no markers."""
    rows = []
    for s in snap["sessions"]:
        if not s["open"]:
            continue
        rows.append(SessionRow(s["session_name"] or s["bead_id"], SYNCED, s["template"], s["origin"],
                               s["agent_name"], s["alias"], "", s["bead_id"], s["state"] or "(none)", _runtime_cell(s),
                               NO_MODEL))
    names = {r.key for r in rows}
    for r in snap["runtime"]:
        if r["name"] not in names:
            rows.append(SessionRow(r["name"], SYNCED, r["template"], "", "", "", "", r["session_id"], "",
                                   "running" if r["alive"] else "zombie", "runtime with no open session bead"))
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


def drift_rows(drift: dict[str, Any]) -> list[DriftRow]:
    """DriftRows for a drift report's items, keys made unique with "#2", "#3", ..."""
    rows, seen = [], set()
    for i in drift.get("items") or []:
        key = f"{i['kind']}:{i['subject']}:{i.get('bead_id', '')}"
        n = 2
        while key in seen:
            key, n = f"{key}#{n}", n + 1
        seen.add(key)
        rows.append(DriftRow(key, i["kind"], i["subject"], i.get("bead_id", ""), i["model"], i["controller"],
                             i.get("tick_id", ""), tuple(i.get("why") or ())))
    return rows


def alarm_rows(alarms: list[dict[str, Any]]) -> list[Alarm]:
    """The snapshot's alarms (JSON) as core Alarms."""
    return [Alarm(a["kind"], a["subject"], a["value"], a["threshold"], a["message"], list(a.get("bead_ids") or ()),
                  a.get("until", "")) for a in alarms]


def header(snap: dict[str, Any], now: datetime, warnings: int) -> Header:
    """The attach header for a snapshot: city, last cycle, drift and alarm counts, and one phrase
    per source (tmux first)."""
    c, src = snap["city"], snap["sources"]
    last = (snap.get("trace") or {}).get("last_cycle") or {}
    beads, events, trace, rt = src["beads"], src["events"], src["trace"], src["runtime"]
    bsrc = c.get("bead_source", "file")
    phrases = [
        (f"beads {bsrc}: {beads['sessions']} sessions, {beads['work']} work"
         + (f", changed {_clock(beads['modified_at'])}" if bsrc == "file" and beads.get("modified_at") else "")
         if bsrc != "none" else "beads: no .gc/beads.json"),
        (f"events: last #{events['last_seq']} at {_clock(str(events.get('last_ts') or ''))}"
         if events.get("last_seq") is not None else ("events: none yet" if events["present"] else "events: no file")),
        (f"trace: {trace['batches_read']} batches" + (f", head seq {trace['head'].get('seq')}"
                                                      if isinstance(trace.get("head"), dict) else "")
         if trace["present"] else "trace: none"),
        ("tmux: unobservable" + (f" ({rt['note']})" if rt.get("note") else "") if not rt["observable"]
         else (f"tmux {os.path.basename(rt['socket']) or rt['socket']}: " + (f"{len(snap['runtime'])} sessions" if rt["server_running"]
                                           else "no server"))),
    ]
    # the runtime first: whether anything runs matters most
    ordered = api_phrases(snap, now) if "api" in src else phrases[-1:] + phrases[:-1]
    drift = snap["drift"]
    return Header(c["name"], c["path"], c.get("config_revision", ""), c["config_loaded"],
                  last.get("tick_id", "") or "", last.get("finished_at", "") or "", last.get("completion", "") or "",
                  now, None if drift.get("error") else len(drift.get("items") or []), len(snap["alarms"]), warnings,
                  tuple(ordered))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    from core.durations import format_duration

    return format_duration(round(seconds))


def api_phrases(snap: dict[str, Any], now: datetime) -> list[str]:
    """The source phrases of a city attached through a supervisor's API: the beads and sessions
    with the age of the supervisor's cache, the event stream's state (live, or reconnecting with
    its attempt and why), and, when the supervisor stopped answering, how long the view has been
    stale (first: everything after it is as of the supervisor's last answer)."""
    from core.safetext import printable

    src = snap["sources"]
    api, beads, events, rt = src["api"], src["beads"], src["events"], src["runtime"]

    def cache(s: dict[str, Any]) -> str:
        age = s.get("cache_age_s")
        return f", cache {_age(age)} old" if age else ""

    stream = api.get("stream") or {}
    phase = stream.get("phase", "off")
    if phase == "reconnecting":
        retry = parse_time(stream.get("retry_at") or None)
        wait = f" in {_age(max((retry - now).total_seconds(), 0))}" if retry else ""
        stream_text = f"stream RECONNECTING (attempt {stream.get('attempt', 0)}{wait})"
    else:
        stream_text = f"stream {phase}"
    last = f"last #{events['last_seq']}" if events.get("last_seq") is not None else "no events yet"
    phrases = [f"runtime (api): {rt.get('running', 0)} running{cache(rt)}" if rt["observable"]
               else f"runtime (api): unobservable ({printable(rt.get('note') or rt.get('error') or '?')})",
               f"beads api: {beads['sessions']} sessions, {beads['work']} work{cache(beads)}",
               f"events: {stream_text}, {last}"]
    if not api["reachable"]:
        since = parse_time(api.get("last_ok_at") or None)
        phrases.insert(0, f"STALE {_age((now - since).total_seconds()) if since else '?'}: the supervisor "
                          "does not answer")
    return phrases


# ---------------------------------------------------------------------------------------- explanations
def session_explanation(board: AttachBoard, row: SessionRow) -> dict[str, Any]:
    """The Why panel for a Sessions row: the model's explain chain over the live world."""
    from core.explain import explain_session

    if board.model is None:
        return {"found": False, "summary": f"{row.key}: {NO_MODEL}, so there is no why chain"}
    return explain_session(board.model, row.bead_id or row.key)


def drift_explanation(board: AttachBoard, row: DriftRow) -> dict[str, Any]:
    """The Why panel for a Drift row: the difference, then the model's why chain for its side,
    then (for a session) the usual identity, alias, slot, demand and lifecycle sections."""
    from core.explain import explain_session

    base: dict[str, Any] = {}
    if board.model is not None and row.kind not in ("pool_desired", "template_desired", "desired_count"):
        x = explain_session(board.model, row.bead_id or row.subject)
        if x.get("found"):
            base = dict(x)
    where = f". Compared with the controller's tick {row.tick_id}" if row.tick_id else ""
    base["summary"] = f"{row.kind} · {row.subject}: {row.text}{where}"
    rules = list(row.why)
    if not rules and base.get("rules"):  # the tick recorded no action for it: the session's own chain
        rules = [{"rule": "no action recorded", "detail": "the model's tick took no action that explains this "
                  "difference; the session's desired chain follows"}] + list(base["rules"])
    elif not rules:
        rules = [{"rule": "no action recorded", "detail": "the model's tick took no action that explains this "
                  "difference, and the session is not in its desired set"}]
    base["rules"] = rules
    base["found"] = True
    return base


def alarm_explanation(board: AttachBoard, row: Alarm) -> dict[str, Any]:
    """The Why panel for an Alarms row: the alarm, then the model's view of its first session."""
    from core.explain import explain_session

    base: dict[str, Any] = {}
    if board.model is not None and row.bead_ids:
        x = explain_session(board.model, row.bead_ids[0])
        if x.get("found"):
            base = dict(x)
    beads = f" (beads {', '.join(row.bead_ids)})" if row.bead_ids else ""
    base["summary"] = f"{row.kind} · {row.subject}: {row.message}{beads}"
    base["found"] = bool(base.get("identity"))
    base.setdefault("rules", [])
    return base


# ---------------------------------------------------------------------------------------- the feed
def _after(items: Sequence[Any], last: Any) -> list[Any]:
    """The items after `last` (by identity), scanning from the end; all of them when `last` is
    gone (None, or dropped from a bounded deque)."""
    if last is None:
        return list(items)
    seq = list(items)
    for i in range(len(seq) - 1, -1, -1):
        if seq[i] is last:
            return seq[i + 1:]
    return seq


def _tick_number(tick_id: str) -> int:
    try:
        return int(short_tick(tick_id))
    except ValueError:
        return 0


class Feed:
    """The Events panel's lines while attached, oldest first: what each poll found new."""

    def __init__(self, max_lines: int = 3000, backlog: int = 400) -> None:
        self.lines: list[EventLine] = []
        self.max_lines = max_lines
        self.backlog = backlog  # on the first fold, only this many events and decisions
        self._last_event: Any = None
        self._last_decision: Any = None
        self._cycles: set[str] = set()
        self._warnings: set[ReadWarning] = set()
        self._folded = False

    def add(self, line: EventLine) -> None:
        self.lines.append(line)

    def fold(self, session: AttachSession, now: datetime) -> None:
        first = not self._folded
        self._folded = True
        events = _after(session.events, self._last_event)
        if session.events:
            self._last_event = session.events[-1]
        decisions = _after(session.trace.decisions, self._last_decision)
        if session.trace.decisions:
            self._last_decision = session.trace.decisions[-1]
        if first:
            events, decisions = events[-self.backlog:], decisions[-self.backlog:]
        for e in events:
            self.add(event_line(e, now))
        trace: list[tuple[str, int, EventLine]] = []
        for d in decisions:
            trace.append((str(d.get("ts") or ""), _int(d.get("seq")), decision_line(d, now)))
        for c in list(session.trace.cycles.values()):
            if c.completion and c.trace_id not in self._cycles:
                self._cycles.add(c.trace_id)
                trace.append((c.finished_at, c.last_seq, cycle_line(c, now)))
        for _, _, line in sorted(trace, key=lambda x: (x[0], x[1])):
            self.add(line)
        for w in session.warnings():
            if w not in self._warnings:
                self._warnings.add(w)
                self.add(warning_line(w, now))
        del self.lines[:-self.max_lines]


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _at(ts: Any, now: datetime) -> datetime:
    return parse_time(ts if isinstance(ts, str) else None) or now


def event_line(e: dict[str, Any], now: datetime) -> EventLine:
    """One events.jsonl record: its type, subject and message (and its seq)."""
    msg = e.get("message") if isinstance(e.get("message"), str) else ""
    subj = str(e.get("subject") or "")
    sid = str(e.get("session_id") or "")
    who = subj + (f" ({sid})" if sid and sid != subj else "")
    text = " ".join(x for x in (str(e.get("type") or "?"), who, msg) if x)
    if e.get("seq") is not None:
        text += f"  #{e['seq']}"
    return EventLine(0, 0, _at(e.get("ts"), now), "event", text, sid or subj)


def decision_line(d: dict[str, Any], now: datetime) -> EventLine:
    """One trace decision with its real tick id."""
    who = d.get("session_name") or d.get("template") or ""
    text = f"{d.get('site_code', '')} {d.get('reason_code', '')} → {d.get('outcome_code', '')} {who}".strip()
    tick = str(d.get("tick_id") or "")
    if tick:
        text += f"  tick {tick}"
    return EventLine(0, _tick_number(tick), _at(d.get("ts"), now), "trace", text, str(who))


def cycle_line(c: Any, now: datetime) -> EventLine:
    """A finished controller cycle: its tick id, how it ended, and its counts."""
    bits = [f"tick {c.tick_id or c.trace_id} {c.completion}"]
    if c.trigger:
        bits.append(f"trigger {c.trigger}")
    snap = c.snapshot or {}
    if isinstance(snap.get("desired_session_count"), int):
        bits.append(f"desired {snap['desired_session_count']}")
    if isinstance(snap.get("open_session_count"), int):
        bits.append(f"open {snap['open_session_count']}")
    bits.append(f"{len(c.decisions)} decisions")
    return EventLine(0, _tick_number(c.tick_id), _at(c.finished_at, now), "cycle", ", ".join(bits))


def warning_line(w: ReadWarning, now: datetime) -> EventLine:
    """A read warning as an event-log line at `now`."""
    return EventLine(0, 0, now, "warning", f"{w.source} {w.code}: {w.render()}", w.path)


# ---------------------------------------------------------------------------------------- the state
class AttachState:
    def __init__(self, session: AttachSession, *, max_lines: int = 3000, backlog: int = 400) -> None:
        self.session = session
        self.feed = Feed(max_lines, backlog)
        self._lock = threading.RLock()
        self._generation = 0
        self._view: tuple[Model | None, str] | None = None  # (model over the live world, why not)
        self._view_stale = True
        self._fresh_model = True
        self.model_runs = 0  # model ticks for the Sessions view (drift ticks are the session's drift_runs)
        self.board: AttachBoard | None = None
        self._watch_paths = session.watch_paths()

    def watch_paths(self) -> list[str]:
        """What to watch, as of the last refresh (never waits for a refresh in progress, so the
        watcher on the event loop cannot stall the screen)."""
        return list(self._watch_paths)

    def close(self) -> None:
        with self._lock:
            self.session.close()

    def refresh(self, changed: Iterable[str] | None = None, *, model: bool = True) -> AttachBoard:
        """Poll (every source when `changed` is None, else only those under the changed paths,
        none for an empty list) and return the new picture.

        `model=False` keeps the last model tick (drift, markers, why chains) even when a source
        it reads changed, and says so in the header (`drift_stale`): the caller recomputes it
        with `model=True` once the city settles (core.attach.settle). The sources themselves
        (beads, tmux, trace, events, alarms) are always read fresh."""
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
                self.board = self._build(now)
            except Exception as e:
                self.feed.add(EventLine(0, 0, now, "error", f"the picture could not be built ({type(e).__name__}: "
                                        f"{e}); the last one is kept"))
                if self.board is None:
                    self.board = _empty_board(self.session, now)
                self._generation += 1
                self.board = replace(self.board, generation=self._generation, lines=tuple(self.feed.lines))
            return self.board

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

    def _build(self, now: datetime) -> AttachBoard:
        from core.plan import session_rows
        from core.roster import agent_rows

        s = self.session
        snap = s.snapshot(fresh_drift=self._fresh_model)
        model, why_not = self._model_view()
        if model is not None:
            rows = session_rows(model)
            agents = agent_rows(model)
            n_desired = len(model.last_desired.entries) if model.last_desired else 0
        else:
            rows, agents, n_desired = plain_session_rows(snap), [], 0
        observable = s.runtime_observable
        if not observable:
            rows = unobservable(rows)
        summary = summarize(model, rows) if model is not None else None
        marks = {m: sum(1 for r in rows if r.marker == m) for m in (START, STOP, CHANGE, DEFER)}
        running = sum(1 for r in snap["runtime"] if r["alive"])
        n_open = sum(1 for r in snap["sessions"] if r["open"])
        line = (f"desired {n_desired if model is not None else '?'} · open {n_open} · "
                f"running {running if observable else '?'} · to start {marks[START]} · to stop {marks[STOP]} · "
                f"changing {marks[CHANGE]} · deferred {marks[DEFER]}")
        config_notes = [w["text"] for w in snap["warnings"] if w["source"] == "config"]
        # The model's in-memory trackers cannot be seen from outside: the lifecycle rows go to
        # the attach board's own `trackers`, the shared board has none.
        board = Board(agents, rows, summary or summarize_plain(rows),
                      [AliasDeferral.from_json(d) for d in snap["deferrals"]], [], config_notes)
        drift = snap["drift"]
        banner = ""
        if not snap["city"]["config_loaded"]:
            err = next((w["text"] for w in snap["warnings"] if w["code"] == "config_error"), "")
            banner = f"city.toml is not loaded: {err or 'no city.toml'}"
            if "still shows" not in banner:
                banner += " · beads, tmux, trace and events still show; the model, drift and why chains need it"
        elif why_not:
            banner = why_not
        notice = (snap["sources"].get("api") or {}).get("notice")
        if notice:  # the supervisor's state first: everything below it is as of its last answer
            banner = notice + (f" · {banner}" if banner else "")
        alarms = tuple(alarm_rows(snap["alarms"]))
        before = {a.key for a in self.board.alarms} if self.board is not None else set()
        raised = tuple(a for a in alarms if a.key not in before)
        for a in raised:
            until = f" (until {a.until[11:19]})" if a.until else ""
            self.feed.add(EventLine(0, 0, now, "alarm", f"{a.kind} {a.subject}: {a.message}{until}",
                                    a.bead_ids[0] if a.bead_ids else a.subject))
        self._generation += 1
        return AttachBoard(
            generation=self._generation,
            header=replace(header(snap, now, len(s.warnings())), drift_at=s.drift_computed_at,
                           drift_stale=s.drift_stale or self._view_stale, inputs_version=s.inputs_version),
            board=board,
            sessions_summary=line,
            runtime_observable=observable,
            trackers=tuple(lifecycle_row(t) for t in snap["trackers"]),
            drift=tuple(drift_rows(drift)),
            drift_notes=tuple(drift.get("notes") or ()),
            drift_error=drift.get("error") or "",
            alarms=alarms,
            lines=tuple(self.feed.lines),
            banner=banner,
            model=model,
            raised=raised,
        )


def summarize_plain(rows: Sequence[SessionRow]):
    """A PlanSummary counting rows by marker; the desired and running counts are left 0."""
    from core.plan import PlanSummary

    count = {m: sum(1 for r in rows if r.marker == m) for m in (START, STOP, CHANGE, DEFER, SYNCED)}
    return PlanSummary(0, 0, count[START], count[STOP], count[CHANGE], count[DEFER], count[SYNCED])


def _empty_board(session: AttachSession, now: datetime) -> AttachBoard:
    h = Header(session.layout.name, session.root, "", session.city is not None, "", "", "", now, None, 0, 0, ())
    return AttachBoard(0, h, Board([], [], summarize_plain([]), [], [], []), "", False, (), (), (), "", (), (), "")
