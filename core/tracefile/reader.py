"""Reading trace segments, whole or incrementally, from a real city or from citywatch's writer.

Use `read_trace(root)` for a one-shot read, or keep a `TraceReader(root)` and call `poll()`
whenever something under the root may have changed (a watchfiles callback, or a timer): each
call returns only the batches committed since the last one, and reads only the bytes appended
since then.

Rules (Gas City's reader is strict and fails the whole query; this one reports and goes on):
- A batch is published only once its `batch_commit` line is read and both its `record_count`
  and its chained CRC-32 over the raw lines match. The commit record itself is kept on the
  batch, not mixed into the records.
- A mismatching batch is held back for one more poll (its write may still be landing), then
  skipped with a warning naming the segment, the commit's line and its seq range.
- Lines with no commit after them: in the newest segment they are a write in progress and are
  waited for; in a finished segment (a newer one exists), or on a final read, they are a
  truncated batch and are reported. An unterminated last line is never parsed until it ends.
- A segment that vanishes was pruned or quarantined: its state is dropped; quarantined files
  are reported once and never read; a name that comes back as a new file (the next process may
  reuse an index) is read from its start. A file that cannot be opened is reported once and
  skipped.
- Record types and codes outside Gas City's vocabulary are reported once per value; the
  records are kept as they are.
- Records are keyed by (`trace_id`, `seq`): after a quarantine the controller can restart its
  seq numbering, so seq alone does not identify a record.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Any

from core.guards.safeio import (
    SMALL_JSON_MAX_BYTES,
    UnsafeFileError,
    load_json,
    open_regular,
    read_regular,
)
from core.tracefile import layout as L
from core.tracefile.framing import chained_crc
from core.tracefile.problems import ReadWarning
from core.tracefile.vocab import unknown_codes

# The largest segment read: Gas City rotates at MAX_SEGMENT_BYTES, so anything much larger was
# not written by its trace writer.
SEGMENT_READ_MAX = 4 * L.MAX_SEGMENT_BYTES


def as_int(v: Any) -> int:
    """A JSON integer, or 0 for anything else (a damaged or foreign record never raises)."""
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


@dataclass
class TraceBatch:
    """One committed batch read from a segment: its records and commit record."""
    segment: str  # relative to the trace root
    line: int  # 1-based line of the batch's commit
    records: list[dict[str, Any]]
    commit: dict[str, Any]

    @property
    def first_seq(self) -> int:
        return as_int(self.commit.get("first_seq"))

    @property
    def last_seq(self) -> int:
        return as_int(self.commit.get("last_seq"))

    @property
    def durability(self) -> str:
        return str(self.commit.get("durability_tier") or "")


@dataclass
class TraceDelta:
    """The batches read since the last poll and any warnings from reading them."""
    batches: list[TraceBatch] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [r for b in self.batches for r in b.records]


@dataclass
class _Line:
    raw: bytes  # trimmed
    parsed: dict[str, Any] | None
    number: int


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        v = load_json(raw)
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def _check(lines: list[_Line], commit: dict[str, Any]) -> tuple[str, str]:
    """(code, why) when `lines` do not match `commit`; ("", "") when they do."""
    want = commit.get("record_count") or 0
    if not isinstance(want, int) or want != len(lines):
        return "count_mismatch", f"its commit says {want} records but {len(lines)} lines precede it"
    crc = commit.get("batch_crc32") or 0
    got = chained_crc(x.raw for x in lines)
    if crc != got:
        return "crc_mismatch", f"its batch_crc32 is {crc} but the records hash to {got}"
    return "", ""


def _seq_range(commit: dict[str, Any]) -> str:
    return f"seq {commit.get('first_seq', '?')}-{commit.get('last_seq', '?')}"


@dataclass
class _Scan:
    """Where one poll's walk over the new bytes stands: the next line's offset and number, the
    offset and line count settled so far, the record lines awaiting their commit, and whether a
    batch is held for another poll."""

    pos: int = 0
    number: int = 0
    settled: int = 0
    settled_lines: int = 0
    pending: list[_Line] = field(default_factory=list)
    held: bool = False


class SegmentTail:
    """Incremental reader of one segment file: remembers the byte offset just past the last
    batch it settled, and re-reads from there on every poll."""

    def __init__(self, root: str, rel: str) -> None:
        self.root = root
        self.rel = rel
        self.path = os.path.join(root, rel)
        self.offset = 0
        self.lines_before = 0  # lines up to `offset`
        self.gone = False
        self._suspect: int | None = None  # end offset of a mismatching batch seen once
        self._unreadable = False
        self._ino: int | None = None

    def skip_to_end(self) -> None:
        """Treat everything already in the file as read (used to skip old history)."""
        try:
            with open_regular(self.path) as f:
                self._ino = os.fstat(f.fileno()).st_ino
                data = f.read(SEGMENT_READ_MAX)
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        self.offset = end
        self.lines_before = data.count(b"\n", 0, end)

    def poll(self, final: bool = False) -> TraceDelta:
        """The batches appended since the last poll whose commit verifies, and warnings for what
        does not; with `final`, an unfinished batch or torn last line is reported, not waited for."""
        out = TraceDelta()
        data = self._read_from_offset(out)
        if data is None:
            return out
        scan = self._scan(data, final, out)
        if final and not scan.held:
            self._close_tail(data, scan, out)
        self.offset += scan.settled
        self.lines_before = scan.settled_lines
        return out

    def _read_from_offset(self, out: TraceDelta) -> bytes | None:
        """The bytes past the settled offset (from the start again when the file was replaced);
        None when the segment is gone or unreadable (warned once)."""
        try:
            with open_regular(self.path) as f:
                st = os.fstat(f.fileno())
                if self._ino is not None and st.st_ino != self._ino:  # replaced under the same name
                    self.offset, self.lines_before, self._suspect = 0, 0, None
                self._ino = st.st_ino
                if st.st_size > SEGMENT_READ_MAX:
                    raise UnsafeFileError(errno.EFBIG, f"is larger than the {SEGMENT_READ_MAX >> 20} MiB a "
                                          "segment can be", self.path)
                f.seek(self.offset)
                data = f.read(SEGMENT_READ_MAX + 1 - self.offset)
        except FileNotFoundError:
            self.gone = True
            return None
        except OSError as e:
            if not self._unreadable:
                self._unreadable = True
                out.warnings.append(ReadWarning("trace", "unreadable", f"cannot read this segment ({e.strerror or e}); "
                                                "skipped", self.rel))
            return None
        self._unreadable = False
        return data

    def _scan(self, data: bytes, final: bool, out: TraceDelta) -> _Scan:
        """Walk the complete lines, settling each batch at its batch_commit; stops early when a
        mismatching batch is held for another poll."""
        scan = _Scan(number=self.lines_before, settled_lines=self.lines_before)
        while True:
            nl = data.find(b"\n", scan.pos)
            if nl < 0:
                break
            raw = data[scan.pos:nl].strip()
            scan.pos = nl + 1
            scan.number += 1
            if not raw:
                if not scan.pending:
                    scan.settled, scan.settled_lines = scan.pos, scan.number
                continue
            parsed = _parse(raw)
            if parsed is None or parsed.get("record_type") != "batch_commit":
                scan.pending.append(_Line(raw, parsed, scan.number))
                continue
            batch, warns, hold = self._settle(scan.pending, parsed, scan.number, self.offset + scan.pos, final)
            if hold:
                scan.held = True
                break
            out.warnings += warns
            if batch is not None:
                out.batches.append(batch)
            scan.pending = []
            scan.settled, scan.settled_lines = scan.pos, scan.number
        return scan

    def _close_tail(self, data: bytes, scan: _Scan, out: TraceDelta) -> None:
        """On the final poll: warn of records no commit follows and of a torn last line, and
        settle past both."""
        tail = data[scan.pos:]
        if scan.pending:
            first, last = scan.pending[0].number, scan.pending[-1].number
            out.warnings.append(ReadWarning(
                "trace", "truncated_batch",
                f"truncated batch: {len(scan.pending)} record line(s) (lines {first}-{last}) have no batch_commit "
                "after them (an interrupted write); they were skipped", self.rel, first))
        if tail.strip():
            out.warnings.append(ReadWarning(
                "trace", "torn_tail", "the segment ends in an incomplete line (a torn write); it was ignored",
                self.rel, scan.number + 1))
        scan.settled, scan.settled_lines = len(data), scan.number + (1 if tail else 0)

    def _settle(self, lines: list[_Line], commit: dict[str, Any], number: int, end: int,
                final: bool) -> tuple[TraceBatch | None, list[ReadWarning], bool]:
        """Verify one batch; returns (batch or None, warnings, hold-for-another-poll)."""
        warns: list[ReadWarning] = []
        code, why = _check(lines, commit)
        want = commit.get("record_count") or 0
        if why and isinstance(want, int) and 0 < want < len(lines) and not _check(lines[-want:], commit)[0]:
            # The commit matches its last `want` lines: what precedes them lost its own commit.
            lost = lines[:-want]
            warns.append(ReadWarning(
                "trace", "truncated_batch",
                f"truncated batch: {len(lost)} record line(s) (lines {lost[0].number}-{lost[-1].number}) have no "
                "batch_commit of their own (an interrupted write); they were skipped", self.rel, lost[0].number))
            lines, why = lines[-want:], ""
        if why:
            if not final and self._suspect != end:
                self._suspect = end
                return None, [], True
            warns.append(ReadWarning(
                "trace", code,
                f"damaged batch {_seq_range(commit)}: {why}; its {len(lines)} line(s) were skipped", self.rel, number))
            self._suspect = None
            return None, warns, False
        self._suspect = None
        records = []
        for x in lines:
            if x.parsed is None:
                warns.append(ReadWarning("trace", "bad_line", "this line is not a JSON object although its batch "
                                         "verifies; it was skipped", self.rel, x.number))
            else:
                records.append(x.parsed)
        return TraceBatch(self.rel, number, records, commit), warns, False


@dataclass
class ScanResult:
    """scan_segment's result: the highest sequence seen, or an error."""
    max_seq: int = 0
    error: str = ""


def scan_segment(path: str) -> ScanResult:
    """Gas City's strict check of a whole segment (what its startup rescan does before it
    quarantines a file): any complete line that does not parse, or any batch whose count or
    CRC is wrong, is an error; an unterminated last line and an uncommitted tail are not."""
    try:
        data = read_regular(path, SEGMENT_READ_MAX)
    except OSError as e:
        return ScanResult(error=str(e))
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    pending: list[_Line] = []
    max_seq = 0
    for i, raw in enumerate(complete + ([tail] if tail.strip() else []), 1):
        raw = raw.strip()
        if not raw:
            continue
        parsed = _parse(raw)
        if parsed is None:
            if i > len(complete):
                break  # torn tail
            return ScanResult(error=f"line {i} does not parse")
        if parsed.get("record_type") == "batch_commit":
            why = _check(pending, parsed)[1]
            if why:
                return ScanResult(error=f"batch ending at line {i}: {why}")
            max_seq = max(max_seq, as_int(parsed.get("seq")))
            pending = []
        else:
            pending.append(_Line(raw, parsed, i))
    return ScanResult(max_seq=max_seq)


class TraceReader:
    """Tails a whole trace root: every segment, head.json and the quarantine directory.

    `history_segments` limits the first poll to the newest N segments (older ones are taken as
    already read); None reads everything. `poll(final=True)` treats the newest segment as
    finished too (for a one-shot read)."""

    def __init__(self, root: str, history_segments: int | None = None) -> None:
        self.root = root
        self.history_segments = history_segments
        self.head: dict[str, Any] | None = None
        self._head_sig: tuple | None = None
        self._tails: dict[str, SegmentTail] = {}
        self._finished: dict[str, int | None] = {}  # finished segment -> its inode
        self._quarantine_seen: set[str] = set()
        self._codes_seen: set[tuple[str, str]] = set()
        self._first = True
        self._last_seq = 0
        self._unreadable_root = False
        self.exists = False

    def poll(self, final: bool = False) -> TraceDelta:
        out = TraceDelta()
        self.exists = os.path.isdir(self.root)
        if not self.exists:
            return out  # no trace is a normal state (tracing off, or never started)
        self._read_head(out)
        segs = self._list(out)
        self._note_quarantine(out)
        listed = set(segs)
        for rel in list(self._tails):
            if rel not in listed:
                del self._tails[rel]  # pruned or quarantined
        if self._first and self.history_segments is not None and segs:
            keep = max(self.history_segments, 0)
            for rel in segs[:len(segs) - keep] if keep else segs[:-1]:
                self._finished[rel] = _inode(os.path.join(self.root, rel))
            if not keep:  # only what is appended from now on
                tail = self._tails[segs[-1]] = SegmentTail(self.root, segs[-1])
                tail.skip_to_end()
        self._first = False
        for rel, ino in list(self._finished.items()):
            # A name can come back as a new file: after a quarantine the next process may reuse
            # its index. Only an unchanged inode stays finished.
            if rel not in listed or _inode(os.path.join(self.root, rel)) != ino:
                del self._finished[rel]
        for i, rel in enumerate(segs):
            if rel in self._finished:
                continue
            tail = self._tails.get(rel) or self._tails.setdefault(rel, SegmentTail(self.root, rel))
            newest = i == len(segs) - 1
            d = tail.poll(final=final or not newest)
            out.warnings += d.warnings
            for b in d.batches:
                self._check_batch(b, out)
                out.batches.append(b)
            if tail.gone:
                self._tails.pop(rel, None)
            elif not newest:
                self._finished[rel] = _inode(tail.path)
                self._tails.pop(rel, None)
        return out

    def _read_head(self, out: TraceDelta) -> None:
        path = os.path.join(self.root, L.HEAD_FILE)
        try:
            st = os.stat(path)
        except OSError:
            self.head, self._head_sig = None, None
            return
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if sig == self._head_sig:
            return
        self._head_sig = sig
        try:
            head = load_json(read_regular(path, SMALL_JSON_MAX_BYTES))
        except (OSError, ValueError) as e:
            out.warnings.append(ReadWarning("trace", "bad_head", f"cannot read head.json ({e}); the segments "
                                            "are read without it", L.HEAD_FILE))
            return
        self.head = head if isinstance(head, dict) else None

    def _list(self, out: TraceDelta) -> list[str]:
        seg_root = os.path.join(self.root, L.SEGMENTS_DIR)
        try:
            os.listdir(seg_root)
        except FileNotFoundError:
            return []
        except OSError as e:
            if not self._unreadable_root:
                self._unreadable_root = True
                out.warnings.append(ReadWarning("trace", "unreadable", f"cannot list the segments ({e.strerror or e}); "
                                                "the trace is unobservable", L.SEGMENTS_DIR))
            return []
        self._unreadable_root = False
        return L.list_segments(self.root)

    def _note_quarantine(self, out: TraceDelta) -> None:
        try:
            names = sorted(os.listdir(os.path.join(self.root, L.QUARANTINE_DIR)))
        except OSError:
            return
        for n in names:
            if n in self._quarantine_seen:
                continue
            self._quarantine_seen.add(n)
            out.warnings.append(ReadWarning(
                "trace", "quarantined",
                "the controller quarantined this segment (it failed to verify when the controller started); "
                "its records are not shown", f"{L.QUARANTINE_DIR}/{n}"))

    def _check_batch(self, b: TraceBatch, out: TraceDelta) -> None:
        if self._last_seq and b.first_seq and b.first_seq <= self._last_seq:
            out.warnings.append(ReadWarning(
                "trace", "seq_restarted",
                f"seq went back from {self._last_seq} to {b.first_seq} (the controller restarted after a "
                "quarantine); records stay keyed by trace_id and seq", b.segment, b.line))
        self._last_seq = as_int(b.commit.get("seq")) or b.last_seq + 1
        for rec in b.records:
            for fld, value in unknown_codes(rec):
                if (fld, value) in self._codes_seen:
                    continue
                self._codes_seen.add((fld, value))
                out.warnings.append(ReadWarning(
                    "trace", "unknown_code",
                    f"unknown {fld} {value!r} (not in Gas City's trace vocabulary); records are kept as written",
                    b.segment))


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def read_trace(root: str) -> TraceDelta:
    """Every committed batch under `root`, with every problem found; never raises on bad data."""
    return TraceReader(root).poll(final=True)
