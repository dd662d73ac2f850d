"""How citywatch has Python's cyclic garbage collector treat a large model.

A loaded city and its world are hundreds of thousands of long-lived objects (work beads, map
nodes), and a tick allocates as many short-lived ones. With CPython's defaults the young
generation is collected every 700 allocations, so a tick's temporaries get promoted and a full
collection, re-scanning the whole world, runs almost every tick of a large city. The app and
the benchmark both call `tune_collector` at start and `settle` once a city and world are loaded.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 200_000


def tune_collector() -> None:
    """Collect the young generation after `YOUNG_THRESHOLD` new container objects (never fewer
    than the current setting); the older generations keep their thresholds."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


def settle() -> None:
    """Collect once, then move every object alive now out of the collector's sight
    (`gc.freeze`): the loaded config and world are no longer re-scanned by full collections.
    Frozen objects are still freed when no longer referenced (the model's records hold no
    reference cycles), so nothing the model drops is kept."""
    gc.collect()
    gc.freeze()
