"""Write a scenario run's trace as a real controller would have written it.

Each step that ticked (or otherwise produced trace records) becomes one cycle per tick marker:
a step's records are split at every `cycle_start` the model emitted; without markers the step
is one cycle, and a multi-tick step says how many ticks it folded in `fields.model_ticks`. Every
`cycle_result` carries `fields.model_step` (the step's 1-based index) so a cycle can be traced
back to its step. A `restart_controller` step starts a new controller process: new pid, new
start time, seq recovered from `head.json`, and a new segment, exactly as after a real restart.
The first cycle of each process is triggered `startup`/`initial_reconcile`, later ones
`patrol`/`controller_tick`; a step that did not tick (a bare `build`) is a `control` cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.formats.timefmt import parse_time
from core.tracefile.cycle import CycleTracer, CycleWritten, Provenance
from core.tracefile.writer import TraceWriter

if TYPE_CHECKING:
    from core.scenario.file import Run


@dataclass
class RunTrace:
    """The trace cycles a scenario run wrote under `root`."""
    root: str
    cycles: list[CycleWritten] = field(default_factory=list)

    damaged: list[str] = field(default_factory=list)  # segments already there that fail to verify (left as they are)

    def summary(self) -> str:
        note = f"; left in place, failing to verify: {', '.join(self.damaged)}" if self.damaged else ""
        if not self.cycles:
            return f"no trace records to write; {self.root} holds an empty trace{note}"
        segs = sorted({s for c in self.cycles for s in c.segments})
        return (f"wrote {len(self.cycles)} cycle(s), seq {self.cycles[0].first_seq}-{self.cycles[-1].last_seq}, "
                f"in {len(segs)} segment(s) under {self.root}{note}")


def city_name(run: Run) -> str:
    """A file-safe name for the run's city: workspace, else scenario, else "city"."""
    name = run.scenario.city.workspace.name or run.scenario.name or "city"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "city"


def write_run_trace(run: Run, trace_dir: str, *, fsync: bool = True) -> RunTrace:
    """Write every cycle of `run` under `trace_dir` (the trace root). Raises TraceWriteRefused
    for a directory inside a city's `.gc/`, OSError when the directory cannot be written."""
    scn = run.scenario
    out = RunTrace(trace_dir)
    pid = 1
    prov = Provenance(city_name(run), scn.city.root, pid=pid, started_at=scn.start)
    writer = TraceWriter(trace_dir, fsync=fsync)
    out.damaged = list(writer.damaged)
    tracer = CycleTracer(writer, prov)
    prev_tick = run.states[0]["tick"] if run.states else 0
    for n, st in enumerate(run.states[1:], 1):
        ticks = st["tick"] - prev_tick
        prev_tick = st["tick"]
        now = parse_time(st["now"]) or scn.start
        if st["do"] == "restart_controller":
            pid += 1
            prov = Provenance(prov.city_name, prov.city_path, pid=pid, started_at=now)
            tracer = CycleTracer(TraceWriter(trace_dir, fsync=fsync), prov)
            continue
        records: list[dict[str, Any]] = st["trace"]
        if not records and not ticks:
            continue
        groups = _split(records)
        for g in groups:
            first = tracer.cycles == 0
            if ticks:
                trigger, detail = ("startup", "initial_reconcile") if first else ("patrol", "controller_tick")
            else:
                trigger, detail = "control", st["do"]
            extra: dict[str, Any] = {"model_step": n}
            if ticks > 1 and len(groups) == 1:
                extra["model_ticks"] = ticks
            out.cycles.append(tracer.write_cycle(g, now, trigger=trigger, trigger_detail=detail,
                                                 config_revision=st.get("config_revision", ""), result_fields=extra))
    return out


def _split(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One group per `cycle_start`; records before the first marker join the first cycle."""
    groups: list[list[dict[str, Any]]] = [[]]
    for r in records:
        if r.get("record_type") == "cycle_start" and any(x.get("record_type") == "cycle_start" for x in groups[-1]):
            groups.append([])
        groups[-1].append(r)
    return groups
