"""A long watch in bounded memory: once the app's history is full, running on costs next to
nothing per step. The app records a frame per step (History keeps the newest `limit`), and the
Events log keeps its newest `max_lines`; the widgets on screen must stay the same ones.

Small bounds make the test quick: a 30-frame history and a 200-line log fill within the first
steps, then the app runs on. Memory is counted by tracemalloc, against what one recorded frame
costs while the history fills (the unit the history's bound is made of). What still grows after
that is Rich's and Textual's bounded render caches filling up and the demo's event lines getting
longer (about a tenth of a frame a step, measured); a leak of the kind fixed in
tui/widgets/footer.py (every footer key ever shown kept alive) costs a quarter of a frame a step
and piles up widgets, which the node count catches whatever the bytes say."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from textual.dom import DOMNode

from core.demo import open_demo
from tui.app import CitywatchApp

pytestmark = pytest.mark.timeout(600)

LIMIT = 30  # frames of history
LOG_LINES = 2000  # what the Events panel is given (Driver.lines)


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def dom_nodes() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, DOMNode))


async def test_memory_stays_flat_once_the_history_is_full():
    app = CitywatchApp(open_demo(history_limit=LIMIT), running=False, watch=False)
    async with app.run_test(size=(120, 36)) as pilot:

        async def run(steps: int) -> None:
            for i in range(steps):  # what the run timer does: a step, then the screen follows it
                app.driver.step()
                app.refresh_view()
                if i % 10 == 9:  # let the messages the steps posted (cursor, bindings, footer) be handled
                    await pilot.pause()
            await pilot.pause()

        tracemalloc.start()
        try:
            empty = traced()
            await run(LIMIT - 1)  # the history fills
            frame_cost = (traced() - empty) / (LIMIT - 1)
            await run(100)  # the log fills
            nodes, before = dom_nodes(), traced()
            steps = 300
            await run(steps)
            per_step = (traced() - before) / steps
        finally:
            tracemalloc.stop()
        assert len(app.driver.history) == LIMIT and app.events_panel.log_widget.line_count <= LOG_LINES
        assert dom_nodes() == nodes, "widgets pile up as the app runs"
        assert per_step < 0.2 * frame_cost, f"{per_step:.0f} bytes a step once full ({frame_cost:.0f} a frame)"
