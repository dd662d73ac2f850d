"""Beads as a live city stores them: the file store (`.gc/beads.json`) or a `bd --json` listing.

Both decode to `LiveBead`s the same way Gas City does: metadata values that are not strings
are coerced to their JSON text (`true` -> "true", `42` -> "42", `null` -> ""), statuses other
than `closed` and `in_progress` fold into `open`, and a bead is a session bead when its type
is `session` or it carries the `gc:session` label. `ready` follows Gas City's Ready filter:
open, not ephemeral, an actionable type, no infrastructure label, not deferred into the future,
and no open blocker (`blocks`, `waits-for`, `conditional-blocks`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from core.formats.timefmt import parse_time
from core.guards.safeio import STATE_MAX_BYTES, load_json, read_regular
from core.tracefile.problems import ReadWarning

SESSION_LABEL = "gc:session"
_NOT_READY_TYPES = frozenset({"merge-request", "gate", "molecule", "step", "convoy", "message", "session", "agent",
                              "role", "rig"})
_NOT_READY_LABELS = frozenset({"gc:session", "gc:order-tracking", "order-tracking"})
_BLOCKING_DEPS = frozenset({"blocks", "waits-for", "conditional-blocks"})


class LiveBead(NamedTuple):
    """A bead as read from a live city (bd or the file store), statuses folded to open,
    in_progress or closed. A named tuple: a store holds a hundred thousand beads, and a tuple
    is made several times faster than a frozen dataclass."""
    id: str
    title: str
    status: str  # open | in_progress | closed (bd's other statuses fold into open)
    issue_type: str
    created_at: datetime | None
    updated_at: datetime | None
    assignee: str
    priority: int
    labels: tuple[str, ...]
    metadata: dict[str, str]
    blockers: tuple[str, ...]  # ids this bead waits on through a blocking dependency
    ephemeral: bool = False
    defer_until: datetime | None = None
    is_blocked: bool | None = None  # bd's own ready projection, when it sent one

    @property
    def is_session(self) -> bool:
        return self.issue_type == "session" or SESSION_LABEL in self.labels


@dataclass
class BeadSet:
    """The beads read from one source, the file store's last id sequence, and read warnings."""
    beads: list[LiveBead] = field(default_factory=list)
    next_seq: int = 0  # the file store's `seq` (the last minted id suffix), 0 when unknown
    warnings: list[ReadWarning] = field(default_factory=list)

    def sessions(self) -> list[LiveBead]:
        return [b for b in self.beads if b.is_session]

    def work(self) -> list[LiveBead]:
        return [b for b in self.beads if not b.is_session]

    def counts(self) -> tuple[int, int]:
        """(session beads, other beads), counted in one pass without listing them."""
        sessions = sum(1 for b in self.beads if b.is_session)
        return sessions, len(self.beads) - sessions


def coerce_metadata(raw: Any) -> dict[str, str]:
    """Gas City's StringMap decode: strings stay, other JSON values become their JSON text."""
    if not isinstance(raw, dict):
        return {}
    for k, v in raw.items():
        if type(v) is not str or type(k) is not str:
            break
    else:
        return dict(raw)  # what a store usually holds: nothing to coerce
    out: dict[str, str] = {}
    for k, v in raw.items():
        if isinstance(v, str):
            out[str(k)] = v
        elif v is None:
            out[str(k)] = ""
        else:
            out[str(k)] = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return out


def fold_status(status: Any) -> str:
    """"closed" and "in_progress" unchanged; any other status (or none) as "open"."""
    s = status.strip() if isinstance(status, str) else ""
    return s if s in ("closed", "in_progress") else "open"


def _int(v: Any) -> int:
    """An integer field (a number or a numeric string) within int64, else 0."""
    if type(v) is int:
        return v if -(1 << 63) <= v < (1 << 63) else 0
    if isinstance(v, bool):
        return 0
    if isinstance(v, float):
        v = int(v) if v.is_integer() else 0
    try:
        n = int(v) if isinstance(v, (int, str)) and len(str(v)) <= 20 else 0
    except ValueError:
        return 0
    return n if -(1 << 63) <= n < (1 << 63) else 0


def _text(v: Any) -> str:
    """A field that should be a string: a string as is, a number or boolean as its JSON text,
    anything else (null, an array, an object) as ""."""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, int, float)):
        return json.dumps(v)
    return ""


def _items(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


_INT64_MIN, _INT64_END = -(1 << 63), 1 << 63
_UNSEEN: Any = object()


def _time(v: Any, times: dict[str, datetime | None] | None) -> datetime | None:
    """parse_time of a time field, looked up in `times` first (and kept there) when it is a string."""
    if times is None or type(v) is not str:
        return parse_time(v)
    got = times.get(v, _UNSEEN)
    if got is _UNSEEN:
        got = times[v] = parse_time(v)
    return got


def decode_bead(raw: dict[str, Any], deps: dict[str, list[tuple[str, str]]] | None = None,
                times: dict[str, datetime | None] | None = None) -> LiveBead:
    """One bead object (file store or bd JSON). `deps` adds the file store's top-level
    dependency rows (issue id -> [(depends_on_id, type)]); `times`, a dict the caller keeps
    while decoding a listing, holds the time stamps already parsed (a store repeats a few
    hundred stamps across a hundred thousand beads). A field of the wrong type reads as empty,
    never raises."""
    # A store holds a hundred thousand beads: each field takes the plain case (the type Gas City
    # writes) inline and hands anything else to the general helper, which decides the same way.
    get = raw.get
    v = get("id")
    bid = v if type(v) is str else _text(v)
    v = get("title")
    title = v if type(v) is str else _text(v)
    v = get("issue_type")
    issue_type = v if type(v) is str else _text(v)
    if not issue_type:
        issue_type = _text(get("type"))
    v = get("assignee")
    assignee = v if type(v) is str else _text(v)
    v = get("priority")
    priority = v if type(v) is int and _INT64_MIN <= v < _INT64_END else _int(v)
    listed = get("dependencies")
    rows = deps.get(bid) if deps else None
    status = get("status")
    created, updated, defer = get("created_at"), get("updated_at"), get("defer_until")
    labels = get("labels")
    metadata = get("metadata")
    blocked = get("is_blocked")
    return LiveBead(
        bid,
        title,
        status if status == "open" or status == "closed" or status == "in_progress" else fold_status(status),
        issue_type,
        _time(created, times) if created else None,
        _time(updated, times) if updated else None,
        assignee,
        priority,
        _labels(labels) if labels else (),
        coerce_metadata(metadata) if metadata else {},
        _blockers(bid, rows or [], listed) if rows or listed else (),
        get("ephemeral") is True,
        _time(defer, times) if defer else None,
        blocked if blocked is True or blocked is False else None,
    )


def _labels(v: Any) -> tuple[str, ...]:
    """A bead's labels: the strings (and integers, as text) of a JSON array; () for anything else."""
    items = _items(v)
    if all(type(x) is str for x in items):
        return tuple(items)
    return tuple(str(x) for x in items if isinstance(x, (str, int)) and not isinstance(x, bool))


def _blockers(bid: str, rows: list[tuple[str, str]], listed: Any) -> tuple[str, ...]:
    """The ids bead `bid` waits on through a blocking dependency: the store's top-level `rows`
    and the bead's own `dependencies` array (`listed`)."""
    rows = list(rows)
    for d in _items(listed):
        if isinstance(d, dict):
            # bd list: {issue_id, depends_on_id, type}; bd show: an expanded issue with dependency_type.
            target = _text(d.get("depends_on_id")) or _text(d.get("id"))
            kind = _text(d.get("type")) or _text(d.get("dependency_type"))
            if target and _text(d.get("issue_id")) in ("", bid):
                rows.append((target, kind))
    return tuple(t for t, k in rows if k in _BLOCKING_DEPS)


def is_ready(b: LiveBead, status_by_id: dict[str, str], now: datetime) -> bool:
    """True if the open bead is ready for work: not ephemeral, deferred, blocked, or of a
    not-ready type or label, and every blocker is closed."""
    if b.status != "open" or b.ephemeral or b.issue_type in _NOT_READY_TYPES:
        return False
    if any(label in _NOT_READY_LABELS for label in b.labels):
        return False
    if b.defer_until is not None and b.defer_until > now:
        return False
    if b.is_blocked:
        return False
    return all(status_by_id.get(t) == "closed" for t in b.blockers)


def decode_beads(rows: list[Any], source: str, path: str, deps: dict[str, list[tuple[str, str]]] | None = None
                 ) -> tuple[list[LiveBead], list[ReadWarning]]:
    """Decode raw bead rows into LiveBeads; rows without a string id are skipped with one warning."""
    beads: list[LiveBead] = []
    skipped: list[str] = []
    times: dict[str, datetime | None] = {}
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r.get("id"):
            skipped.append(f"#{i}")
            continue
        beads.append(decode_bead(r, deps, times))
    warns = []
    if skipped:
        warns.append(ReadWarning(source, "bad_bead", f"skipped {len(skipped)} bead entr{'y' if len(skipped) == 1 else 'ies'} "
                                 f"without an id ({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''})", path))
    return beads, warns


class BeadsFile:
    """The file store, re-read only when its inode, size or mtime changes. Gas City rewrites it
    whole (temp file + rename), so a reader never sees a half-written file; a file that does not
    parse is reported and the previous good read is kept."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sig: tuple | None = None
        self.current = BeadSet()
        self.exists = False
        self.mtime: float | None = None

    def poll(self) -> tuple[bool, list[ReadWarning]]:
        """Re-read on change; returns (changed, warnings)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            changed = self.exists
            self.exists, self._sig, self.mtime = False, None, None
            if changed:
                self.current = BeadSet()
            return changed, []
        except OSError as e:
            return False, [ReadWarning("beads", "unreadable", f"cannot stat the bead store ({e.strerror or e})", self.path)]
        sig = (st.st_ino, st.st_size, st.st_mtime_ns)
        if sig == self._sig:
            return False, []
        self._sig = sig
        self.exists, self.mtime = True, st.st_mtime
        try:
            data = load_json(read_regular(self.path, STATE_MAX_BYTES))
        except ValueError as e:
            where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
            return False, [ReadWarning("beads", "bad_json", f"the bead store is not valid JSON{where}: "
                                       f"{getattr(e, 'msg', e)}; keeping the previous read", self.path,
                                       getattr(e, "lineno", None))]
        except OSError as e:
            return False, [ReadWarning("beads", "unreadable", f"cannot read the bead store ({e.strerror or e}); "
                                       "keeping the previous read", self.path)]
        self.current = parse_file_store(data, self.path)
        return True, list(self.current.warnings)


def parse_file_store(data: Any, path: str) -> BeadSet:
    """The file store's top level: `seq`, `beads[]`, optional `deps[]`."""
    if not isinstance(data, dict) or not isinstance(data.get("beads", []), list):
        return BeadSet(warnings=[ReadWarning("beads", "bad_shape", "expected an object with a `beads` array; "
                                             "no beads read", path)])
    deps: dict[str, list[tuple[str, str]]] = {}
    for d in _items(data.get("deps")):
        if isinstance(d, dict) and _text(d.get("issue_id")) and _text(d.get("depends_on_id")):
            deps.setdefault(_text(d["issue_id"]), []).append((_text(d["depends_on_id"]), _text(d.get("type"))))
    beads, warns = decode_beads(data.get("beads") or [], "beads", path, deps)
    return BeadSet(beads, _int(data.get("seq")), warns)
