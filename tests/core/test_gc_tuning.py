"""The collector settings the app runs with, and the model's promise that makes freezing safe:
a tick leaves no reference cycles behind, so what it drops is freed at once."""

from __future__ import annotations

import gc

from core import gc_tuning
from core.bench.measure import step
from core.bench.session import open_bench


def test_tune_collector_raises_only_the_young_threshold():
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        gc_tuning.tune_collector()
        assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD, 10, 10)
        gc.set_threshold(gc_tuning.YOUNG_THRESHOLD * 2, 5, 5)
        gc_tuning.tune_collector()
        assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD * 2, 5, 5)
    finally:
        gc.set_threshold(*saved)


def test_settle_freezes_what_is_alive():
    try:
        gc_tuning.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_ticks_leave_no_reference_cycles(tmp_path):
    s = open_bench("S", str(tmp_path))
    step(s)
    gc.collect()
    gc.disable()
    try:
        for _ in range(4):
            step(s)
        assert gc.collect() == 0
    finally:
        gc.enable()
