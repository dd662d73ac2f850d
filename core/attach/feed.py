"""The Events feed of an attached city: what each poll found new, as event-log lines.

`Feed.fold(session, now)` takes what the session read since the last fold (events.jsonl
records, the controller's trace decisions and finished cycles with their real tick ids, every
reader warning once) and appends one `EventLine` per item, oldest first, bounded. The first
fold takes only a backlog of the latest events and decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.formats.timefmt import parse_time
from core.tracefile.problems import ReadWarning
from core.views.event_line import EventLine

if TYPE_CHECKING:
    from core.attach.session import AttachSession
    from core.attach.trace_view import DecisionRow


def short_tick(tick_id: str) -> str:
    """A tick id's counter (`fixture-4242-1780311600000000000-000002` -> `000002`)."""
    return tick_id.rsplit("-", 1)[-1] if tick_id else ""


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
        """Append what `session` read since the last fold (see the module doc), stamped `now`
        where a record has no time of its own."""
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
            trace.append((str(d.ts or ""), _int(d.seq), decision_line(d, now)))
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


def decision_line(d: DecisionRow, now: datetime) -> EventLine:
    """One trace decision with its real tick id."""
    who = d.session_name or d.template or ""
    text = f"{d.site_code} {d.reason_code} → {d.outcome_code} {who}".strip()
    tick = str(d.tick_id or "")
    if tick:
        text += f"  tick {tick}"
    return EventLine(0, _tick_number(tick), _at(d.ts, now), "trace", text, str(who))


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
