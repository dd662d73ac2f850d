"""The model's trace records, typed: what the desired-state build, the reconcile tick and a config
reload record, in Gas City's site/reason/outcome vocabulary (SessionReconcilerTraceRecord).

Three origins, one family:
- `TickRecord`: written by the reconcile tick (`TickContext.record`), numbered and stamped at
  creation, with the kind-specific keys a baseline record carries (`tick_trigger`, `trace_mode`,
  `target_id`, ...);
- `BuildRecord`: a desired-state build's decision or demand sub-phase; the tick that ran the
  build numbers and stamps it at the end (`stamp`), a bare `build` step leaves it unnumbered;
- `ReloadRecord`: the `config_reload` record of a config swap.

`to_json()` is the record's JSON form, the one the state JSON shows and `CycleTracer` writes:
each origin keeps its own key order (the state JSON is a contract, byte for byte).
`fields` is Gas City's free-form payload map (empty: absent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TraceRecord:
    """What every trace record the model emits carries."""

    record_type: str
    site_code: str = ""
    reason_code: str = ""
    outcome_code: str = ""
    template: str = ""
    session_name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None  # an operation record's phase name
    # The tick's numbering (seq from 1 over the tick's records), its trace id and tick number;
    # None until the tick stamps the record.
    seq: int | None = None
    trace_id: str | None = None
    tick: int | None = None

    def stamp(self, seq: int, trace_id: str, tick: int) -> None:
        """Number the record within its tick; a trace id or tick it already has is kept."""
        self.seq = seq
        if self.trace_id is None:
            self.trace_id = trace_id
        if self.tick is None:
            self.tick = tick

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _stamps(self) -> dict[str, Any]:
        if self.seq is None:
            return {}
        return {"seq": self.seq, "trace_id": self.trace_id, "tick": self.tick}


@dataclass
class TickRecord(TraceRecord):
    """A record of the reconcile tick: stamped when made, with its time and config revision."""

    ts: str = ""
    config_revision: str = ""
    # Kind-specific keys, written after `fields` in this order when set.
    tick_trigger: str | None = None  # cycle_start
    trigger_detail: str | None = None  # cycle_start
    trace_mode: str | None = None  # cycle_start, session_baseline, session_result
    trace_source: str | None = None  # cycle_start
    evaluation_status: str | None = None  # template_tick_summary
    target_kind: str | None = None  # mutation
    target_id: str | None = None  # mutation
    write_method: str | None = None  # mutation

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "record_type": self.record_type, "seq": self.seq, "trace_id": self.trace_id, "tick": self.tick,
            "ts": self.ts, "site_code": self.site_code, "reason_code": self.reason_code,
            "outcome_code": self.outcome_code, "template": self.template, "session_name": self.session_name,
            "config_revision": self.config_revision,
        }
        if self.fields:
            out["fields"] = self.fields
        extras = (("tick_trigger", self.tick_trigger), ("trigger_detail", self.trigger_detail),
                  ("trace_mode", self.trace_mode), ("trace_source", self.trace_source),
                  ("evaluation_status", self.evaluation_status), ("target_kind", self.target_kind),
                  ("target_id", self.target_id), ("write_method", self.write_method),
                  ("operation_name", self.operation_name))
        out.update((k, v) for k, v in extras if v is not None)
        return out


@dataclass
class BuildRecord(TraceRecord):
    """A record of the desired-state build: a decision, or a demand sub-phase operation."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "record_type": self.record_type, "site_code": self.site_code, "reason_code": self.reason_code,
            "outcome_code": self.outcome_code, "template": self.template, "session_name": self.session_name,
        }
        if self.operation_name is not None:
            out["operation_name"] = self.operation_name
        if self.fields:
            out["fields"] = self.fields
        out.update(self._stamps())
        return out


@dataclass
class ReloadRecord(TraceRecord):
    """The `config_reload` record of a config swap (no template, no session)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record_type": self.record_type, "site_code": self.site_code,
                               "reason_code": self.reason_code, "outcome_code": self.outcome_code}
        if self.fields:
            out["fields"] = self.fields
        stamps = self._stamps()
        if stamps:
            out.update(stamps, template=self.template, session_name=self.session_name)
        return out


def records_json(records: list[TraceRecord]) -> list[dict[str, Any]]:
    """The JSON forms of `records`, in order."""
    return [r.to_json() for r in records]
