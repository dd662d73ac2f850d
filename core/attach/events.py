"""Tailing `.gc/events.jsonl` across rotation, one complete line at a time.

The tail keeps the file open and remembers its byte offset. When the path's inode changes (the
controller renamed the file to `events.jsonl.rotating-...` and started a fresh one whose first
line is `events.rotated`) it drains the old file to its end first, then continues at the start
of the new one, so no event is lost or repeated. A line without its newline is never consumed;
a line that is not a JSON object is skipped and reported. On the first poll only the last
`backlog_bytes` of the file are read (the file can be hundreds of MiB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from core.guards.safeio import load_json, open_regular
from core.tracefile.problems import ReadWarning

# At most this much is read per poll (the rest waits for the next one), and a line longer than
# MAX_LINE_BYTES is dropped: Gas City's event lines are a few hundred bytes.
POLL_READ_BYTES = 16 << 20
MAX_LINE_BYTES = 1 << 20


@dataclass
class EventDelta:
    """The events read since the last poll, warnings, and whether the events file was rotated."""
    events: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    rotated: bool = False


class EventTail:
    def __init__(self, path: str, backlog_bytes: int = 1 << 20) -> None:
        self.path = path
        self.backlog_bytes = backlog_bytes
        self._f: BinaryIO | None = None
        self._ino: int | None = None
        self._partial = b""
        self._line: int | None = 0  # line number of the last consumed line; None when unknown
        self._started = False
        self.exists = False

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def poll(self) -> EventDelta:
        out = EventDelta()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as e:
            out.warnings.append(ReadWarning("events", "unreadable", f"cannot stat the events log ({e.strerror or e})",
                                            self.path))
            return out
        self.exists = st is not None
        if self._f is not None and (st is None or st.st_ino != self._ino):
            self._drain(out)  # rotated (or removed): finish the old file first
            self.close()
            out.rotated = st is not None
        elif self._f is not None and st is not None and st.st_size < self._f.tell():
            out.warnings.append(ReadWarning("events", "truncated", "the events log shrank under the reader; "
                                            "reading it again from the start", self.path))
            self.close()
        if st is None:
            return out
        if self._f is None and not self._open(out, first=not self._started):
            return out
        self._started = True
        self._drain(out)
        return out

    def _open(self, out: EventDelta, first: bool) -> bool:
        try:
            f = open_regular(self.path)
        except OSError as e:
            out.warnings.append(ReadWarning("events", "unreadable", f"cannot open the events log ({e.strerror or e})",
                                            self.path))
            return False
        self._f, self._ino = f, os.fstat(f.fileno()).st_ino
        self._partial, self._line = b"", 0
        size = os.fstat(f.fileno()).st_size
        if first and self.backlog_bytes is not None and size > self.backlog_bytes:
            f.seek(size - self.backlog_bytes)
            f.readline()  # drop the partial first line
            self._line = None
        return True

    def _drain(self, out: EventDelta) -> None:
        assert self._f is not None
        data = self._partial + self._f.read(POLL_READ_BYTES)
        end = data.rfind(b"\n") + 1
        self._partial = data[end:]
        if len(self._partial) > MAX_LINE_BYTES:
            out.warnings.append(ReadWarning("events", "long_line", f"skipped a line longer than {MAX_LINE_BYTES >> 20} "
                                            "MiB (not an event)", self.path))
            self._partial = b""
            self._line = None
        bad: list[str] = []
        for raw in data[:end].split(b"\n")[:-1]:
            if self._line is not None:
                self._line += 1
            raw = raw.strip()
            if not raw:
                continue
            try:
                ev = load_json(raw)
            except ValueError:
                ev = None
            if not isinstance(ev, dict):
                bad.append(str(self._line) if self._line is not None else "?")
                continue
            out.events.append(ev)
        if bad:
            out.warnings.append(ReadWarning(
                "events", "bad_line", f"skipped {len(bad)} line(s) that are not JSON objects "
                f"(line {', '.join(bad[:5])}{', ...' if len(bad) > 5 else ''})", self.path))


def event_refs(ev: dict[str, Any]) -> set[str]:
    """Every value an event can name its session by: top-level and payload `session_id`,
    payload `session_name`, and the subject (a bead id, session name or display name)."""
    refs = set()
    payload = ev.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    for v in (ev.get("session_id"), payload.get("session_id"), payload.get("session_name"), ev.get("subject")):
        if isinstance(v, str) and v:
            refs.add(v)
    return refs
