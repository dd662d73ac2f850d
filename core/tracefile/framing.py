"""Batch framing: data records, then one `batch_commit` line carrying the record count, the
seq range, the durability tier and a CRC-32 chained over the records' trimmed lines.

The CRC is CRC-32/IEEE (zlib's), started from 0 for each batch, fed each data line's exact
bytes without the newline, never the commit line. Missing `batch_crc32` means 0 (Go omits
zero values).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.tracefile.gojson import encode_record
from core.tracefile.vocab import SCHEMA_VERSION


def chained_crc(lines: Iterable[bytes]) -> int:
    """CRC-32 chained over `lines` (each already trimmed of surrounding whitespace)."""
    crc = 0
    for line in lines:
        crc = zlib.crc32(line, crc)
    return crc


def record_id(trace_id: str, seq: int, index: int) -> str:
    """The id of the `index`th record of batch `seq` in trace `trace_id`."""
    return f"{trace_id}:{seq}:{index}"


@dataclass(frozen=True)
class FramedBatch:
    """One batch framed for a single write: its bytes, its commit record, and the records as read back."""
    data: bytes  # every line, each with its newline, commit last: one write
    commit: dict[str, Any]
    records: list[dict[str, Any]]  # the records as a reader parses them back from disk

    @property
    def first_seq(self) -> int:
        return self.commit["first_seq"]

    @property
    def last_seq(self) -> int:
        return self.commit["last_seq"]

    @property
    def commit_seq(self) -> int:
        return self.commit["seq"]


def frame_batch(records: list[Mapping[str, Any]], first_seq: int, commit_ts: str, durability: str) -> FramedBatch:
    """Number `records` from `first_seq`, fill empty record ids, and append their commit.

    Every record must already carry `ts`. The commit takes the first record's trace and tick
    ids and consumes a seq of its own (last record seq + 1)."""
    if not records:
        raise ValueError("a batch needs at least one record")
    lines: list[bytes] = []
    written: list[dict[str, Any]] = []  # the inputs, numbered
    seq = first_seq
    for i, r in enumerate(records):
        rec = dict(r)
        rec["trace_schema_version"] = rec.get("trace_schema_version") or SCHEMA_VERSION
        rec["seq"] = seq
        if not rec.get("record_id"):
            rec["record_id"] = record_id(rec.get("trace_id", ""), seq, i)
        lines.append(encode_record(rec))
        written.append(rec)
        seq += 1
    first = written[0]
    commit = {
        "trace_schema_version": SCHEMA_VERSION,
        "seq": seq,
        "trace_id": first.get("trace_id", ""),
        "tick_id": first.get("tick_id", ""),
        "record_id": record_id(first.get("trace_id", ""), seq, len(written)),
        "record_type": "batch_commit",
        "trace_mode": "baseline",
        "trace_source": "always_on",
        "ts": commit_ts,
        "durability_tier": durability,
        "record_count": len(written),
        "first_seq": first_seq,
        "last_seq": seq - 1,
        "batch_crc32": chained_crc(lines),
    }
    commit_line = encode_record(commit)
    data = b"".join(line + b"\n" for line in lines) + commit_line + b"\n"
    # Hand back what a reader will parse from disk (empty fields dropped), not the inputs.
    return FramedBatch(data, json.loads(commit_line), [json.loads(line) for line in lines])
