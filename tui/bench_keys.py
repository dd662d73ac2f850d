"""What an operator feels, measured in a headless app: how long from a key to the frame that
shows its result (step, travel back and forward, filter, zoom), whether a held key queues work,
and how long the app takes to draw its first frame.

A frame is what the app hands the terminal: the probe's app subclass turns every screen update
into the bytes a terminal would receive, as the real driver does, and stamps the moment. A
key's latency runs from the key reaching the app to the last frame drawn before the app settles
(nothing pending, no model call running, no new frame for SETTLED_AFTER seconds): a key whose
result takes two frames to draw is timed to the second one.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter, process_time
from typing import Any

from textual import events
from textual.widgets import Input

from core import gc_tuning as heap
from core.bench.measure import step
from core.bench.session import open_bench

SCREEN = (200, 60)
SETTLED_AFTER = 0.06  # seconds without a new frame that count as settled (a 60 Hz frame is 0.017)
READ_PAUSE = 0.3  # seconds between presses, as an operator reads each frame
PRESSES = 12  # presses measured per key (3 at size S, a quick check)
HELD_PRESSES = 30  # `[` presses arriving together, as a held key sends them
FILTER_TEXT = "worker"


@dataclass
class KeySamples:
    """Milliseconds from each press to its last frame (wall and process CPU); for steps, the
    tick's own milliseconds too."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    tick: list[float] = field(default_factory=list)


def frame_app_class():
    """The app, drawing every frame to terminal bytes and stamping it (headless Textual composes
    the screen but skips writing it out)."""
    from tui.app import CitywatchApp
    from tui.textual_internals import CompositorUpdate

    class FrameStampedApp(CitywatchApp):
        frames: list[float]  # when each frame was drawn
        first: asyncio.Future | None = None  # set to the first frame's time

        def _display(self, screen, renderable) -> None:  # textual_internals.APP_METHODS
            drawn = renderable is not None and not getattr(self, "_batch_count", 0)
            if drawn and CompositorUpdate is not None and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)
            super()._display(screen, renderable)
            if drawn:
                self.frames.append(perf_counter())
                if self.first is not None and not self.first.done():
                    self.first.set_result(self.frames[-1])

    return FrameStampedApp


async def _settle(app, pilot, since: int) -> float | None:
    """Wait until the app has settled; the time of the last frame drawn after frame `since`."""
    while True:
        await pilot.pause()
        if app._render_pending or app.busy:
            continue
        workers = [w for w in app.workers if w.group == "model" and w.is_running]
        if workers:
            await app.workers.wait_for_complete(workers)
            continue
        seen = len(app.frames)
        await asyncio.sleep(SETTLED_AFTER)
        await pilot.pause()
        if len(app.frames) == seen and not app._render_pending and not app.busy:
            return app.frames[-1] if len(app.frames) > since else None


async def _press(app, pilot, key: str, character: str | None, into: KeySamples) -> None:
    since = len(app.frames)
    c0 = process_time()
    t0 = perf_counter()
    app.post_message(events.Key(key, character))
    last = await _settle(app, pilot, since)
    cpu = (process_time() - c0) * 1000
    if last is None:
        raise RuntimeError(f"the key {key!r} drew no frame")
    into.wall.append((last - t0) * 1000)
    into.cpu.append(cpu)


def measure_keys(ticks: int, seed: int = 0, size: str = "M") -> dict[str, Any]:
    """Key-to-frame milliseconds (wall and CPU) for `PRESSES` presses each of step (with the
    tick's own time), travel back, travel forward, filter (applying and clearing it in the
    Sessions panel's dialog: from the dialog's Enter) and zoom (in and out), in a headless app
    (200x60) over the `size` city after `ticks` ticks; and HELD_PRESSES presses of `[`
    arriving together: the wall time until the screen shows where they stopped, how many
    renders and board builds they caused."""
    return asyncio.run(_keys(ticks, seed, size))


async def _keys(ticks: int, seed: int, size: str) -> dict[str, Any]:
    from tui.screens.dialog import AskDialog

    cls = frame_app_class()
    presses = 3 if size == "S" else PRESSES
    out: dict[str, KeySamples] = {k: KeySamples() for k in ("step", "back", "forward", "filter", "zoom")}
    with tempfile.TemporaryDirectory(prefix="citywatch-bench-keys-") as root:
        session = open_bench(size, root, seed)
        heap.settle()
        for _ in range(max(ticks, presses) + 1):
            step(session)
        driver = session.driver
        ticks_seen: list[float] = []
        stepper = driver.step

        def timed_step():
            result = stepper()
            ticks_seen.append(result.timings.get("tick", 0.0) * 1000)
            return result

        driver.step = timed_step  # type: ignore[method-assign]  # times the tick itself, to tell it from the app's
        app = cls(driver, running=False, watch=False)
        app.frames = []
        async with app.run_test(size=SCREEN) as pilot:
            await _settle(app, pilot, 0)
            for _ in range(presses):
                await asyncio.sleep(READ_PAUSE)
                await _press(app, pilot, "s", "s", out["step"])
                out["step"].tick.append(ticks_seen[-1] if ticks_seen else 0.0)
            for key, char, name in (("left_square_bracket", "[", "back"), ("right_square_bracket", "]", "forward")):
                for _ in range(presses):
                    await asyncio.sleep(READ_PAUSE)
                    await _press(app, pilot, key, char, out[name])
            app.action_live()
            await _settle(app, pilot, len(app.frames))
            for i in range(presses):
                await asyncio.sleep(READ_PAUSE)
                await pilot.press("slash")
                await pilot.pause()
                if not isinstance(app.screen, AskDialog):
                    raise RuntimeError("the filter key opened no dialog")
                app.screen.query_one("#dialog-input", Input).value = "" if i % 2 else FILTER_TEXT
                await _settle(app, pilot, len(app.frames))
                await _press(app, pilot, "enter", "\r", out["filter"])
            for _ in range(presses):
                await asyncio.sleep(READ_PAUSE)
                await _press(app, pilot, "z", "z", out["zoom"])
            held = await _held(app, pilot, session)
    from core.bench.measure import percentiles

    keys: dict[str, Any] = {}
    for name, s in out.items():
        keys[name] = {**percentiles(s.wall), "cpu": percentiles(s.cpu)}
    beyond = [w - t for w, t in zip(out["step"].wall, out["step"].tick, strict=False)]
    keys["step"]["tick"] = percentiles(out["step"].tick)
    keys["step"]["beyond_tick"] = percentiles(beyond)
    keys["size"] = size
    return {"keys": keys, "held": held}


async def _held(app, pilot, session) -> dict[str, Any]:
    """HELD_PRESSES presses of `[` posted at once from live."""
    app.action_live()
    await _settle(app, pilot, len(app.frames))
    await asyncio.sleep(READ_PAUSE)
    renders, boards = app.renders, _boards(session.driver)
    since = len(app.frames)
    t0 = perf_counter()
    for _ in range(HELD_PRESSES):
        app.post_message(events.Key("left_square_bracket", "["))
    last = await _settle(app, pilot, since)
    built = len(_boards(session.driver) - boards)
    return {"presses": HELD_PRESSES, "ms": round(((last or t0) - t0) * 1000, 1), "renders": app.renders - renders,
            "boards": built, "stopped_at": session.driver.frame().index}


def _boards(driver) -> set[int]:
    """The recorded frames that hold their board now."""
    return {f.index for f in driver.history if "board" in f._cache}


def measure_first_frame(open_session: Callable[[], Any], running: bool = False) -> float:
    """Milliseconds from calling `open_session()` (which loads a city and returns its Driver) to
    the app's first frame, headless at 200x60."""
    return asyncio.run(_first_frame(open_session, running))


async def _first_frame(open_session: Callable[[], Any], running: bool) -> float:
    cls = frame_app_class()
    heap.tune_collector()
    t0 = perf_counter()
    driver = open_session()
    heap.settle()
    app = cls(driver, running=running, watch=False)
    app.frames = []
    app.first = asyncio.get_running_loop().create_future()
    async with app.run_test(size=SCREEN):
        at = await app.first
    return (at - t0) * 1000


def first_frames(size: str = "L") -> dict[str, float]:
    """First frame of the demo (as `citywatch` opens it, running) and of the `size` benchmark
    city (its config loaded and its world built, as a live city of that size would be read)."""
    from core.demo import open_demo

    demo = measure_first_frame(open_demo, running=True)
    with tempfile.TemporaryDirectory(prefix="citywatch-bench-first-") as root:
        large = measure_first_frame(lambda: open_bench(size, root, 0).driver)
    return {"demo": round(demo, 1), size: round(large, 1)}


__all__ = ["measure_keys", "measure_first_frame", "first_frames"]
