"""A long watch in bounded memory, headless: once the history is full, a step of the demo costs
next to nothing that stays.

What a step leaves behind is measured by tracemalloc over 1,500 steps after the history (30
frames here) has been replaced by traced frames, against what one recorded frame costs. The
parse and format memos are measured with the rest: they keep what the last two ticks used
(core/formats/memo.py), so a step leaves nothing behind in them, and the step record keeps
each of the demo script's presses as a byte (core/session/steplog.py, Scripted). What remains
is a few dozen bytes a step, under 1% of a frame, most of it the kept frames' contents varying
between the two readings. Without the closed-bead retention (World.forget_closed) the demo's
store grows by half a closed session bead a step, and a step leaves about 8% of a frame behind."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from core.demo import open_demo

pytestmark = pytest.mark.timeout(600)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def measure(keep: int) -> dict[str, float]:
    """What one frame costs and what a step leaves behind, on the demo with `keep` closed beads."""
    d = open_demo(history_limit=30)
    d.keep_closed = keep
    for _ in range(400):  # the history fills and the retention starts forgetting
        d.step()
    tracemalloc.start()
    try:
        start = traced()
        for _ in range(30):
            d.step()
        frame_cost = (traced() - start) / 30
        for _ in range(200):
            d.step()
        before = traced()
        steps = 1500
        for _ in range(steps):
            d.step()
        per_step = (traced() - before) / steps
    finally:
        tracemalloc.stop()
    return {"frame": frame_cost, "per_step": per_step, "forgotten": d.forgotten,
            "closed": d.model.world.store.closed_session_count()}


def measured(keep: int) -> dict[str, float]:
    # In a fresh interpreter: pytest's own machinery keeps a little per call of the model's code
    # under tracemalloc, which is not what a watch pays.
    code = f"import json, test_long_watch_memory as m; print(json.dumps(m.measure({keep})))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=540, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_step_leaves_little_behind_once_the_history_is_full():
    got = measured(40)
    assert got["forgotten"] > 0 and got["closed"] <= 44
    assert got["per_step"] < 0.01 * got["frame"], (
        f"{got['per_step']:.0f} bytes a step stay ({got['frame']:.0f} a frame)")
