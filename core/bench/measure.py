"""Measuring a benchmark session: tick phases, the panels' board, and the memory each recorded
tick keeps in the history."""

from __future__ import annotations

import gc
import hashlib
import math
import resource
import sys
import tracemalloc
from collections.abc import Iterable
from time import perf_counter

from core.bench.session import BenchSession
from core.views.board import board

PHASES = ("prepare", "build", "sync", "reconcile", "trace")
HISTORY_TICKS = 5  # ticks stepped under tracemalloc to size what the history keeps


class BenchError(RuntimeError):
    """A benchmark step failed (the model refused a churn step or raised)."""


def percentiles(samples_ms: Iterable[float]) -> dict[str, float]:
    """Nearest-rank p50 and p95 of `samples_ms`, rounded to 0.1 ms (0 for no samples)."""
    xs = sorted(samples_ms)
    if not xs:
        return {"p50": 0.0, "p95": 0.0}

    def rank(p: float) -> float:
        return round(xs[max(math.ceil(p * len(xs)) - 1, 0)], 1)

    return {"p50": rank(0.50), "p95": rank(0.95)}


def step(session: BenchSession) -> tuple[dict[str, float], float]:
    """One press (churn, then a tick) and the board the app would build for it: the tick's phase
    timings (seconds) and the board's build time (seconds)."""
    r = session.driver.step()
    if not r.ok:
        raise BenchError(f"step {r.frame.index} failed: {r.error}")
    started = perf_counter()
    board(r.frame)
    return r.timings, perf_counter() - started


def measure_ticks(session: BenchSession, ticks: int, warmup: int = 1) -> dict:
    """Step `warmup` ticks (the adoption barrier and the first settling), then `ticks` measured
    ones: p50/p95 of the whole tick and of each phase, and of the board, in milliseconds."""
    for _ in range(warmup):
        step(session)
    totals: list[float] = []
    boards: list[float] = []
    by_phase: dict[str, list[float]] = {p: [] for p in PHASES}
    actions = 0
    for _ in range(ticks):
        timings, board_s = step(session)
        totals.append(timings["tick"] * 1000)
        boards.append(board_s * 1000)
        for p in PHASES:
            by_phase[p].append(timings.get(p, 0.0) * 1000)
        actions += sum(1 for line in session.driver.live.lines if line.kind == "action")
    return {
        "tick_ms": {**percentiles(totals), "phases": {p: percentiles(v) for p, v in by_phase.items()}},
        "board_ms": percentiles(boards),
        "actions_per_tick": round(actions / max(ticks, 1), 1),
    }


def history_mb_per_tick(session: BenchSession, ticks: int = HISTORY_TICKS) -> float:
    """Memory the session keeps per recorded tick, in MB: with allocations traced, step until
    the history's warm frames (those keeping a board) were all recorded under the trace, then
    divide what `ticks` more presses (each recording a frame and building its board, as the app
    does) leave allocated by `ticks`."""
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(session.driver.history.warm + 1):
            step(session)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(ticks):
            step(session)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return round(max(after - before, 0) / ticks / 2**20, 3)


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def world_digest(session: BenchSession) -> str:
    """A short hash of the whole world (beads, runtime, memory): equal for equal runs."""
    return hashlib.sha256(session.model.world.dumps().encode()).hexdigest()[:16]
