"""Where a trace lives on disk and the writer's limits, as in a real city's
`.gc/runtime/session-reconciler-trace/`.

    <root>/head.json                              writer cursor, replaced atomically per batch
    <root>/arms.json                              detail arms (never written by citywatch)
    <root>/segments/YYYY/MM/DD/segment-NNNNNN.jsonl   the data, UTC days, index from 1 per day
    <root>/quarantine/segment-NNNNNN.jsonl.<unixnano> segments found corrupt at writer start
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

CITY_TRACE_ROOT = os.path.join(".gc", "runtime", "session-reconciler-trace")
HEAD_FILE = "head.json"
ARMS_FILE = "arms.json"
SEGMENTS_DIR = "segments"
QUARANTINE_DIR = "quarantine"

MAX_SEGMENT_BYTES = 16 << 20
MAX_SEGMENT_BATCHES = 512
PRUNE_INTERVAL_S = 5 * 60
MAX_AGE_S = 7 * 24 * 3600
MAX_TOTAL_BYTES = 1 << 30
LOW_SPACE_ENTER_BYTES = 128 << 20
LOW_SPACE_EXIT_BYTES = 256 << 20
DIR_MODE = 0o700
FILE_MODE = 0o600

_SEGMENT_NAME = re.compile(r"^segment-(\d+)\.jsonl$")
_SEGMENT_REL = re.compile(r"^segments/(\d{4})/(\d{2})/(\d{2})/segment-(\d+)\.jsonl$")


def segment_name(index: int) -> str:
    """The file name of segment number `index`."""
    return f"segment-{index:06d}.jsonl"


def segment_index(name: str) -> int | None:
    """The index of a segment file name, or None for anything else."""
    m = _SEGMENT_NAME.match(name)
    return int(m.group(1)) if m else None


def day_dir(root: str, when: datetime) -> str:
    """The segment directory for the UTC day of `when` under trace root `root`."""
    d = when.astimezone(UTC)
    return os.path.join(root, SEGMENTS_DIR, f"{d.year:04d}", f"{d.month:02d}", f"{d.day:02d}")


def relative(root: str, path: str) -> str:
    """A path under the trace root, relative and with forward slashes (head.json's form)."""
    return os.path.relpath(path, root).replace(os.sep, "/")


def is_segment_rel(rel: str) -> bool:
    """True if `rel` is a segment path relative to the trace root."""
    return bool(_SEGMENT_REL.match(rel))


def list_segments(root: str) -> list[str]:
    """Every segment under `root`, as relative paths in lexical order (= write order)."""
    out: list[str] = []
    base = os.path.join(root, SEGMENTS_DIR)
    for y in _sorted_dirs(base):
        for m in _sorted_dirs(os.path.join(base, y)):
            for d in _sorted_dirs(os.path.join(base, y, m)):
                day = os.path.join(base, y, m, d)
                try:
                    names = os.listdir(day)
                except OSError:
                    continue
                out.extend(f"{SEGMENTS_DIR}/{y}/{m}/{d}/{n}" for n in names if n.endswith(".jsonl"))
    return sorted(out)


def _sorted_dirs(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir())
    except OSError:
        return []


_QUARANTINED = re.compile(r"^segment-\d+\.jsonl\.\d+$")
_HEAD_TMP = re.compile(r"^head\.json\.tmp\.\d+\.\d+$")


def foreign_entry(root: str) -> str:
    """The first entry under `root` that a trace's layout does not have (relative, e.g.
    "notes.txt" or "segments/2026/x"), or "" when it holds nothing else."""
    def scan(rel: str, depth: int) -> str:
        path = os.path.join(root, rel) if rel else root
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as err:
            return f"{rel or '.'} (unreadable: {err.strerror or err})"
        for e in entries:
            name = f"{rel}/{e.name}" if rel else e.name
            is_dir = e.is_dir(follow_symlinks=False)
            if not rel:
                ok = (e.name in (HEAD_FILE, ARMS_FILE) or _HEAD_TMP.match(e.name)) and e.is_file(follow_symlinks=False)
                ok = ok or (e.name in (SEGMENTS_DIR, QUARANTINE_DIR) and is_dir)
            elif rel == QUARANTINE_DIR:
                ok = bool(_QUARANTINED.match(e.name)) and e.is_file(follow_symlinks=False)
            elif depth < 4:  # segments/YYYY/MM/DD
                ok = is_dir and e.name.isdigit() and len(e.name) == (4 if depth == 1 else 2)
            else:
                ok = segment_index(e.name) is not None and e.is_file(follow_symlinks=False)
            if not ok:
                return name
            if is_dir and (rel or e.name in (SEGMENTS_DIR, QUARANTINE_DIR)):
                found = scan(name, depth + 1)
                if found:
                    return found
        return ""

    return scan("", 0)


def inside_city_runtime(path: str) -> bool:
    """True when `path` is, or is inside, a `.gc` directory (after resolving symlinks)."""
    real = os.path.realpath(path)
    parts = real.split(os.sep)
    return ".gc" in parts
