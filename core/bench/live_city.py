"""A live-looking city directory made from the benchmark city, and how long attaching to it takes.

The directory holds what a running controller leaves: `city.toml` (with its rigs and namepool),
`.gc/beads.json` (the file store: every session and work bead of the benchmark world after a few
ticks of churn), `.gc/events.jsonl` (the events those ticks emitted) and the reconciler trace
segments (one traced cycle per tick, written by citywatch's Go-exact writer). `citywatch attach
DIR` reads it like any other city (tmux has no server for it: no session runs), so the snapshot
covers reading every source, mapping it to a model world, drift and alarms.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any

from core.bench.session import open_bench
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.tracefile.cycle import CycleTracer, Provenance
from core.tracefile.layout import CITY_TRACE_ROOT
from core.tracefile.writer import TraceWriter
from core.world.beads import ROUTED_TO, SessionBead, WorkBead
from core.world.world import World

TICKS = 3  # traced cycles written (churn then a tick each)


def write_live_city(size: str, root: str, seed: int = 0, ticks: int = TICKS) -> datetime:
    """Write the `size` benchmark city under `root` as a live city after `ticks` ticks; returns
    the city's clock (judge the snapshot as of then)."""
    session = open_bench(size, root, seed)
    model = session.model
    started = model.world.now
    staging = tempfile.mkdtemp(prefix="citywatch-bench-trace-")  # the writer refuses a city's .gc/
    tracer = CycleTracer(TraceWriter(staging, fsync=False),
                         Provenance(model.city.name, root, host="bench", pid=1, started_at=started))
    events: list[dict[str, Any]] = []
    for n in range(ticks):
        before = model.world.now
        out = Outcome()
        for st in session.driver.script.next_steps(model):
            out.extend(model.do(st))
        tracer.write_cycle([r.to_json() for r in out.trace], model.world.now, trigger="startup" if n == 0 else "patrol")
        for e in out.events:
            events.append({"seq": len(events) + 1, "type": e.type, "ts": format_time(before + timedelta(seconds=1)),
                           "actor": "gc", "subject": e.subject, "session_id": e.bead_id, "message": e.message})
    shutil.copytree(staging, os.path.join(root, CITY_TRACE_ROOT))
    shutil.rmtree(staging)
    gc_dir = os.path.join(root, ".gc")
    os.makedirs(gc_dir, exist_ok=True)
    with open(os.path.join(gc_dir, "beads.json"), "w") as f:
        json.dump(file_store(model.world), f)
    with open(os.path.join(gc_dir, "events.jsonl"), "w") as f:
        f.writelines(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    return model.world.now


def file_store(world: World) -> dict[str, Any]:
    """The world's beads as Gas City's file store (`.gc/beads.json`) holds them."""
    store = world.store
    beads = [_session_json(b) for b in store.sessions.values()] + [_work_json(w) for w in store.work.values()]
    return {"seq": store.next_id, "beads": beads}


def _session_json(b: SessionBead) -> dict[str, Any]:
    return {"id": b.id, "title": b.title, "status": "open" if b.open else "closed", "issue_type": "session",
            "created_at": format_time(b.created_at), "labels": sorted(b.labels), "metadata": dict(b.metadata)}


def _work_json(w: WorkBead) -> dict[str, Any]:
    md = dict(w.metadata)
    if w.routed_to:
        md[ROUTED_TO] = w.routed_to
    out: dict[str, Any] = {"id": w.id, "title": w.title, "status": w.status, "issue_type": w.type or "task",
                           "priority": w.priority, "metadata": md}
    if w.created_at is not None:
        out["created_at"] = format_time(w.created_at)
    if w.assignee:
        out["assignee"] = w.assignee
    return out


def measure_attach(root: str, now: datetime, runs: int = 3) -> list[float]:
    """Milliseconds for `citywatch attach DIR` to read the city at `root` and make its snapshot
    (one-shot, as the command does), `runs` times. Each run starts as the command does, with no
    earlier session alive: the previous one is dropped and its garbage collected, untimed."""
    from core.attach.session import AttachOptions, AttachSession

    def attach_once() -> None:
        s = AttachSession.open(root, AttachOptions(one_shot=True, clock=lambda: now))
        try:
            s.snapshot().to_json()  # what `attach --json` prints
        finally:
            s.close()

    samples = []
    for _ in range(runs):
        gc.collect()
        started = perf_counter()
        attach_once()
        samples.append((perf_counter() - started) * 1000)
    return samples
