"""The controller's own account of its recent ticks, folded out of the trace stream.

Cycles are keyed by `trace_id` (a cycle's records can arrive in several batches, and seq
numbers can repeat after a quarantine). For each cycle this keeps what compares one-to-one
with the model: `cycle_input_snapshot` (`pool_desired`, `scale_check_counts`, desired and open
counts), `template_tick_summary` (desired and open counts per template),
`session_baseline`/`session_result` (pre- and post-tick `state`/`sleep_reason` per session
name), and its decisions. Only the newest cycles and decisions are kept.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from core.tracefile.problems import ReadWarning
from core.tracefile.reader import TraceReader, as_int

DECISION_KEYS = ("seq", "tick_id", "trace_id", "ts", "site_code", "reason_code", "outcome_code", "template",
                 "session_name", "trace_mode")


class DecisionRow(NamedTuple):
    """The displayed fields of one decision trace record, as the trace wrote them (any JSON value:
    the trace is live input; "" for a missing key), and its `fields` map (empty when none). A
    named tuple: a large cycle records thousands of decisions, and a tuple is made several
    times faster than a frozen dataclass."""

    seq: object
    tick_id: object
    trace_id: object
    ts: object
    site_code: object
    reason_code: object
    outcome_code: object
    template: object
    session_name: object
    trace_mode: object
    fields: object

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in DECISION_KEYS} | {"fields": self.fields}


def decision_row(rec: dict[str, Any]) -> DecisionRow:
    """The displayed fields of a decision trace record, with its `fields` (empty if none)."""
    get = rec.get
    return DecisionRow(get("seq", ""), get("tick_id", ""), get("trace_id", ""), get("ts", ""), get("site_code", ""),
                       get("reason_code", ""), get("outcome_code", ""), get("template", ""),
                       get("session_name", ""), get("trace_mode", ""), get("fields") or {})


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session's pre- or post-tick record in a cycle (`session_baseline`/`session_result`), as
    the trace wrote it."""

    template: object
    state: object
    sleep_reason: object

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "state": self.state, "sleep_reason": self.sleep_reason}


@dataclass(frozen=True, slots=True)
class TraceHead:
    """The trace's head.json as last read: the writer's object, key for key (its JSON form is the
    file's), with the field the attach header shows."""

    raw: Mapping[str, object]

    @property
    def seq(self) -> object:
        return self.raw.get("seq")

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """A finished controller cycle as the snapshot's `trace.last_cycle` shows it: its ids, times,
    trigger, inputs per template, post-tick session records and decision count."""

    trace_id: str
    tick_id: str
    started_at: str
    finished_at: str
    trigger: str
    trigger_detail: str
    controller: str
    config_revision: str
    completion: str
    first_seq: int
    last_seq: int
    pool_desired: Mapping[str, int]
    scale_check_counts: Mapping[str, int]
    desired_session_count: object  # as the trace wrote it (None when absent)
    open_session_count: object
    templates: Mapping[str, Mapping[str, object]]  # template_tick_summary fields, by template (sorted)
    session_results: Mapping[str, SessionRecord]  # by session name (sorted)
    decision_count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id, "tick_id": self.tick_id, "started_at": self.started_at,
            "finished_at": self.finished_at, "trigger": self.trigger, "trigger_detail": self.trigger_detail,
            "controller": self.controller, "config_revision": self.config_revision, "completion": self.completion,
            "seq": [self.first_seq, self.last_seq],
            "pool_desired": dict(self.pool_desired),
            "scale_check_counts": dict(self.scale_check_counts),
            "desired_session_count": self.desired_session_count,
            "open_session_count": self.open_session_count,
            "templates": {k: dict(v) for k, v in self.templates.items()},
            "session_results": {k: r.to_json() for k, r in self.session_results.items()},
            "decision_count": self.decision_count,
        }


@dataclass
class Cycle:
    """One controller cycle assembled from the trace: its start, inputs, per-template and
    per-session records, decisions and completion."""
    trace_id: str
    tick_id: str = ""
    started_at: str = ""
    trigger: str = ""
    trigger_detail: str = ""
    controller: str = ""
    config_revision: str = ""
    snapshot: dict[str, Any] = field(default_factory=dict)  # cycle_input_snapshot fields
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # template_tick_summary per template
    baselines: dict[str, SessionRecord] = field(default_factory=dict)  # session_name -> pre-tick
    results: dict[str, SessionRecord] = field(default_factory=dict)  # session_name -> post-tick
    decisions: list[DecisionRow] = field(default_factory=list)
    completion: str = ""  # cycle_result completion_status; "" while the cycle is still open
    finished_at: str = ""
    first_seq: int = 0
    last_seq: int = 0

    def counts(self, key: str) -> dict[str, int]:
        """A per-template count map of the input snapshot (`pool_desired`, `scale_check_counts`),
        keeping only integer values."""
        raw = self.snapshot.get(key)
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in sorted(raw.items()) if isinstance(v, int) and not isinstance(v, bool)}

    def summary(self) -> CycleSummary:
        """The cycle as it stands now, frozen (the cycle itself keeps folding records)."""
        snap = self.snapshot
        return CycleSummary(
            self.trace_id, self.tick_id, self.started_at, self.finished_at, self.trigger, self.trigger_detail,
            self.controller, self.config_revision, self.completion, self.first_seq, self.last_seq,
            MappingProxyType(self.counts("pool_desired")), MappingProxyType(self.counts("scale_check_counts")),
            snap.get("desired_session_count"), snap.get("open_session_count"),
            MappingProxyType({k: MappingProxyType(dict(self.templates[k])) for k in sorted(self.templates)}),
            MappingProxyType({k: self.results[k] for k in sorted(self.results)}), len(self.decisions))

    def to_json(self) -> dict[str, Any]:
        return self.summary().to_json()


class TraceView:
    def __init__(self, root: str, *, history_segments: int | None = 2, keep_cycles: int = 50,
                 keep_decisions: int = 500) -> None:
        self.reader = TraceReader(root, history_segments=history_segments)
        self.cycles: OrderedDict[str, Cycle] = OrderedDict()
        self.decisions: deque[DecisionRow] = deque(maxlen=keep_decisions)
        self.keep_cycles = keep_cycles
        self.batches_read = 0

    @property
    def head(self) -> TraceHead | None:
        """head.json as last read (None: absent or not an object)."""
        head = self.reader.head
        return TraceHead(MappingProxyType(dict(head))) if head is not None else None

    def poll(self, final: bool = False) -> tuple[bool, list[ReadWarning]]:
        d = self.reader.poll(final=final)
        for b in d.batches:
            self.batches_read += 1
            for rec in b.records:
                self._fold(rec)
        return bool(d.batches), d.warnings

    def _fold(self, rec: dict[str, Any]) -> None:
        # Every record of a large cycle passes here (tens of thousands): the plain case of each
        # field (the type Gas City writes) is taken inline, and only the fields a record's kind
        # uses are read.
        get = rec.get
        tid = get("trace_id")
        if type(tid) is not str:
            tid = str(tid or "")
        if not tid:
            return
        seq = get("seq")
        if type(seq) is not int:
            seq = as_int(seq)
        c = self.cycles.get(tid)
        if c is None:
            tick = get("tick_id")
            c = self.cycles[tid] = Cycle(tid, tick if type(tick) is str else str(tick or ""), first_seq=seq)
            while len(self.cycles) > self.keep_cycles:
                self.cycles.popitem(last=False)
        if seq > c.last_seq:
            c.last_seq = seq
        kind = get("record_type")
        if kind == "mutation" or kind == "operation":
            return  # what the view keeps of a cycle reads neither
        if kind == "decision":
            decision = decision_row(rec)
            c.decisions.append(decision)
            self.decisions.append(decision)
        else:
            _fold_into(c, kind, rec)

    def last_cycle(self) -> Cycle | None:
        """The newest finished cycle that recorded its inputs (the one to compare against)."""
        for c in reversed(self.cycles.values()):
            if c.completion and c.snapshot:
                return c
        for c in reversed(self.cycles.values()):
            if c.completion:
                return c
        return None


def _fold_into(c: Cycle, kind: object, rec: dict[str, Any]) -> None:
    """What a record other than a decision, mutation or operation adds to its cycle."""
    get = rec.get
    fields = get("fields")
    fields = fields if isinstance(fields, dict) else {}
    if kind == "session_baseline" or kind == "session_result":
        name = get("session_name")
        if type(name) is not str:
            name = str(name or "")
        if name:
            row = SessionRecord(get("template", ""), fields.get("state", ""), fields.get("sleep_reason", ""))
            (c.baselines if kind == "session_baseline" else c.results)[name] = row
    elif kind == "cycle_start":
        c.started_at = str(get("ts") or "")
        c.trigger, c.trigger_detail = str(get("tick_trigger") or ""), str(get("trigger_detail") or "")
        c.controller = str(get("controller_instance_id") or "")
        c.config_revision = str(get("config_revision") or "")
    elif kind == "cycle_input_snapshot":
        c.snapshot = dict(fields)
    elif kind == "template_tick_summary" and get("template"):
        c.templates[str(rec["template"])] = dict(fields, evaluation_status=get("evaluation_status", ""))
    elif kind == "cycle_result" and not fields.get("post_cycle_result"):
        c.completion = str(get("completion_status") or "completed")
        c.finished_at = str(get("ts") or "")
