"""`citywatch bench`: how fast the model ticks a large synthetic city, how much each recorded
tick keeps, how fast attach reads a large live city, and (through probes the app supplies) how
fast a config edit is applied, the Sessions table catches up after a tick, and what an operator
presses reaches the screen.

    city.py     the synthetic city.toml (rig blocks holding every identity shape)
    world.py    its world: session beads, runtime, work, as a running controller leaves them
    census.py   what a city and world contain, counted with the model's predicates
    churn.py    work, exits and crashes between ticks (a Driver script)
    session.py  a Driver on all of the above
    measure.py  timing, history memory, peak RSS
    live_city.py  the city as a live city directory (beads, events, trace segments) for attach
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from core import gc_tuning
from core.bench.census import census
from core.bench.city import SIZES
from core.bench.measure import (
    history_mb_per_tick,
    measure_ticks,
    peak_rss_mb,
    percentiles,
    world_digest,
)
from core.bench.session import BenchSession, open_bench

# Targets on a 2-core machine, in milliseconds or MB, by dotted path into the result. The tick
# and history targets are for size M, peak RSS for size L; the app's probes run at M and attach
# and the large first frame at L, whatever the size (size S runs them all at S: a quick check).
# L p50 / M p50 <= 5.5 needs two runs (README).
TARGETS = {"tick_ms.p50": 30.0, "history_mb_per_tick": 0.2, "peak_rss_mb": 600.0, "reload_ms.p95": 150.0,
           "table_refresh_ms.p95": 16.0, "keys_ms.back.p95": 16.0, "keys_ms.forward.p95": 16.0,
           "keys_ms.step.beyond_tick.p95": 16.0, "held_travel.renders": 2, "held_travel.boards": 2,
           "first_frame_ms.demo": 1000.0, "first_frame_ms.L": 3000.0, "attach_ms.p95": 1000.0}
ONLY_AT = {"tick_ms.p50": "M", "history_mb_per_tick": "M", "peak_rss_mb": "L"}
RELOADS = 10
UI_SIZE = "M"
LARGE_SIZE = "L"


@dataclass(frozen=True)
class Probes:
    """Measurements that need the app's machinery: `reload(session, count)` and
    `table_refresh(ticks, seed, size)` return samples in milliseconds; `keys(ticks, seed, size)`
    returns {"keys": key-to-frame percentiles by key, "held": what a held `[` did};
    `first_frame(size)` the milliseconds to the app's first frame by city ("demo", `size`)."""

    reload: Callable[[BenchSession, int], list[float]] | None = None
    table_refresh: Callable[..., list[float]] | None = None
    keys: Callable[..., dict[str, Any]] | None = None
    first_frame: Callable[[str], dict[str, float]] | None = None


def run_bench(size: str, ticks: int, include_ui: bool = True, *, seed: int = 0,
              probes: Probes | None = None) -> dict[str, Any]:
    """Build the `size` city and world (seeded, so every run builds the same one), step `ticks`
    measured ticks with churn after one warm-up tick, size the history, and run the probes; with
    `include_ui`, also the app's probes (always at size M) and attach (on a size L live city).
    Returns one JSON-ready dict; a probe that is not supplied or skipped reports None."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    if ticks < 1:
        raise ValueError("ticks must be at least 1")
    probes = probes or Probes()
    ui_size, large = (size, size) if size == "S" else (UI_SIZE, LARGE_SIZE)
    gc_tuning.tune_collector()  # as the app does
    with tempfile.TemporaryDirectory(prefix="citywatch-bench-") as root:
        started = perf_counter()
        session = open_bench(size, root, seed)
        gc_tuning.settle()
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
        table = {**percentiles(probes.table_refresh(ticks, seed, ui_size)), "size": ui_size}
    result["table_refresh_ms"] = table
    keys, held = None, None
    if include_ui and probes.keys is not None:
        got = probes.keys(ticks, seed, ui_size)
        keys, held = got["keys"], {**got["held"], "size": ui_size}
    result["keys_ms"] = keys
    result["held_travel"] = held
    result["first_frame_ms"] = probes.first_frame(large) if include_ui and probes.first_frame is not None else None
    result["attach_ms"] = measure_attach_at(large, seed) if include_ui else None
    result["over_target"] = over_target(result)
    result["machine"] = machine()
    return result


def measure_attach_at(size: str, seed: int = 0) -> dict[str, Any]:
    """Attach's snapshot time on the `size` city written as a live city directory."""
    from core.bench.live_city import measure_attach, write_live_city

    with tempfile.TemporaryDirectory(prefix="citywatch-bench-attach-") as root:
        now = write_live_city(size, root, seed)
        gc_tuning.settle()
        return {**percentiles(measure_attach(root, now)), "size": size}


def over_target(r: dict[str, Any]) -> list[str]:
    """The measurements of `r` above their target (`TARGETS`; some only at one size, `ONLY_AT`)."""
    out = []
    for name, limit in TARGETS.items():
        if name in ONLY_AT and r["size"] != ONLY_AT[name]:
            continue
        value: Any = r
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and value > limit:
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
    keys = r.get("keys_ms")
    if keys is None:
        lines.append("  keys        skipped")
    else:
        lines.append(f"  key to frame (size {keys['size']}, wall; CPU p95 in brackets)")
        for name in ("step", "back", "forward", "filter", "zoom"):
            v = keys[name]
            lines.append(f"    {name:<10}p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms   [{v['cpu']['p95']:.1f}]")
        v = keys["step"]["beyond_tick"]
        lines.append(f"    {'step-tick':<10}p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms")
    h = r.get("held_travel")
    if h is not None:
        lines.append(f"  held [      {h['presses']} presses in {h['ms']:.0f} ms, {h['renders']} render(s), "
                     f"{h['boards']} board(s) built")
    ff = r.get("first_frame_ms")
    if ff is not None:
        lines.append("  first frame " + ", ".join(f"{k} {v:.0f} ms" for k, v in ff.items()))
    a = r.get("attach_ms")
    if a is not None:
        lines.append(f"  attach      p50 {a['p50']:>8.1f} ms   p95 {a['p95']:>8.1f} ms (size {a['size']})")
    over = r.get("over_target")
    if over is not None:
        lines.append("  targets     " + ("over: " + ", ".join(over) if over else "met (where measured)"))
    m = r["machine"]
    lines.append(f"  machine     {m['cpus']} x {m['cpu'] or 'unknown CPU'}, Python {m['python']}")
    return "\n".join(lines)


__all__ = ["Probes", "run_bench", "render_bench", "over_target", "SIZES", "TARGETS"]
