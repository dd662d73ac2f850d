"""The benchmark's probes of the app's own machinery, each driven headless: the config watcher
(`tui.watch`) and the Sessions table here, the keys and the first frame in tui/bench_keys.py.
`core.bench.run_bench` takes them as `Probes`, so the model stays free of the UI toolkit."""

from __future__ import annotations

import asyncio
import os
import queue
import tempfile
import threading
import time
from time import perf_counter, process_time

from core import gc_tuning as heap
from core.bench import Probes
from core.bench.city import SIZES, city_text
from core.bench.measure import step
from core.bench.session import BenchSession, open_bench
from core.session.reload import Reloader
from core.views.board import board
from tui.bench_keys import first_frames, measure_keys
from tui.watch import watch_config

ARMED_TIMEOUT = 60.0  # a safety net against a watcher that never starts, not a measure: a loaded machine is slow
APPLY_TIMEOUT = 10.0
IDLE_BETWEEN = 0.3  # seconds between edits, so each one is a separate save


def measure_reload(session: BenchSession, count: int = 10) -> list[float]:
    """Milliseconds from writing a new revision of the city file (atomically, as editors save)
    to the model having it queued, through the app's watcher and reloader, `count` times."""
    driver = session.driver
    reloader = Reloader(session.path, "", driver.model.city)
    applied: queue.Queue = queue.Queue()
    armed = threading.Event()

    def current() -> str:
        m = driver.model
        return (m.pending_city or m.city).revision

    def apply(verdict) -> None:
        driver.reload(verdict.loaded.city, verdict.loaded.source)
        applied.put((perf_counter(), verdict.loaded.source.text))

    def show(verdict) -> None:
        armed.set()

    loop = asyncio.new_event_loop()
    task = loop.create_task(watch_config(reloader, current, apply, show))
    thread = threading.Thread(target=_run_until_cancelled, args=(loop, task), daemon=True)
    thread.start()
    samples: list[float] = []
    try:
        # the watcher checks the files only once they change: a first, unmeasured edit shows it is live
        deadline = time.monotonic() + ARMED_TIMEOUT
        while not armed.is_set():
            if time.monotonic() > deadline:
                raise RuntimeError("the config watcher never made its first check")
            _replace(session.path, city_text(session.size, revision_note=f"warm-up {time.monotonic()}"))
            armed.wait(IDLE_BETWEEN * 3)
        while not applied.empty():
            applied.get()
        for i in range(count):
            time.sleep(IDLE_BETWEEN)
            text = city_text(session.size, revision_note=f"reload {i}")
            started = perf_counter()
            _replace(session.path, text)
            # A warm-up edit still settling when the queue was emptied is applied late: wait for
            # this edit's own text, or the sample would time an earlier one (even negatively).
            done, seen = applied.get(timeout=APPLY_TIMEOUT)
            while seen != text:
                done, seen = applied.get(timeout=APPLY_TIMEOUT)
            samples.append((done - started) * 1000)
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(5)
        loop.close()
    return samples


def _run_until_cancelled(loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())


def _replace(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path` and rename it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".city.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def measure_table_refresh(ticks: int, seed: int = 0, size: str = "M") -> list[float]:
    """Milliseconds of CPU the app spends bringing the Sessions table (all rows shown) up to
    date after each of `ticks` ticks of the `size` city, in a headless app: the panel's update,
    the table's deferred measuring and the repaint of the screen. CPU time, not wall time: the
    headless pilot waits for idleness by sleeping, which a terminal would not. The tick and its
    board are built first, off the clock, as the app's worker does."""
    return asyncio.run(_table_refresh(ticks, seed, size))


async def _table_refresh(ticks: int, seed: int, size: str) -> list[float]:
    from tui.app import CitywatchApp

    with tempfile.TemporaryDirectory(prefix="citywatch-bench-ui-") as root:
        session = open_bench(size, root, seed)
        heap.settle()  # as the app does once a city is open
        app = CitywatchApp(session.driver, running=False, watch=False)
        samples: list[float] = []
        async with app.run_test(size=(200, 60)) as pilot:
            panel = app.sessions
            panel.changed_only = False
            step(session)  # the warm-up tick, as in the model benchmark
            app.refresh_view()
            await pilot.pause()
            for _ in range(ticks):
                step(session)
                b = board(session.driver.live)
                started = process_time()
                panel.show(b)
                await pilot.pause()
                samples.append((process_time() - started) * 1000)
        return samples


PROBES = Probes(reload=measure_reload, table_refresh=measure_table_refresh, keys=measure_keys, first_frame=first_frames)
__all__ = ["PROBES", "measure_reload", "measure_table_refresh", "SIZES"]
