"""The segment writer: Gas City's trace store, for traces citywatch produces itself.

One `TraceWriter` behaves like one controller process: on open it recovers the last seq (from
`head.json` when the file it names still has exactly `current_bytes` bytes, else by rescanning
every segment), and its first batch goes to a new segment. After that it appends batch after
batch to the same segment until 512 batches, 16 MiB, or a new UTC day, then rotates to the next
index in that day's directory. Each batch is one write of its records plus their `batch_commit`;
`head.json` is replaced atomically after every batch.

Where it departs from Gas City's writer, because the folder is the operator's: it never changes
what it did not write. It creates its root, or takes an existing one only when it holds nothing
but a trace's own layout (head.json, segments/, quarantine/, arms.json), and never changes a
folder's mode. A segment that fails to verify at open is left where it is and listed in
`damaged` (Gas City moves it to `quarantine/`). Retention (segments over 7 days old, or the
oldest while the total exceeds 1 GiB, at most every 5 minutes of wall-clock time, never the
current one) only ever removes segments this writer wrote.

It refuses a root that is, or lies inside, a `.gc` directory: citywatch never writes into a
live city.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.guards.safeio import SMALL_JSON_MAX_BYTES, load_json, read_regular
from core.tracefile import layout as L
from core.tracefile.framing import FramedBatch, frame_batch
from core.tracefile.gojson import datetime_to_ns, format_ts_ns


class TraceWriteRefused(ValueError):
    """The writer was pointed somewhere it must not write (a live city's `.gc/`)."""


@dataclass(frozen=True)
class BatchWritten:
    """A batch written, and the segment path it went to."""
    path: str  # relative to the root
    batch: FramedBatch


def _free_bytes(path: str) -> int:
    return shutil.disk_usage(path).free


class TraceWriter:
    def __init__(self, root: str, *, fsync: bool = True, free_bytes: Callable[[str], int] = _free_bytes,
                 wall_clock: Callable[[], float] = time.time) -> None:
        if L.inside_city_runtime(root):
            raise TraceWriteRefused(f"{root}: refusing to write a trace inside a city's .gc directory; "
                                    "choose a directory outside the city")
        self.root = os.path.abspath(root)
        self.fsync = fsync
        self._free_bytes = free_bytes
        self._wall_clock = wall_clock
        self.seq = 0
        self.current_rel = ""
        self.current_bytes = 0
        self.current_batches = 0
        self._current_day = ""
        self.low_space = False
        self._last_prune: float | None = None
        self._tmp_counter = 0
        self.damaged: list[str] = []  # segments that failed to verify at open, left in place
        self._written: set[str] = set()  # segments this writer created: the only ones it may prune
        self._ensure_root()
        if not self._recover_from_head():
            self._recover_by_rescan()

    # ------------------------------------------------------------------ recovery
    def _ensure_root(self) -> None:
        """Create the root (private, as Gas City does), or check that an existing one holds only
        a trace's layout. An existing folder's mode is never changed."""
        if os.path.lexists(self.root):
            if not os.path.isdir(self.root):
                raise TraceWriteRefused(f"{self.root}: not a directory")
            foreign = L.foreign_entry(self.root)
            if foreign:
                raise TraceWriteRefused(f"{self.root}: holds {foreign}, which is not part of a citywatch trace; "
                                        "give a new or empty directory (citywatch never writes among other files)")
        else:
            os.makedirs(self.root, mode=L.DIR_MODE)
        for d in (os.path.join(self.root, L.SEGMENTS_DIR), os.path.join(self.root, L.QUARANTINE_DIR)):
            if not os.path.isdir(d):
                os.mkdir(d, L.DIR_MODE)

    def _recover_from_head(self) -> bool:
        try:
            head = load_json(read_regular(os.path.join(self.root, L.HEAD_FILE), SMALL_JSON_MAX_BYTES))
        except (OSError, ValueError):
            return False
        if not isinstance(head, dict):
            return False
        rel = head.get("current_path") or ""
        if rel:
            try:
                size = os.path.getsize(os.path.join(self.root, rel))
            except OSError:
                return False
            if size != int(head.get("current_bytes") or 0):
                return False
        self.seq = int(head.get("seq") or 0)
        return True

    def _recover_by_rescan(self) -> None:
        from core.tracefile.reader import scan_segment

        max_seq = 0
        for rel in L.list_segments(self.root):
            path = os.path.join(self.root, rel)
            result = scan_segment(path)
            if result.error:
                self.damaged.append(rel)  # not this writer's file: reported, never moved
                continue
            max_seq = max(max_seq, result.max_seq)
        self.seq = max_seq
        self._save_head(datetime.fromtimestamp(self._wall_clock(), UTC))

    # ------------------------------------------------------------------ appending
    def append_batch(self, records: Sequence[Mapping[str, Any]], now: datetime, durability: str = "durable") -> BatchWritten:
        """Write `records` (each carrying its `ts`, trace and tick ids) and their commit as one
        batch at time `now`; returns where it went and the records as written."""
        if not records:
            raise ValueError("a batch needs at least one record")
        self._update_low_space()
        if self.low_space:
            durability = "metadata"
        day = L.day_dir(self.root, now)
        if not self.current_rel or day != self._current_day or self.current_bytes >= L.MAX_SEGMENT_BYTES or self.current_batches >= L.MAX_SEGMENT_BATCHES:
            self._open_new_segment(day)
        commit_ts = format_ts_ns(datetime_to_ns(now))
        batch = frame_batch(list(records), self.seq + 1, commit_ts, durability)
        path = os.path.join(self.root, self.current_rel)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, L.FILE_MODE)
        try:
            os.write(fd, batch.data)
            if durability == "durable" and self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        self.seq = batch.commit_seq
        self.current_bytes += len(batch.data)
        self.current_batches += 1
        self._save_head(now)
        self._maybe_prune()
        return BatchWritten(self.current_rel, batch)

    def _open_new_segment(self, day: str) -> None:
        _make_dirs(day, self.root)
        indexes = [L.segment_index(n) for n in os.listdir(day)]
        nxt = max([i for i in indexes if i is not None], default=0) + 1
        self.current_rel = L.relative(self.root, os.path.join(day, L.segment_name(nxt)))
        self._written.add(self.current_rel)
        self._current_day = day
        self.current_bytes = 0
        self.current_batches = 0

    def _update_low_space(self) -> None:
        free = self._free_bytes(self.root)
        limit = L.LOW_SPACE_EXIT_BYTES if self.low_space else L.LOW_SPACE_ENTER_BYTES
        self.low_space = free < limit

    # ------------------------------------------------------------------ head.json
    def _save_head(self, now: datetime) -> None:
        head: dict[str, Any] = {"schema_version": 1, "seq": self.seq}
        if self.current_rel:
            head["current_path"] = self.current_rel
        if self.current_bytes:
            head["current_bytes"] = self.current_bytes
        if self.current_batches:
            head["current_batches"] = self.current_batches
        head["updated_at"] = format_ts_ns(datetime_to_ns(now))
        self._tmp_counter += 1
        tmp = os.path.join(self.root, f"{L.HEAD_FILE}.tmp.{os.getpid()}.{self._tmp_counter}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, L.FILE_MODE)
        try:
            os.write(fd, json.dumps(head, indent=2).encode())
        finally:
            os.close(fd)
        os.replace(tmp, os.path.join(self.root, L.HEAD_FILE))

    # ------------------------------------------------------------------ retention
    def _maybe_prune(self) -> None:
        wall = self._wall_clock()
        if self._last_prune is not None and wall - self._last_prune < L.PRUNE_INTERVAL_S:
            return
        self._last_prune = wall
        self.prune(wall)

    def prune(self, wall: float) -> list[str]:
        """Delete segments this writer wrote that are older than 7 days (mtime), then the oldest
        of them while the total exceeds 1 GiB; never the current segment, never a segment it did
        not write. Returns the relative paths removed."""
        segs = []
        total = 0
        for rel in L.list_segments(self.root):
            if rel not in self._written:
                continue
            try:
                st = os.stat(os.path.join(self.root, rel))
            except FileNotFoundError:
                continue
            segs.append((st.st_mtime, rel, st.st_size))
            total += st.st_size
        removed = []
        for mtime, rel, size in sorted(segs):
            if rel == self.current_rel:
                continue
            if wall - mtime <= L.MAX_AGE_S and total <= L.MAX_TOTAL_BYTES:
                continue
            try:
                os.remove(os.path.join(self.root, rel))
            except FileNotFoundError:
                continue
            total -= size
            removed.append(rel)
        return removed


def _make_dirs(path: str, root: str) -> None:
    """Create `path` and the directories between it and `root` (private), leaving the mode of
    any that exist alone."""
    missing = []
    while not os.path.isdir(path) and path != root:
        missing.append(path)
        path = os.path.dirname(path)
    for d in reversed(missing):
        os.mkdir(d, L.DIR_MODE)
