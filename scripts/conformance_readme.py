"""Recompute the counts in tests/conformance/README.md from the case files.

The README's coverage table gives, for each Go test file, how many test functions it has (read
from Gas City's source once, by hand), how many of them have a case here, how many case files
there are and how many functions are not ported; above it, the number of cases and of strict
xfails. Everything but the functions column follows from the case files, so this script
rewrites it: `python scripts/conformance_readme.py` updates the README, `--check` only says
whether it is up to date (exit 1 when not), which tests/test_conformance.py runs.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "conformance"
SOURCE = re.compile(r"cmd/gc/(\w+_test\.go) (Test\w+)")
ROW = re.compile(r"^\| `(\w+_test\.go)` \| (\d+) \| \d+ \| \d+ \| \d+ \|$", re.M)
TOTAL = re.compile(r"^\| \*\*total\*\* \| \d+ \| \d+ \| \d+ \| \d+ \|$", re.M)
CASES = re.compile(r"^\*\*\d+ cases\*\* \(\d+ strict xfail\)\.$", re.M)


def case_files() -> list[pathlib.Path]:
    """Every conformance case (the config suite under config/ has its own README)."""
    return sorted(p for p in ROOT.rglob("*.toml") if p.relative_to(ROOT).parts[0] != "config")


def _source_and_xfail(path: pathlib.Path) -> tuple[str, bool]:
    import tomllib

    data = tomllib.loads(path.read_text())
    return str(data.get("source", "")), bool(data.get("xfail"))


def render(readme: str) -> str:
    """The README with every derived count recomputed from the case files."""
    tests: dict[str, set[str]] = defaultdict(set)
    files: dict[str, int] = defaultdict(int)
    xfails = 0
    paths = case_files()
    for p in paths:
        source, xfail = _source_and_xfail(p)
        m = SOURCE.search(source)
        if m:
            tests[m.group(1)].add(m.group(2))
            files[m.group(1)] += 1
        xfails += xfail
    totals = [0, 0, 0, 0]

    def row(m: re.Match) -> str:
        name, functions = m.group(1), int(m.group(2))
        ported, n = len(tests[name]), files[name]
        for i, v in enumerate((functions, ported, n, functions - ported)):
            totals[i] += v
        return f"| `{name}` | {functions} | {ported} | {n} | {functions - ported} |"

    out = ROW.sub(row, readme)
    out = TOTAL.sub(lambda _: "| **total** | " + " | ".join(map(str, totals)) + " |", out)
    return CASES.sub(f"**{len(paths)} cases** ({xfails} strict xfail).", out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only say whether the README is up to date")
    args = ap.parse_args(argv)
    path = ROOT / "README.md"
    now, new = path.read_text(), render(path.read_text())
    if args.check:
        if now != new:
            print(f"{path}: counts out of date; run python scripts/conformance_readme.py")
            return 1
        return 0
    path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
