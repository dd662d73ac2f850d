"""From the model's per-tick trace records to complete Gas City cycles.

The model emits typed records (`Outcome.trace`, core.tracefile.record); this module takes their
JSON forms (`to_json()`, as the state JSON shows them): a `record_type` plus whatever it decided
(`site_code`, `reason_code`, `outcome_code`, `template`, `session_name`, `fields`, ...).
`CycleTracer.write_cycle` gives them what the controller's collector adds to every record of a
cycle and writes the cycle the way a controller does:

- identity, always the tracer's (it plays the controller process): `trace_id` (`cycle-<16 hex>`,
  derived from the tick id so a run is reproducible), `tick_id` (`<city>-<pid>-<process start
  unix nanos>-<NNNNNN cycle counter>`), `seq` and `record_id` (assigned at write), `ts` (the
  record's model time, else the tick's, plus one microsecond per record so that Gas City's
  batch sort keeps creation order);
- provenance: `city_path`, `config_revision`, `controller_instance_id` (`host:pid`),
  `controller_pid`, `controller_started_at`, `host`, `gc_version`, `gc_commit`, `build_date`;
- mode: template-scoped `decision`, `operation`, `mutation` and `template_config_snapshot`
  records are written as `detail` with source `manual` (as if every template were armed with
  `gc trace start`); everything else is `baseline`/`always_on`. Values the model set win.
- framing: a `cycle_start` (with `tick_trigger`/`trigger_detail`) first and a `cycle_result`
  last, unless the model supplied them; the `cycle_result` gets site `cycle.finish`, status
  `completed`, `record_count` (records of the cycle) and the rollups in `fields` wherever the
  model left them out, plus the caller's `result_fields`. The first batch is flushed after the
  cycle's template-less `session_baseline` (the open-count record) when there is one, the rest
  goes in a second batch.

Keys a trace record does not have are moved into `fields` rather than lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.tracefile.gojson import RECORD_FIELD_NAMES, datetime_to_ns, format_ts_ns, parse_ts_ns
from core.tracefile.vocab import DETAIL_RECORD_TYPES, SCHEMA_VERSION
from core.tracefile.writer import TraceWriter


@dataclass(frozen=True)
class Provenance:
    """Who "wrote" the trace: the controller process the records claim to come from."""

    city_name: str
    city_path: str
    host: str = "citywatch"
    pid: int = 1
    started_at: datetime | None = None
    gc_version: str = "citywatch-model"
    gc_commit: str = ""
    build_date: str = ""

    @property
    def instance_id(self) -> str:
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True)
class CycleWritten:
    """Where one reconcile cycle's trace landed: ids, sequence range and segments written."""
    trace_id: str
    tick_id: str
    first_seq: int
    last_seq: int
    segments: tuple[str, ...]


def trace_id_for(tick_id: str) -> str:
    """The stable trace id derived from a tick id."""
    return "cycle-" + hashlib.sha256(tick_id.encode()).hexdigest()[:16]


class CycleTracer:
    def __init__(self, writer: TraceWriter, provenance: Provenance) -> None:
        self.writer = writer
        self.prov = provenance
        self.cycles = 0

    def write_cycle(self, records: Sequence[Mapping[str, Any]], now: datetime, *, trigger: str = "patrol",
                    trigger_detail: str = "controller_tick", config_revision: str = "",
                    result_fields: Mapping[str, Any] | None = None) -> CycleWritten:
        """Write one controller cycle holding `records` at model time `now`."""
        self.cycles += 1
        started = self.prov.started_at or now
        start_ns = datetime_to_ns(started)
        tick_id = f"{self.prov.city_name}-{self.prov.pid}-{start_ns}-{self.cycles:06d}"
        trace_id = trace_id_for(tick_id)
        base_ns = datetime_to_ns(now)
        common = {
            "trace_schema_version": SCHEMA_VERSION, "trace_id": trace_id, "tick_id": tick_id,
            "city_path": self.prov.city_path, "config_revision": config_revision,
            "gc_version": self.prov.gc_version, "gc_commit": self.prov.gc_commit, "build_date": self.prov.build_date,
            "controller_instance_id": self.prov.instance_id, "controller_pid": self.prov.pid,
            "controller_started_at": format_ts_ns(start_ns), "host": self.prov.host,
        }
        body = [_normalize(r) for r in records]
        if not any(r["record_type"] == "cycle_start" for r in body):
            body.insert(0, {"record_type": "cycle_start", "tick_trigger": trigger, "trigger_detail": trigger_detail})
        if not any(r["record_type"] == "cycle_result" for r in body):
            body.append({"record_type": "cycle_result"})
        out = [_stamp(r, common, (_ns(r.get("ts")) or base_ns) + i * 1000, base_ns) for i, r in enumerate(body)]
        for st in (r for r in out if r["record_type"] == "cycle_start"):
            st.setdefault("tick_trigger", trigger)
            st.setdefault("trigger_detail", trigger_detail)
        for res in (r for r in out if r["record_type"] == "cycle_result"):
            res.setdefault("site_code", "cycle.finish")
            res.setdefault("completion_status", "completed")
            res.setdefault("record_count", len(out))
            res["fields"] = {**_rollup(out, result_fields or {}), **res.get("fields", {})}
        split = next((i + 1 for i, r in enumerate(out)
                      if r["record_type"] == "session_baseline" and not r.get("template")), 0)
        batches = [b for b in (out[:split], out[split:]) if b]
        segs, first, last = [], 0, 0
        for b in batches:
            stamp_ns = max(_ns(r["ts"]) for r in b)
            written = self.writer.append_batch(_sorted(b), _dt(stamp_ns), "durable")
            segs.append(written.path)
            first = first or written.batch.first_seq
            last = written.batch.commit_seq
        return CycleWritten(trace_id, tick_id, first, last, tuple(dict.fromkeys(segs)))


def _normalize(r: Mapping[str, Any]) -> dict[str, Any]:
    if not r.get("record_type"):
        raise ValueError(f"a trace record needs a record_type: {dict(r)!r}")
    rec: dict[str, Any] = {}
    fields = dict(r.get("fields") or {})
    for k, v in r.items():
        if k == "fields":
            continue
        if k in RECORD_FIELD_NAMES:
            rec[k] = v
        else:
            fields.setdefault(k, v)
    if fields:
        rec["fields"] = fields
    return rec


_IDENTITY = ("trace_schema_version", "seq", "trace_id", "tick_id", "record_id", "ts", "cycle_offset_ms")


def _stamp(r: dict[str, Any], common: Mapping[str, Any], ts_ns: int, start_ns: int) -> dict[str, Any]:
    """The record with the cycle's identity and provenance. Identity and time are always the
    tracer's (it is the controller process); other values the model set win."""
    detail = r["record_type"] in DETAIL_RECORD_TYPES and bool(r.get("template"))
    rec: dict[str, Any] = {"trace_mode": "detail" if detail else "baseline",
                           "trace_source": "manual" if detail else "always_on"}
    rec.update({k: v for k, v in common.items() if k not in _IDENTITY})
    rec.update({k: v for k, v in r.items() if v is not None and v != "" and k not in _IDENTITY})
    rec.update({k: common[k] for k in ("trace_schema_version", "trace_id", "tick_id")})
    rec["ts"] = format_ts_ns(ts_ns)
    rec["cycle_offset_ms"] = (ts_ns - start_ns) // 1_000_000
    return rec


def _rollup(records: list[dict[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
    templates = sorted({r["template"] for r in records if r.get("template")})
    detailed = {r["template"] for r in records if r.get("template") and r.get("trace_mode") == "detail"}
    counts: dict[str, dict[str, int]] = {k: {} for k in ("decision", "operation", "mutation", "reason", "outcome")}
    auto_arms = 0
    for r in records:
        kind = r["record_type"]
        if kind in ("decision", "operation", "mutation") and r.get("site_code"):
            _bump(counts[kind], r["site_code"])
        if kind == "trace_control":
            f = r.get("fields") or {}
            auto_arms += f.get("action") == "start" and f.get("source") == "auto"
        if r.get("reason_code"):
            _bump(counts["reason"], r["reason_code"])
        if r.get("outcome_code"):
            _bump(counts["outcome"], r["outcome_code"])
    fields: dict[str, Any] = {
        "active_template_count": len(templates), "detailed_template_count": len(detailed),
        # Gas City writes a null list when no template was touched.
        "templates_touched": templates or None,
        "decision_counts": counts["decision"], "operation_counts": counts["operation"],
        "mutation_counts": counts["mutation"], "reason_counts": counts["reason"], "outcome_counts": counts["outcome"],
        "auto_arms_triggered": auto_arms, "dropped_record_count": 0, "dropped_batch_count": 0, "drop_reason_counts": {},
    }
    fields.update(extra)
    return fields


def _bump(d: dict[str, int], key: str) -> None:
    d[key] = d.get(key, 0) + 1


def _ns(ts: Any) -> int:
    return (parse_ts_ns(ts) if isinstance(ts, str) else None) or 0


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(microsecond=(ns % 1_000_000_000) // 1000)


def _sorted(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gas City's batch order: by ts, then trace id, tick id and record type (stable)."""
    return sorted(records, key=lambda r: (_ns(r["ts"]), r["trace_id"], r["tick_id"], r["record_type"]))
