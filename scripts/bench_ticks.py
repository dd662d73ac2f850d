"""Step the benchmark city of a size through a number of ticks, for counting instructions.

`bench` reports wall-clock and CPU time, which swing with how busy the machine is. An
instruction count does not: run this under valgrind twice, with N ticks and with 0, and the
difference divided by N is the instructions of N ticks (the city's setup and its warm-up tick
cancel out):

    PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no .venv/bin/python scripts/bench_ticks.py M 5
    PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no .venv/bin/python scripts/bench_ticks.py M 0

It prints the size, the tick count and the world digest (the same for the same code and work).
"""

from __future__ import annotations

import argparse
import tempfile

from core import gc_tuning
from core.bench.measure import step, world_digest
from core.bench.session import open_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=("S", "M", "L"))
    parser.add_argument("ticks", type=int, help="ticks after the warm-up tick")
    args = parser.parse_args()
    gc_tuning.tune_collector()
    with tempfile.TemporaryDirectory(prefix="citywatch-ticks-") as root:
        session = open_bench(args.size, root, 0)
        gc_tuning.settle()
        for _ in range(args.ticks + 1):
            step(session)
        print(args.size, args.ticks, world_digest(session))


if __name__ == "__main__":
    main()
