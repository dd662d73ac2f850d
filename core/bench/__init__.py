"""`citywatch bench`: how fast the model ticks a large synthetic city, how much each recorded
tick keeps, and (through probes the app supplies) how fast a config edit is applied and the
Sessions table catches up after a tick.

    city.py     the synthetic city.toml (rig blocks holding every identity shape)
    world.py    its world: session beads, runtime, work, as a running controller leaves them
    census.py   what a city and world contain, counted with the model's predicates
    churn.py    work, exits and crashes between ticks (a Driver script)
    session.py  a Driver on all of the above
    measure.py  timing, history memory, peak RSS
"""

from __future__ import annotations

import os
import platform
import tempfile
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Callable

from core import heap
from core.bench.census import census
from core.bench.city import SIZES
from core.bench.measure import history_mb_per_tick, measure_ticks, peak_rss_mb, percentiles, world_digest
from core.bench.session import BenchSession, open_bench

# Targets on a 2-core machine: M tick p50, history per tick at M, reload p95 and table refresh
# p95 (always measured at M), in milliseconds or MB. L p50 / M p50 <= 6 needs two runs.
TARGETS = {"tick_ms.p50": 100.0, "history_mb_per_tick": 0.5, "reload_ms.p95": 300.0, "table_refresh_ms.p95": 50.0,
           "travel_ms.p95": 250.0, "held_travel.renders": 2}
AT_M_ONLY = ("tick_ms.p50", "history_mb_per_tick")
RELOADS = 10
UI_SIZE = "M"


@dataclass(frozen=True)
class Probes:
    """Measurements that need the app's machinery: `reload(session, count)` and
    `table_refresh(ticks, seed, size)`, each returning samples in milliseconds."""

    reload: Callable[[BenchSession, int], list[float]] | None = None
    table_refresh: Callable[..., list[float]] | None = None
    travel: Callable[..., dict[str, Any]] | None = None  # (ticks, seed, size) -> {"samples", "held_ms", "renders"}


def run_bench(size: str, ticks: int, include_ui: bool = True, *, seed: int = 0,
              probes: Probes | None = None) -> dict[str, Any]:
    """Build the `size` city and world (seeded, so every run builds the same one), step `ticks`
    measured ticks with churn after one warm-up tick, size the history, and run the probes
    (`table_refresh` and `travel` only when `include_ui`, always at size M). Returns one JSON-ready dict;
    a probe that is not supplied or skipped reports None."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    if ticks < 1:
        raise ValueError("ticks must be at least 1")
    probes = probes or Probes()
    heap.tune_collector()  # as the app does
    with tempfile.TemporaryDirectory(prefix="citywatch-bench-") as root:
        started = perf_counter()
        session = open_bench(size, root, seed)
        heap.settle()
        setup_s = perf_counter() - started
        city = census(session.model.city, session.model.world)
        result: dict[str, Any] = {"size": size, "ticks": ticks, "seed": seed, "city": city,
                                  "setup_s": round(setup_s, 2)}
        result.update(measure_ticks(session, ticks))
        result["world_digest"] = world_digest(session)
        result["history_mb_per_tick"] = history_mb_per_tick(session)
        result["peak_rss_mb"] = peak_rss_mb()
        result["reload_ms"] = percentiles(probes.reload(session, RELOADS)) if probes.reload else None
    table = None
    if include_ui and probes.table_refresh is not None:
        table = {**percentiles(probes.table_refresh(ticks, seed, UI_SIZE)), "size": UI_SIZE}
    result["table_refresh_ms"] = table
    travel, held = None, None
    if include_ui and probes.travel is not None:
        got = probes.travel(ticks, seed, UI_SIZE)
        travel = {**percentiles(got["samples"]), "size": UI_SIZE}
        held = {"presses": got["presses"], "ms": round(got["held_ms"], 1), "renders": got["renders"], "size": UI_SIZE}
    result["travel_ms"] = travel
    result["held_travel"] = held
    result["over_target"] = over_target(result)
    result["machine"] = machine()
    return result


def over_target(r: dict[str, Any]) -> list[str]:
    """The measurements of `r` above their target (`TARGETS`; tick and history only at size M)."""
    out = []
    for name, limit in TARGETS.items():
        if name in AT_M_ONLY and r["size"] != "M":
            continue
        key, _, field = name.partition(".")
        value = r.get(key)
        if isinstance(value, dict):
            value = value.get(field)
        if value is not None and value > limit:
            out.append(name)
    return out


def machine() -> dict[str, Any]:
    """Where the benchmark ran: CPU model and count, Python and platform."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count() or 0, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def render_bench(r: dict[str, Any]) -> str:
    """The result as a few readable lines."""
    t = r["tick_ms"]
    lines = [f"citywatch bench --size {r['size']} --ticks {r['ticks']} (seed {r['seed']})",
             f"  city: {r['city']['agents']} agents, {r['city']['session_beads']} session beads "
             f"({r['city']['open_sessions']} open), {r['city']['work_beads']} work beads; setup {r['setup_s']} s",
             f"  tick        p50 {t['p50']:>8.1f} ms   p95 {t['p95']:>8.1f} ms"]
    for phase, v in t["phases"].items():
        lines.append(f"    {phase:<10}p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms")
    b = r["board_ms"]
    lines.append(f"  board       p50 {b['p50']:>8.1f} ms   p95 {b['p95']:>8.1f} ms")
    lines.append(f"  history     {r['history_mb_per_tick']:.3f} MB per recorded tick")
    lines.append(f"  peak RSS    {r['peak_rss_mb']:.1f} MB")
    for key, label in (("reload_ms", "reload"), ("table_refresh_ms", "table")):
        v = r.get(key)
        if v is None:
            lines.append(f"  {label:<11} skipped")
        else:
            at = f" (size {v['size']})" if "size" in v else ""
            lines.append(f"  {label:<11} p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms{at}")
    v = r.get("travel_ms")
    h = r.get("held_travel")
    if v is None:
        lines.append("  travel      skipped")
    else:
        lines.append(f"  travel      p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms (size {v['size']})")
    if h is not None:
        lines.append(f"  held [      {h['presses']} presses in {h['ms']:.0f} ms, {h['renders']} render(s)")
    over = r.get("over_target")
    if over is not None:
        lines.append("  targets     " + ("over: " + ", ".join(over) if over else "met (where measured)"))
    m = r["machine"]
    lines.append(f"  machine     {m['cpus']} x {m['cpu'] or 'unknown CPU'}, Python {m['python']}")
    return "\n".join(lines)


__all__ = ["Probes", "run_bench", "render_bench", "over_target", "SIZES", "TARGETS"]
