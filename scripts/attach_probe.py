"""Time `citywatch attach DIR`'s one-shot snapshot on a benchmark city written as a live city, or
print the snapshot, without running the rest of `bench`.

`bench` builds its L live city afresh on every run (a minute or more) and times three attaches in
it. This writes the city once and then times attaches on it as often as wanted, wall clock and
CPU (the CPU time swings less on a shared machine), each starting as `bench`'s probe does:

    .venv/bin/python scripts/attach_probe.py /tmp/city-L --write L   # once: the city and its clock
    .venv/bin/python scripts/attach_probe.py /tmp/city-L --runs 3     # ms per attach, wall and CPU
    .venv/bin/python scripts/attach_probe.py /tmp/city-L --dump out.txt

`--dump` writes what `attach --json` prints (indented) and then the text rendering, for comparing
two versions of the code byte for byte on the same directory. The city's clock is kept beside
the directory (`DIR.clock`): the snapshot is judged as of then, so it does not change with the
wall clock.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from datetime import datetime
from time import perf_counter, process_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="the live city directory")
    parser.add_argument("--write", choices=("S", "M", "L"), help="write the benchmark city of this size there first")
    parser.add_argument("--runs", type=int, default=0, help="attaches to time")
    parser.add_argument("--dump", metavar="FILE", help="write the snapshot's JSON and text to FILE")
    args = parser.parse_args()
    from core import gc_tuning

    gc_tuning.tune_collector()  # as `citywatch attach` and `bench` do
    clock_file = os.path.abspath(args.dir) + ".clock"
    if args.write:
        from core.bench.live_city import write_live_city

        os.makedirs(args.dir, exist_ok=True)
        with open(clock_file, "w") as f:
            f.write(write_live_city(args.write, args.dir).isoformat())
    with open(clock_file) as f:
        now = datetime.fromisoformat(f.read().strip())
    gc_tuning.settle()
    for _ in range(args.runs):
        gc.collect()
        wall, cpu = perf_counter(), process_time()
        _snapshot(args.dir, now)
        print(f"attach {1000 * (perf_counter() - wall):.0f} ms wall, {1000 * (process_time() - cpu):.0f} ms CPU",
              flush=True)
    if args.dump:
        with open(args.dump, "w") as f:
            f.write(_snapshot(args.dir, now, text=True))


def _snapshot(root: str, now: datetime, *, text: bool = False) -> str:
    """One attach as `citywatch attach DIR --json` makes it (with `text`, its JSON and text forms)."""
    from core.attach.render import render_snapshot
    from core.attach.session import AttachOptions, AttachSession

    s = AttachSession.open(root, AttachOptions(one_shot=True, clock=lambda: now))
    try:
        snap = s.snapshot()
        doc = snap.to_json()
        return json.dumps(doc, indent=2) + "\n----\n" + render_snapshot(snap) if text else ""
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
