"""A live-looking city directory for attach tests, built from Gas City's real fixture files.

`.gc/beads.json` is the real file-store fixture (dashport) with session beads added,
`.gc/events.jsonl` the real events fixture followed by session events, and the trace under
`.gc/runtime/session-reconciler-trace/` is written by citywatch's own writer into a staging
directory and copied in byte for byte, the way a controller's appends would land. The test is
the controller here: every byte it puts under the city is also recorded in `expected`, so a
test can assert that attaching changed nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gascity_fixtures import STATE

from core.tracefile.cycle import CycleTracer, Provenance
from core.tracefile.layout import CITY_TRACE_ROOT
from core.tracefile.writer import TraceWriter

REAL_STATE = STATE  # Gas City's fixture files, copied into tests/fixtures/gascity
FIXTURE_BEADS = REAL_STATE / "test__dashport__testdata__dashport__beads.json"
FIXTURE_EVENTS = REAL_STATE / "test__dashport__testdata__dashport__events.jsonl"
BD_CORPUS = REAL_STATE / "bd-corpus"

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

CITY_TOML = """\
[workspace]
name = "fixture"

[[agent]]
name = "mayor"

[[named_session]]
template = "mayor"
mode = "always"

[[agent]]
name = "worker"
dir = "fixture"
max_active_sessions = 3

[[agent]]
name = "refinery"
dir = "fixture"
max_active_sessions = 1
"""


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def session_beads(now: datetime = NOW) -> list[dict[str, Any]]:
    """Session beads as Gas City's file store holds them (a bool and a number among the metadata
    values, as bd sometimes writes them)."""
    early = _ts(now - timedelta(hours=2))

    def bead(bid: str, title: str, status: str, md: dict[str, Any]) -> dict[str, Any]:
        return {"id": bid, "title": title, "status": status, "issue_type": "session", "created_at": early,
                "labels": ["gc:session", f"agent:{title}"], "metadata": md}

    worker = {"template": "fixture/worker", "session_origin": "ephemeral", "pool_managed": True, "generation": "1"}
    return [
        bead("gc-1", "fixture/worker-1", "open", {**worker, "agent_name": "fixture/worker-1", "alias": "fixture/worker-1",
                                                  "session_name": "worker-gc-1", "pool_slot": 1, "state": "active",
                                                  "last_woke_at": _ts(now - timedelta(minutes=50))}),
        bead("gc-2", "fixture/worker-2", "open", {**worker, "agent_name": "fixture/worker-2", "alias": "fixture/worker-2",
                                                  "session_name": "worker-gc-2", "pool_slot": "2", "state": "asleep",
                                                  "sleep_reason": "idle", "wake_attempts": "2", "churn_count": "1"}),
        bead("gc-3", "fixture/worker-3", "open", {**worker, "agent_name": "fixture/worker-3", "session_name": "worker-gc-3",
                                                  "pool_slot": "3", "state": "start-pending",
                                                  "pending_create_claim": "true",
                                                  "pending_create_started_at": _ts(now - timedelta(minutes=20)),
                                                  "pool_alias_conflict": "fixture/worker-1",
                                                  "pool_alias_conflict_count": "7",
                                                  "pool_alias_conflict_at": _ts(now - timedelta(minutes=1))}),
        bead("gc-4", "mayor", "open", {"template": "mayor", "agent_name": "mayor", "alias": "mayor", "session_name": "mayor",
                                       "session_origin": "named", "configured_named_session": "true",
                                       "configured_named_identity": "mayor", "configured_named_mode": "always",
                                       "state": "active"}),
        bead("gc-5", "oldagent", "open", {"template": "fixture/oldagent", "agent_name": "fixture/oldagent",
                                          "session_name": "fixture--oldagent", "state": "active",
                                          "quarantined_until": _ts(now + timedelta(minutes=10)),
                                          "held_until": _ts(now - timedelta(minutes=10))}),
        bead("gc-6", "fixture/worker-1", "closed", {**worker, "agent_name": "fixture/worker-1",
                                                    "session_name": "worker-gc-6", "state": ""}),
    ]


def work_beads(now: datetime = NOW) -> list[dict[str, Any]]:
    t = _ts(now - timedelta(hours=3))
    return [
        {"id": "w-1", "title": "job 1", "status": "in_progress", "issue_type": "task", "created_at": t,
         "assignee": "fixture/worker-1", "metadata": {"gc.routed_to": "fixture/worker"}},
        {"id": "w-2", "title": "job 2", "status": "open", "issue_type": "task", "created_at": t,
         "metadata": {"gc.routed_to": "fixture/worker"}},
    ]


def beads_json(now: datetime = NOW, *, edit: dict[str, dict[str, Any]] | None = None) -> bytes:
    data = json.loads(FIXTURE_BEADS.read_text())
    data["beads"] = data["beads"] + work_beads(now) + session_beads(now)
    for b in data["beads"]:
        if edit and b["id"] in edit:
            b.setdefault("metadata", {}).update(edit[b["id"]])
    return (json.dumps(data, indent=2) + "\n").encode()


def session_events(now: datetime = NOW, start_seq: int = 100, wakes: int = 7) -> list[dict[str, Any]]:
    """`wakes` session.woke events for gc-3 over the last hour, plus one for gc-1."""
    out = []
    seq = start_seq
    for i in range(wakes):
        out.append({"seq": seq, "type": "session.woke", "ts": _ts(now - timedelta(minutes=55 - i * 7)), "actor": "gc",
                    "subject": "fixture/worker-3", "session_id": "gc-3"})
        seq += 1
    out.append({"seq": seq, "type": "session.woke", "ts": _ts(now - timedelta(minutes=50)), "actor": "gc",
                "subject": "fixture/worker-1", "session_id": "gc-1"})
    return out


def event_lines(events: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


def cycle_records(pool_desired: int, open_sessions: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    """One tick's baseline records in the order the controller emits them: the open-count
    session_baseline (the first flush), per-session baselines, the input snapshot, a decision
    (with a reason the vocabulary lacks), per-session results."""
    recs: list[dict[str, Any]] = [{"record_type": "session_baseline", "fields": {"open_count": len(open_sessions)}}]
    for tmpl, name, state, sleep in open_sessions:
        recs.append({"record_type": "session_baseline", "template": tmpl, "session_name": name,
                     "fields": {"state": state, "sleep_reason": sleep}})
    recs.append({"record_type": "template_tick_summary", "template": "fixture/worker", "evaluation_status": "eligible",
                 "reason_code": "retained", "fields": {"desired_count": pool_desired, "open_count": 3,
                                                       "pool_desired": pool_desired, "work_requested": True}})
    recs.append({"record_type": "cycle_input_snapshot", "site_code": "desired_state.build", "reason_code": "retained",
                 "outcome_code": "applied",
                 "fields": {"desired_session_count": pool_desired + 1, "open_session_count": len(open_sessions),
                            "pool_desired": {"fixture/worker": pool_desired},
                            "scale_check_counts": {"fixture/worker": pool_desired}, "ready_wait_count": 0,
                            "work_set_count": 1, "store_query_partial": False}})
    recs.append({"record_type": "decision", "site_code": "reconciler.pool.accept", "reason_code": "resume",
                 "outcome_code": "accepted", "template": "fixture/worker", "session_name": "worker-gc-1",
                 "fields": {"work_bead": "w-1", "note": "<nil> & more"}})
    for tmpl, name, state, sleep in open_sessions:
        recs.append({"record_type": "session_result", "template": tmpl, "session_name": name,
                     "outcome_code": "complete", "completeness_status": "complete",
                     "fields": {"state": state, "sleep_reason": sleep}})
    return recs


OPEN = [("fixture/worker", "worker-gc-1", "active", ""), ("fixture/worker", "worker-gc-2", "asleep", "idle"),
        ("fixture/worker", "worker-gc-3", "start-pending", ""), ("mayor", "mayor", "active", "")]


@dataclass
class CityKit:
    root: Path
    staging: Path
    tracer: CycleTracer = field(init=False)
    expected: dict[str, bytes] = field(default_factory=dict)
    traced_path: str = ""  # the city path the trace records name ("" for `root`)

    def __post_init__(self) -> None:
        self.tracer = CycleTracer(TraceWriter(str(self.staging), fsync=False),
                                  Provenance("fixture", self.traced_path or str(self.root), host="ctl-host", pid=4242,
                                             started_at=NOW - timedelta(hours=1), gc_version="1.4.0",
                                             gc_commit="9e89da7c"))

    @property
    def trace_root(self) -> Path:
        return self.root / CITY_TRACE_ROOT

    # ---- the controller's writes (mirrored in `expected`) ----
    def write(self, rel: str, data: bytes, *, atomic: bool = False) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if atomic:
            tmp = p.with_name(p.name + ".tmp.4242.1")
            tmp.write_bytes(data)
            os.replace(tmp, p)
        else:
            p.write_bytes(data)
        self.expected[rel] = data

    def append(self, rel: str, data: bytes) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "ab") as f:
            f.write(data)
        self.expected[rel] = self.expected.get(rel, b"") + data

    def rename(self, src: str, dst: str) -> None:
        os.replace(self.root / src, self.root / dst)
        self.expected[dst] = self.expected.pop(src)

    def remove(self, rel: str) -> None:
        os.remove(self.root / rel)
        del self.expected[rel]

    def tick(self, now: datetime, pool_desired: int = 3) -> tuple[str, bytes]:
        """Write one cycle in staging; returns (segment rel path under the trace root, the new
        bytes) without copying them into the city yet."""
        before = _sizes(self.staging)
        self.tracer.write_cycle(cycle_records(pool_desired, OPEN), now)
        after = _sizes(self.staging)
        changed = [r for r in after if r.startswith("segments/") and after[r] != before.get(r)]
        assert len(changed) == 1, changed
        rel = changed[0]
        data = (self.staging / rel).read_bytes()[before.get(rel, 0):]
        return rel, data

    def land(self, rel: str, data: bytes) -> None:
        """Copy a cycle's bytes into the city, then the staging head.json, as the controller does."""
        self.append(f"{CITY_TRACE_ROOT}/{rel}", data)
        self.write(f"{CITY_TRACE_ROOT}/head.json", (self.staging / "head.json").read_bytes(), atomic=True)


def _sizes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def build_city(tmp: Path, now: datetime = NOW, ticks: int = 2, *, traced_path: str = "") -> CityKit:
    """A live city under `tmp/city` with `ticks` traced cycles; `traced_path` fixes the city
    path the trace records name (so the trace's bytes do not depend on where `tmp` is)."""
    root = tmp / "city"
    root.mkdir()
    kit = CityKit(root, tmp / "staging", traced_path=traced_path)
    kit.write("city.toml", CITY_TOML.encode())
    kit.write(".gc/beads.json", beads_json(now))
    kit.write(".gc/events.jsonl", FIXTURE_EVENTS.read_bytes() + event_lines(session_events(now)))
    for i in range(ticks):
        kit.land(*kit.tick(now - timedelta(seconds=30 * (ticks - i))))
    (kit.trace_root / "quarantine").mkdir(parents=True, exist_ok=True)
    return kit


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes (directories are implied)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tree_stat(root: Path) -> dict[str, tuple[int, int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mode, p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}
