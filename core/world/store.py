"""The bead store: session and work beads in persistent maps, with indexes kept up to date.

A snapshot is O(1) (the maps are HAMTs that share structure), which is what lets the TUI keep
one per tick. The indexes (open sessions by identity key, open work by assignee and by route)
are persistent maps too, carried in the snapshot, so restoring one is O(1) as well.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import immutables

from core.formats.timefmt import format_time_seconds
from core.world import beads as B
from core.world.beads import SessionBead, WaitBead, WorkBead, natural_key

# The error text of an injected failing work-store read that names no message.
READ_FAILED = "store read failed"


@dataclass(frozen=True)
class StoreState:
    """An immutable snapshot of the bead store: sessions, work, the next id, and its indexes."""
    sessions: immutables.Map
    work: immutables.Map
    next_id: int
    index: Indexes | None = None  # None: rebuilt from the maps on restore
    waits: immutables.Map = immutables.Map()  # wait id -> WaitBead
    read_faults: tuple = ()  # ((store, mode, ticks, message), ...)
    write_faults: tuple = ()  # ((op, remaining, message), ...)
    next_ids: tuple = ()  # ids a scenario gave for the next creates (new_bead_ids), not yet used
    forgotten_work: int = 0  # closed work beads forgotten (forget_work): new work ids count them still


@dataclass(frozen=True)
class Indexes:
    """The store's indexes as of one snapshot. Each map takes a value to the set of ids
    holding it; open sessions only, non-closed work only."""

    sessions: tuple[immutables.Map, ...]  # one per Store.SESSION_KEYS
    work_by_assignee: immutables.Map
    work_by_route: immutables.Map
    open_sorted: tuple[str, ...] | None  # open session ids in creation order, when known


class StoreWriteError(Exception):
    """A session bead write or create the store refused (an injected store fault)."""


@dataclass
class Write:
    """One store write, for the trace's mutation records and the Events panel."""

    target_kind: str  # session | work
    target_id: str
    method: str  # create | update | close | reopen
    fields: dict[str, tuple[str, str]]


class Store:
    SESSION_KEYS = (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME, B.TEMPLATE, B.CONFIGURED_NAMED_IDENTITY)

    def __init__(self, prefix: str = "gc") -> None:
        self.prefix = prefix
        self.sessions: immutables.Map = immutables.Map()
        self.work: immutables.Map = immutables.Map()
        self.waits: immutables.Map = immutables.Map()  # wait id -> WaitBead
        # Injected faults: a work store ("city" or a rig) whose reads fail or come back partial
        # for `ticks` more ticks, and session bead writes or creates that fail `remaining` times.
        # store -> (mode, ticks left, message): mode "error" or "partial"; the message is the error
        # text a failed read returns ("" = the default, READ_FAILED)
        self.read_faults: dict[str, tuple[str, int, str]] = {}
        self.write_faults: list[list] = []  # [op ("write" | "create"), remaining, message]
        self.failed_writes: list[str] = []  # refused writes since the last drain (for the tick's log)
        self.faulted_beads: set[str] = set()  # the beads those writes were for
        self.next_id = 1
        self.next_ids: list[str] = []  # ids handed out before `<prefix>-<n>` (a scenario's new_bead_ids)
        self.journal: list[Write] = []
        self.forgotten_work = 0  # closed work beads dropped by forget_work (Model.new_work_id counts them)
        self._open_sorted: tuple[str, ...] | None = None  # open ids in creation order, kept up to date
        self._order_touched: set[str] = set()  # ids written since _open_sorted was brought up to date
        self._open: dict[str, SessionBead] | None = None  # open beads by id (None: rebuilt when read)
        self._open_list: tuple[SessionBead, ...] | None = None  # open_sessions() until the next write
        self._idx: dict[str, immutables.Map] = {}
        # The session indexes as the last snapshot (or restore) took them, and the values of each
        # index's keys written since: see _settled_indexes (None: not known, nothing to settle)
        self._idx_base: tuple[immutables.Map, ...] | None = None
        self._idx_touched: dict[str, set[str]] = {}
        self._work_by_assignee: immutables.Map = immutables.Map()
        self._work_by_route: immutables.Map = immutables.Map()
        # open_work() for the work map it was computed from (the map is immutable and replaced on
        # every work write, so the same map means the same answer)
        self._open_work: tuple[immutables.Map, list[WorkBead]] | None = None
        # closed_work_count() for the work map it counts: carried across put_work and forget_work,
        # recounted after any other change of the map
        self._closed_work: tuple[immutables.Map, int] | None = None
        self._rebuild_indexes()

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> StoreState:
        index = Indexes(self._settled_indexes(), self._work_by_assignee, self._work_by_route,
                        self._sorted_open_ids())
        return StoreState(self.sessions, self.work, self.next_id, index, self.waits,
                          tuple((k, *f) for k, f in sorted(self.read_faults.items())),
                          tuple(tuple(f) for f in self.write_faults), tuple(self.next_ids), self.forgotten_work)

    def restore(self, st: StoreState) -> None:
        self.sessions, self.work, self.next_id = st.sessions, st.work, st.next_id
        self.waits = st.waits
        self.read_faults = {k: (m, n, msg) for k, m, n, msg in st.read_faults}
        self.write_faults = [list(f) for f in st.write_faults]
        self.next_ids = list(st.next_ids)
        self.forgotten_work = st.forgotten_work
        if st.index is None:
            self._rebuild_indexes()
            return
        self._idx = dict(zip(self.SESSION_KEYS, st.index.sessions, strict=True))
        self._idx_base, self._idx_touched = st.index.sessions, {}
        self._work_by_assignee, self._work_by_route = st.index.work_by_assignee, st.index.work_by_route
        self._open_sorted = st.index.open_sorted
        self._order_touched = set()
        self._open = None
        self._open_list = None

    # ------------------------------------------------------------------ indexes
    def _rebuild_indexes(self) -> None:
        idx: dict[str, dict[str, set[str]]] = {k: {} for k in self.SESSION_KEYS}
        for b in self.sessions.values():
            if b.open:
                for k in self.SESSION_KEYS:
                    v = b.metadata.get(k)
                    if v:
                        idx[k].setdefault(v, set()).add(b.id)
        self._idx = {k: _frozen_map(v) for k, v in idx.items()}
        self._idx_base, self._idx_touched = None, {}
        self._open_sorted = None
        self._order_touched = set()
        self._open = None
        self._open_list = None
        self._rebuild_work_indexes()

    def _rebuild_work_indexes(self) -> None:
        by_assignee: dict[str, set[str]] = {}
        by_route: dict[str, set[str]] = {}
        for w in self.work.values():
            if w.status == "closed":
                continue
            if w.assignee:
                by_assignee.setdefault(w.assignee, set()).add(w.id)
            if w.route:
                by_route.setdefault(w.route, set()).add(w.id)
        self._work_by_assignee = _frozen_map(by_assignee)
        self._work_by_route = _frozen_map(by_route)

    def _index_add(self, b: SessionBead) -> None:
        for k in self.SESSION_KEYS:
            v = b.metadata.get(k)
            if v:
                self._idx[k] = _add(self._idx[k], v, b.id)
                self._idx_touched.setdefault(k, set()).add(v)

    def _index_remove(self, b: SessionBead) -> None:
        for k in self.SESSION_KEYS:
            v = b.metadata.get(k)
            if v:
                self._idx[k] = _discard(self._idx[k], v, b.id)
                self._idx_touched.setdefault(k, set()).add(v)

    def _settled_indexes(self) -> tuple[immutables.Map, ...]:
        """The session indexes, rebuilt from the last snapshot's with only the keys whose ids
        differ now. A tick often moves a bead's key and moves it back (sync and the build each
        set agent_name their way): the index it ends with is equal to the last snapshot's, but
        made of new copies of the id sets and map paths that the recorded step would keep."""
        base, touched = self._idx_base, self._idx_touched
        if base is not None and touched:
            for k, was in zip(self.SESSION_KEYS, base, strict=True):
                values, now = touched.get(k), self._idx[k]
                if not values or now is was:
                    continue
                changed = False
                with was.mutate() as m:
                    for v in values:
                        ids = now.get(v)
                        if _same_ids(ids, was.get(v)):
                            continue
                        changed = True
                        if ids is None:
                            del m[v]
                        else:
                            m[v] = ids
                    self._idx[k] = m.finish() if changed else was
        self._idx_touched = {}
        settled = self._idx_base = tuple(self._idx[k] for k in self.SESSION_KEYS)
        return settled

    def _index_move(self, old: SessionBead | None, new: SessionBead | None) -> None:
        """Bring the session indexes from `old` (the bead as indexed, None when it was not open)
        to `new` (None when it is not open), touching only the keys whose value changed. Most
        writes leave every indexed key as it was; removing and adding the bead again made new
        copies of each index's path (and of its id set) that every recorded step kept."""
        if old is None:
            if new is not None:
                self._index_add(new)
            return
        if new is None:
            self._index_remove(old)
            return
        before, after, bid = old.metadata, new.metadata, new.id
        for k in self.SESSION_KEYS:
            v0, v1 = before.get(k), after.get(k)
            if v0 == v1:
                continue
            touched = self._idx_touched.setdefault(k, set())
            if v0:
                self._idx[k] = _discard(self._idx[k], v0, bid)
                touched.add(v0)
            if v1:
                self._idx[k] = _add(self._idx[k], v1, bid)
                touched.add(v1)

    def _work_index_add(self, w: WorkBead) -> None:
        if w.status == "closed":
            return
        if w.assignee:
            self._work_by_assignee = _add(self._work_by_assignee, w.assignee, w.id)
        if w.route:
            self._work_by_route = _add(self._work_by_route, w.route, w.id)

    def _work_index_remove(self, w: WorkBead) -> None:
        if w.assignee:
            self._work_by_assignee = _discard(self._work_by_assignee, w.assignee, w.id)
        if w.route:
            self._work_by_route = _discard(self._work_by_route, w.route, w.id)

    def _work_index_move(self, old: WorkBead | None, new: WorkBead) -> None:
        """Bring the work indexes from `old` (the bead as stored, if any) to `new`, touching an
        index only where the bead's key in it changed (see _index_move: an unchanged key was
        removed and added again, a path copy every recorded step kept)."""
        if old is None or old.status == "closed" or new.status == "closed":
            if old is not None:
                self._work_index_remove(old)
            self._work_index_add(new)
            return
        a0, a1 = old.assignee, new.assignee
        if a0 != a1:
            if a0:
                self._work_by_assignee = _discard(self._work_by_assignee, a0, new.id)
            if a1:
                self._work_by_assignee = _add(self._work_by_assignee, a1, new.id)
        r0, r1 = old.route, new.route
        if r0 != r1:
            if r0:
                self._work_by_route = _discard(self._work_by_route, r0, new.id)
            if r1:
                self._work_by_route = _add(self._work_by_route, r1, new.id)

    # ------------------------------------------------------------------ session reads
    def session(self, bead_id: str) -> SessionBead | None:
        return self.sessions.get(bead_id)

    def reread(self, bead_id: str) -> SessionBead:
        """The bead as stored now, for a caller holding an older copy of it (a write since may have
        changed it). The bead must exist: a tick closes beads, it never removes one."""
        return self.sessions[bead_id]

    def open_sessions(self) -> list[SessionBead]:
        """Open session beads in creation order (created_at, then id). The order is kept up to
        date as beads open and close (not re-sorted per call), the beads in a plain dict."""
        opened_by_id = self._open_ids()
        order = self._sorted_open_ids()
        if order is None:
            order = self._open_sorted = tuple(b.id for b in sorted(opened_by_id.values(), key=_creation_key))
        if self._open_list is None:  # a tick reads them many times between writes
            self._open_list = tuple(opened_by_id[i] for i in order)
        return list(self._open_list)

    def all_sessions(self) -> list[SessionBead]:
        out = list(self.sessions.values())
        out.sort(key=lambda b: (b.created_at, natural_key(b.id)))
        return out

    def open_by(self, key: str, value: str) -> list[SessionBead]:
        """Open session beads whose metadata `key` (one of SESSION_KEYS) is `value`, in creation
        order."""
        index = self._idx.get(key)
        ids = index.get(value, ()) if index is not None else ()
        out = [self.sessions[i] for i in ids]
        if len(out) > 1:
            out.sort(key=lambda b: (b.created_at, natural_key(b.id)))
        return out

    # ------------------------------------------------------------------ session writes
    def new_id(self) -> str:
        """The next free id: a scenario's given ids first (new_bead_ids, in order), then
        `<prefix>-<n>`."""
        while self.next_ids:
            bid = self.next_ids.pop(0)
            if bid not in self.sessions and bid not in self.work:
                return bid
        while True:
            bid = f"{self.prefix}-{self.next_id}"
            self.next_id += 1
            if bid not in self.sessions and bid not in self.work:
                return bid

    def put_session(self, bead: SessionBead, method: str = "create") -> SessionBead:
        old = self.sessions.get(bead.id)
        self._index_move(old if old is not None and old.open else None, bead if bead.open else None)
        self.sessions = self.sessions.set(bead.id, bead)
        self._track_open(old, bead)
        fields = {k: ((old.metadata.get(k, "") if old else ""), v) for k, v in bead.metadata.items()
                  if old is None or old.metadata.get(k, "") != v}
        if old is not None:
            for k in old.metadata:
                if k not in bead.metadata:
                    fields[k] = (old.metadata[k], "")
        self.journal.append(Write("session", bead.id, method, fields))
        if old is not None and old is not bead:
            # The version replaced lives on only in recorded steps (and with callers that read it
            # before this write), rarely read again: it drops what was derived from it (a pure
            # function of the bead, derived again if asked) and keeps its metadata compact. Only
            # after the journal has compared it with the new version: a compact metadata map is
            # slower to read than the dict.
            old.retire()
        return bead

    def put_sessions_many(self, beads: Iterable[SessionBead]) -> None:
        """put_session for each of `beads`, journaling nothing (loading a live city's beads):
        into a store that holds no session beads yet and for distinct ids, the map is written
        once and each open bead indexed in the order given, as one put_session each leaves
        them; otherwise it is one put_session each."""
        beads = list(beads)
        by_id = {b.id: b for b in beads}
        if len(self.sessions) or len(by_id) != len(beads):
            kept = len(self.journal)
            for b in beads:
                self.put_session(b)
            del self.journal[kept:]
            return
        self.sessions = self.sessions.update(by_id)
        for b in beads:
            if b.open:
                self._index_add(b)
            self._track_open(None, b)

    def _track_open(self, old: SessionBead | None, new: SessionBead) -> None:
        """Keep the open beads and their creation order up to date after a write."""
        self._open_list = None
        was_open = old is not None and old.open
        if self._open is not None:
            if new.open:
                self._open[new.id] = new
            else:
                self._open.pop(new.id, None)
        if self._open_sorted is None or (was_open == new.open and
                                         (old is None or not was_open or old.created_at == new.created_at)):
            return
        # Noted, not applied: a run of writes (a sweep closing thousands of beads) would copy
        # the whole order once per write; it is brought up to date once, when next read.
        self._order_touched.add(new.id)

    def _sorted_open_ids(self) -> tuple[str, ...] | None:
        """The open ids in creation order, with the writes noted since it was last known merged
        in (O(n + k log k) for k writes)."""
        order = self._open_sorted
        if order is None or not self._order_touched:
            return order
        touched = self._order_touched
        self._order_touched = set()
        kept = [i for i in order if i not in touched]
        came = sorted((i for i in touched if self.sessions[i].open), key=lambda i: _creation_key(self.sessions[i]))
        self._open_sorted = tuple(heapq.merge(kept, came, key=lambda i: _creation_key(self.sessions[i])))
        return self._open_sorted

    def closed_session_count(self) -> int:
        return len(self.sessions) - len(self._open_ids())

    def _open_ids(self) -> dict[str, SessionBead]:
        if self._open is None:
            self._open = {b.id: b for b in self.sessions.values() if b.open}
        return self._open

    def forget_sessions(self, ids: Iterable[str]) -> int:
        """Drop closed session beads from the store (citywatch's retention for a long watch, see
        World.forget_closed; not a Gas City write, so nothing is journaled). Open beads
        are never dropped. Returns how many were."""
        n = 0
        with self.sessions.mutate() as m:
            for bid in ids:
                b = m.get(bid)
                if b is not None and not b.open:
                    del m[bid]
                    n += 1
            self.sessions = m.finish()
        return n

    def forget_work(self, ids: Iterable[str]) -> int:
        """Drop closed work beads from the store (see forget_sessions; closed work is in no
        index). Returns how many were."""
        n = 0
        before = self.work
        with self.work.mutate() as m:
            for wid in ids:
                w = m.get(wid)
                if w is not None and w.status == "closed":
                    del m[wid]
                    n += 1
            self.work = m.finish()
        self.forgotten_work += n
        kept = self._closed_work
        if kept is not None and kept[0] is before:
            self._closed_work = (self.work, kept[1] - n)
        opened = self._open_work
        if opened is not None and opened[0] is before:  # only closed work is forgotten
            self._open_work = (self.work, opened[1])
        return n

    # ------------------------------------------------------------------ faults
    def _refused(self, op: str) -> str:
        """The message of an armed write fault for `op` ("write" or "create"), consuming it; ""."""
        for f in self.write_faults:
            if f[0] == op and f[1] > 0:
                f[1] -= 1
                self.write_faults = [x for x in self.write_faults if x[1] > 0]
                return f[2] or f"injected {op} failure"
        return ""

    def read_fault(self, store: str) -> str:
        """"error", "partial" or "" for reads of a work store ("city" or a rig name)."""
        f = self.read_faults.get(store or "city")
        return f[0] if f is not None else ""

    def read_error(self, store: str) -> str:
        """The error text a failing read of a work store returns (the fault's message, else
        READ_FAILED); "" when its reads do not fail."""
        f = self.read_faults.get(store or "city")
        if f is None or f[0] != "error":
            return ""
        return f[2] or READ_FAILED

    def partial_read_ids(self, store: str) -> set[str]:
        """The ids a partial read of a work store returns: the first half of its open work, by id."""
        ids = sorted((w.id for w in self.open_work() if (w.store or "city") == (store or "city")), key=natural_key)
        return set(ids[:(len(ids) + 1) // 2])

    def end_tick_faults(self) -> None:
        """A tick ran: read faults that were to last for it expire."""
        self.read_faults = {k: (m, n - 1, msg) for k, (m, n, msg) in self.read_faults.items() if n > 1}

    def create_session(self, metadata: Mapping[str, str], now: datetime, *, bead_id: str | None = None,
                       title: str = "", labels: Iterable[str] = ()) -> SessionBead:
        """Create a session bead; raises StoreWriteError when an injected create fault fires."""
        err = self._refused("create")
        if err:
            raise StoreWriteError(err)
        bid = bead_id or self.new_id()
        md = {k: str(v) for k, v in metadata.items() if v not in ("", None)}
        bead = SessionBead(bid, now, md, True, title, frozenset({"gc:session", *labels}))
        return self.put_session(bead, "create")

    def update_session(self, bead_id: str, changes: Mapping[str, str], *, title: str | None = None,
                       labels: frozenset[str] | None = None) -> SessionBead:
        """Apply metadata changes ("" deletes); no write when nothing differs. A write refused by an
        injected fault leaves the bead as it was (recorded in failed_writes)."""
        old = self.sessions[bead_id]
        if all(old.metadata.get(k, "") == (v or "") for k, v in changes.items()) and \
                (title is None or title == old.title) and (labels is None or labels == old.labels):
            return old
        err = self._refused("write")
        if err:
            self.failed_writes.append(f"writing {bead_id}: {err}")
            self.faulted_beads.add(bead_id)
            return old
        new = old.with_meta(changes)
        if title is not None or labels is not None:
            new = SessionBead(new.id, new.created_at, new.metadata, new.open,
                              old.title if title is None else title,
                              # equal labels keep the bead's own set (every recorded step keeps it)
                              old.labels if labels is None or labels == old.labels else labels)
        return self.put_session(new, "update")

    def close_session(self, bead_id: str, code: str, now: datetime, extra: Mapping[str, str] | None = None) -> SessionBead:
        """Gas City's ClosePatch: state=<code>, close_reason, closed_at; the bead leaves every index.
        A close refused by an injected write fault leaves the bead open (recorded in failed_writes)."""
        old = self.sessions[bead_id]
        err = self._refused("write")
        if err:
            self.failed_writes.append(f"closing {bead_id}: {err}")
            self.faulted_beads.add(bead_id)
            return old
        changes = {B.STATE: code, B.CLOSE_REASON: B.close_reason_text(code), B.CLOSED_AT: format_time_seconds(now),
                   B.SYNCED_AT: format_time_seconds(now), B.PENDING_CREATE_CLAIM: ""}
        if extra:
            changes.update(extra)
        new = old.with_meta(changes)
        # A closed bead is seldom written again, so every recorded step from now on keeps this
        # version: its metadata is held compactly (equal, in the same order).
        new = SessionBead(new.id, new.created_at, B.FrozenMeta(new.metadata), False, new.title, new.labels)
        return self.put_session(new, "close")

    def close_session_plain(self, bead_id: str) -> SessionBead:
        """A store close with no metadata patch (beads.Store.Close): only the open flag changes."""
        old = self.sessions[bead_id]
        return self.put_session(SessionBead(old.id, old.created_at, old.metadata, False, old.title, old.labels), "close")

    def reopen_session(self, bead_id: str, changes: Mapping[str, str]) -> SessionBead:
        """Reopen a closed bead with its metadata changes in one write (status and metadata
        together, as reopenClosedConfiguredNamedSessionBead's single Update). A write refused by
        an injected fault leaves the bead closed and as it was (recorded in failed_writes)."""
        old = self.sessions[bead_id]
        err = self._refused("write")
        if err:
            self.failed_writes.append(f"reopening {bead_id}: {err}")
            self.faulted_beads.add(bead_id)
            return old
        new = old.with_meta({**changes, B.CLOSE_REASON: "", B.CLOSED_AT: ""})
        new = SessionBead(new.id, new.created_at, new.metadata, True, new.title, new.labels)
        return self.put_session(new, "reopen")

    # ------------------------------------------------------------------ waits
    def put_wait(self, w: WaitBead) -> WaitBead:
        self.waits = self.waits.set(w.id, w)
        return w

    def waits_in_order(self) -> list[WaitBead]:
        """Every wait, by id."""
        return [self.waits[k] for k in sorted(self.waits.keys(), key=natural_key)]

    # ------------------------------------------------------------------ work
    def work_bead(self, wid: str) -> WorkBead | None:
        return self.work.get(wid)

    def put_work(self, w: WorkBead) -> WorkBead:
        old = self.work.get(w.id)
        self._work_index_move(old, w)
        before = self.work
        self.work = self.work.set(w.id, w)
        kept = self._closed_work
        if kept is not None and kept[0] is before:
            closed = (w.status == "closed") - (old is not None and old.status == "closed")
            self._closed_work = (self.work, kept[1] + closed)
        opened = self._open_work
        if opened is not None and opened[0] is before and _replace_open_work(opened[1], old, w):
            self._open_work = (self.work, opened[1])
        else:
            self._open_work = None  # a restore may bring `before` back: its list is not kept
        return w

    def closed_work_count(self) -> int:
        """How many work beads are closed (kept up to date as work is written: a long watch asks
        every step, and counting means reading every work bead)."""
        kept = self._closed_work
        if kept is None or kept[0] is not self.work:
            kept = self._closed_work = (self.work, sum(1 for w in self.work.values() if w.status == "closed"))
        return kept[1]

    def update_work_metadata(self, wid: str, patch: Mapping[str, str], *, assignee: str | None = None,
                             routed_to: str | None = None) -> WorkBead:
        """A controller write of a work bead (Update / SetMetadataBatch): metadata merged ("" deletes
        a key), and the assignee or route when given; journaled like a session write (the route
        as `gc.routed_to`, the assignee as `assignee`)."""
        old = self.work[wid]
        merged = dict(old.metadata)
        fields: dict[str, tuple[str, str]] = {}
        for k, v in patch.items():
            before = merged.get(k, "")
            if v:
                merged[k] = v
            else:
                merged.pop(k, None)
            if before != v:
                fields[k] = (before, v)
        changes: dict = {"metadata": tuple(sorted(merged.items()))}
        if assignee is not None:
            changes["assignee"] = assignee
            if old.assignee != assignee:
                fields["assignee"] = (old.assignee, assignee)
        if routed_to is not None:
            changes["routed_to"] = routed_to
            if old.routed_to != routed_to:
                fields["gc.routed_to"] = (old.routed_to, routed_to)
        new = self.put_work(old.with_(**changes))
        self.journal.append(Write("work", wid, "update", fields))
        return new

    def put_work_many(self, beads: Iterable[WorkBead]) -> None:
        """put_work for each of `beads` in one pass (the later of two with one id wins): the
        work map is updated once and the work indexes rebuilt once, which loading a large
        city's work needs (put_work copies a path of each map per bead)."""
        self.work = self.work.update({w.id: w for w in beads})
        self._rebuild_work_indexes()

    def open_work(self) -> list[WorkBead]:
        """Non-closed work beads in id order. Kept, and brought up to date by put_work and
        forget_work: a tick reads them several times, and finding them means reading every work
        bead, closed ones included; any other change of the work map finds them again."""
        kept = self._open_work
        if kept is None or kept[0] is not self.work:
            out = [w for w in self.work.values() if w.status != "closed"]
            out.sort(key=_work_order)
            kept = self._open_work = (self.work, out)
        return list(kept[1])

    def work_assigned_to(self, identity: str) -> list[WorkBead]:
        ids = self._work_by_assignee.get(identity, ())
        return [w for w in (self.work[i] for i in ids) if w.status != "closed" and w.assignee == identity]

    def work_routed_to(self, template: str) -> list[WorkBead]:
        ids = self._work_by_route.get(template, ())
        return [w for w in (self.work[i] for i in ids) if w.status != "closed" and w.route == template]

    def assigned_work(self) -> list[WorkBead]:
        """Non-closed work beads with an assignee, in id order."""
        out = []
        for ids in self._work_by_assignee.values():
            for i in ids:
                w = self.work[i]
                if w.status != "closed" and w.assignee:
                    out.append(w)
        out.sort(key=lambda w: natural_key(w.id))
        return out

    def routes(self) -> list[str]:
        """Every route (gc.routed_to) some non-closed work bead has, sorted."""
        return sorted(self._work_by_route.keys())


def _creation_key(b: SessionBead) -> tuple:
    return (b.created_at, natural_key(b.id))


# An index maps a key to the ids that have it, as a persistent set shared by every snapshot. Small
# sets are tuples of distinct ids (cheapest to hold and to copy, and every recorded step keeps
# the ones it changed: a tuple of one id is 48 bytes, a frozenset 216); once one grows past this,
# it becomes an immutables.Map of id -> True, so adding to a set of n ids costs O(log n), not a
# copy of n ids (thousands of open beads of one template made loading a live city quadratic).
# Readers only test membership, count and iterate: none depends on the order.
_SMALL_SET = 32


def _id_set(ids: set[str]) -> tuple[str, ...] | immutables.Map:
    return tuple(ids) if len(ids) <= _SMALL_SET else immutables.Map(dict.fromkeys(ids, True))


def _frozen_map(index: dict[str, set[str]]) -> immutables.Map:
    return immutables.Map({k: _id_set(v) for k, v in index.items()})


def _add(index: immutables.Map, key: str, item: str) -> immutables.Map:
    """`index` with `item` in the set at `key`."""
    held = index.get(key)
    if held is None:
        return index.set(key, (item,))
    if item in held:
        return index
    if isinstance(held, tuple):
        if len(held) < _SMALL_SET:
            return index.set(key, (*held, item))
        held = immutables.Map(dict.fromkeys(held, True))
    return index.set(key, held.set(item, True))


def _same_ids(a: tuple[str, ...] | immutables.Map | None, b: tuple[str, ...] | immutables.Map | None) -> bool:
    """Whether two id sets of an index (None: no set) hold the same ids."""
    if a is None or b is None:
        return a is b
    return a is b or (len(a) == len(b) and all(i in b for i in a))


def _discard(index: immutables.Map, key: str, item: str) -> immutables.Map:
    """`index` without `item` in the set at `key` (an emptied set is dropped)."""
    held = index.get(key)
    if held is None or item not in held:
        return index
    rest = tuple(i for i in held if i != item) if isinstance(held, tuple) else held.delete(item)
    return index.set(key, rest) if len(rest) else index.delete(key)


def _work_order(w: WorkBead) -> tuple:
    return natural_key(w.id)


def _replace_open_work(beads: list[WorkBead], old: WorkBead | None, new: WorkBead) -> bool:
    """Bring `beads` (open work in id order) up to date, in place, for `old` written as `new`.
    False, with `beads` left unusable, where a full sort could order them otherwise: an id that
    sorts equal to another's (`gc-01`, `gc-1`: the sort is stable, by map order), or an open
    `old` not where the order puts it."""
    if old is not None and old.status != "closed":
        key = natural_key(old.id)
        i = bisect_left(beads, key, key=_work_order)
        if i >= len(beads) or beads[i].id != old.id or (i + 1 < len(beads) and _work_order(beads[i + 1]) == key):
            return False
        del beads[i]
    if new.status != "closed":
        key = natural_key(new.id)
        i = bisect_left(beads, key, key=_work_order)
        if i < len(beads) and _work_order(beads[i]) == key:
            return False
        beads.insert(i, new)
    return True
