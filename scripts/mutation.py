#!/usr/bin/env python3
"""Mutation testing of the model's core, one module at a time, in bounded time.

    .venv/bin/python scripts/mutation.py                      # every module, 20 minutes each at most
    .venv/bin/python scripts/mutation.py identity trackers    # some modules
    .venv/bin/python scripts/mutation.py --minutes 5 identity # a tighter bound
    .venv/bin/python scripts/mutation.py --new-only reconcile # skip retrying earlier survivors
    .venv/bin/python scripts/mutation.py reconcile --only 'core.reconcile.drain.x_*'  # some mutants
    .venv/bin/python scripts/mutation.py reconcile --sample 300  # an estimate from a random sample
    .venv/bin/python scripts/mutation.py --report             # the scores of the last runs, no run
    .venv/bin/python scripts/mutation.py --survivors identity # each survivor's diff
    .venv/bin/python scripts/mutation.py --json               # the report as JSON

Each module runs in its own folder, .mutation/<module>/ (a fresh copy of the project's sources
and tests with a [tool.mutmut] section naming that module and its tests), so the modules keep
separate results and a rerun only tests the mutants of functions that changed. mutmut's progress
stream goes to .mutation/<module>/run.log, never to the terminal.

mutmut maps each function to the tests that reach it once, and afterwards traces only tests it
has not seen: a test edited to reach a function, or code outside the module that now calls it,
would leave the map stale and a mutant "surviving" tests that were never run against it. So
when any source or test file changed since a module's last run, its map is collected again
(one traced run of its tests); verdicts already reached are kept.

The score of a module is killed / (killed + survived), where a mutant no test reaches counts as
survived and a mutant listed in docs/mutation.md as equivalent is left out of both. A run cut by
its time bound leaves mutants "not checked": the report says how many, and the score is then
partial, and biased: mutmut tests the mutants with the fewest tests first. `--sample N` instead
tests N mutants drawn at random (a fixed seed, so a rerun retries the same ones) and reports the
score of the sample with its 95% interval (Wilson's): an unbiased estimate in bounded time. The
exit code is 1 if a module (or its sample) scores under --threshold (90 by default) or has
mutants not checked, 0 otherwise. Needs the `dev` extra (`pip install -e '.[dev]'`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
EQUIVALENTS = ROOT / "docs" / "mutation.md"

# Every module runs against the unit tests (tests/core/) and the scenario and conformance suites;
# mutmut runs, for each mutant, only the tests that reach its function. The selection is folders
# and fixed files, so adding a test file keeps earlier verdicts (mutmut finds the new tests and
# the rerun of survivors below tries them); changing the selection starts a module over. The
# Hypothesis properties are left out: they reach nearly every function and take seconds each,
# which every surviving mutant would pay again.
_TESTS = ["tests/core/", "tests/test_scenarios.py", "tests/test_conformance.py"]
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "identity": (["core/identity.py", "core/config/naming.py"], _TESTS),  # naming: session_name_for
    "desired": (["core/desired/"], _TESTS),
    "reconcile": (["core/reconcile/"], _TESTS),
    "trackers": (["core/trackers/"], _TESTS),
}
# Tests that measure allocations: under mutmut every function call goes through its trampoline,
# which allocates, so they measure the trampolines and fail whatever the mutant.
_NOT_UNDER_MUTMUT = ["--ignore=tests/core/test_long_watch_memory.py"]
# Tests that check the model against itself, not against Gas City, and cost the most: the
# hostile-bead sweep (no corrupt field raises out of a tick: 60% of the selection's time, and it
# reaches every reconcile function) and the retention run (forgetting closed beads changes no
# decision: the same model run twice, so a mutant changes both runs alike). Every surviving
# mutant of a function they reach ran them in full, for nearly nothing: a mutant that makes the
# model raise is killed by the behaviour tests too. Leaving them out can only lower a score.
_NOT_UNDER_MUTMUT += ["--ignore=tests/core/test_hostile_beads.py", "--deselect",
                      "tests/core/test_closed_retention.py::test_forgetting_changes_no_decision_and_bounds_the_store"]
_COPY = ["core", "tui", "tests", "docs", "scripts", "README.md"]
_KILLED = {"killed", "timeout", "segfault", "caught by type check"}
_SURVIVED = {"survived", "no tests", "suspicious"}


@dataclass
class Score:
    """One module's tally; `equivalent` survivors are listed in docs/mutation.md."""

    module: str
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    not_checked: int = 0
    stale: list[str] = field(default_factory=list)  # listed equivalent but killed or gone
    sample: int | None = None  # the size of the random sample tallied, if this is a sample's tally

    @property
    def score(self) -> float:
        counted = self.killed + len(self.survived) + len(self.no_tests)
        return 100.0 * self.killed / counted if counted else 0.0

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wilson's 95% interval of the score, in percent: where the module's score lies if the
        mutants tallied are a random sample of it."""
        n = self.killed + len(self.survived) + len(self.no_tests)
        if not n:
            return (0.0, 100.0)
        p = self.killed / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half))

    def to_json(self) -> dict:
        return {"module": self.module, "score": round(self.score, 1), "killed": self.killed,
                "survived": len(self.survived), "no_tests": len(self.no_tests),
                "equivalent": len(self.equivalent), "not_checked": self.not_checked,
                "survivors": self.survived + self.no_tests, "stale_equivalents": self.stale,
                **({"sample": self.sample, "interval": [round(x, 1) for x in self.interval()]}
                   if self.sample is not None else {})}


def equivalents() -> dict[str, str]:
    """Mutant name -> reason, from the rows of docs/mutation.md whose first cell is `name`."""
    if not EQUIVALENTS.exists():
        return {}
    out = {}
    for line in EQUIVALENTS.read_text().splitlines():
        m = re.match(r"\|\s*`([\w.]+__mutmut_\d+)`\s*\|(.*)\|\s*$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _config(paths: list[str], tests: list[str]) -> str:
    def arr(xs: list[str]) -> str:
        return "[" + ", ".join(json.dumps(x) for x in xs) + "]"
    return ("\n[tool.mutmut]\n"
            f"source_paths = {arr(paths)}\n"
            f"also_copy = {arr([c + ('/' if (ROOT / c).is_dir() else '') for c in _COPY])}\n"
            f"pytest_add_cli_args = {arr(['-p', 'no:cacheprovider', '-q', *_NOT_UNDER_MUTMUT])}\n"
            f"pytest_add_cli_args_test_selection = {arr(tests)}\n")


_TRACED = ["core", "tui", "tests", "scripts"]  # what decides which tests reach which function


def _digest() -> str:
    h = hashlib.sha256()
    for name in _TRACED:
        for f in sorted((ROOT / name).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and ".hypothesis" not in f.parts:
                h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def prepare(module: str) -> Path:
    """A fresh copy of the sources and tests in .mutation/<module>/, keeping its mutants/ (and
    its verdicts); the function-to-tests map is dropped when any source or test changed."""
    paths, tests = MODULES[module]
    wd = WORK / module
    wd.mkdir(parents=True, exist_ok=True)
    digest, marker = _digest(), wd / "sources.sha256"
    if not marker.exists() or marker.read_text() != digest:
        (wd / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    marker.write_text(digest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "snapshot_report.html")
    for name in _COPY:
        src, dst = ROOT / name, wd / name
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore)
        else:
            shutil.copy2(src, dst)
    text = (ROOT / "pyproject.toml").read_text()
    (wd / "pyproject.toml").write_text(text + _config(paths, tests))
    return wd


def _mutmut() -> list[str]:
    exe = Path(sys.executable).with_name("mutmut")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mutmut"]


def _mutmut_run(wd: Path, args: list[str], children: int, seconds: float, log) -> None:
    # A fixed seed: a property kills a mutant or not the same way on every run.
    env = dict(os.environ, HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "ci"),
               HYPOTHESIS_SEED=os.environ.get("HYPOTHESIS_SEED", "0"))
    # A shell starts a background job with SIGINT ignored, and mutmut would inherit that: restore
    # the default so the Ctrl-C sent at the time bound makes it save its verdicts and stop.
    proc = subprocess.Popen([*_mutmut(), "run", "--max-children", str(children), *args], cwd=wd, stdout=log,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    interrupted = False
    try:
        proc.wait(timeout=max(seconds, 1))
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as e:
        interrupted = isinstance(e, KeyboardInterrupt)
        os.killpg(proc.pid, signal.SIGINT)  # mutmut saves what it has on KeyboardInterrupt
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if interrupted:
        raise KeyboardInterrupt


def draw_sample(module: str, size: int, seed: int, eq: dict[str, str]) -> list[str]:
    """`size` of the module's mutants drawn at random, leaving out those docs/mutation.md lists
    as equivalent. Each mutant's place in the draw is a hash of the seed and its name alone, so
    the same seed draws the same mutants, and a change to the module (a function rewritten, a
    mutant listed as equivalent) changes the draw only where mutants came or went: a rerun after
    tests were added retries the earlier sample, not a new one."""
    names = [n for n in results(module) if n not in eq]
    return sorted(sorted(names, key=lambda n: hashlib.sha256(f"{seed}\0{n}".encode()).digest())[:size])


def run_sample(module: str, size: int, seed: int, minutes: float, children: int) -> None:
    """Test the mutants of the module's sample (`draw_sample`) that are not killed yet: those
    not checked, and earlier survivors (new tests may kill them). When the module has no
    mutants yet, mutmut first generates them and maps the tests (asked for a mutant that does not
    exist, it stops there)."""
    wd = prepare(module)
    deadline = time.monotonic() + minutes * 60
    with (wd / "run.log").open("w") as log:
        if not results(module):
            _mutmut_run(wd, ["no-such-mutant"], children, minutes * 60, log)
        res = results(module)
        todo = [n for n in draw_sample(module, size, seed, equivalents()) if res.get(n) not in _KILLED]
        for i in range(0, len(todo), 200):
            if time.monotonic() >= deadline:
                return
            _mutmut_run(wd, todo[i:i + 200], children, deadline - time.monotonic(), log)


def run(module: str, minutes: float, children: int, retry: bool = True, only: list[str] | None = None) -> None:
    """Test again every mutant an earlier run left alive (mutmut keeps a verdict until the
    function changes, though new tests may kill it now), then run mutmut on the mutants not yet
    checked; stop (as Ctrl-C would) once `minutes` have passed. The earlier survivors go first:
    they are what new tests were written to kill, so a run cut short still retries them (those
docs/mutation.md shows equivalent are not retried: no test can kill them). With `retry` False
    only the mutants not checked yet are run: a survivor costs a run of every test that reaches
    its function, so retrying them is worth it only after tests were added. With `only` (mutmut
    name patterns, `*` matching anything) exactly the matching mutants run, checked or not: the
    way to confirm the tests written against one function's survivors without a whole run."""
    if only:
        wd = prepare(module)
        with (wd / "run.log").open("w") as log:
            _mutmut_run(wd, only, children, minutes * 60, log)
        return
    eq = equivalents()
    alive = [n for n, status in results(module).items() if status in _SURVIVED and n not in eq] if retry else []
    wd = prepare(module)
    deadline = time.monotonic() + minutes * 60
    with (wd / "run.log").open("w") as log:
        for i in range(0, len(alive), 200):
            if time.monotonic() >= deadline:
                return
            _mutmut_run(wd, alive[i:i + 200], children, deadline - time.monotonic(), log)
        if time.monotonic() < deadline:
            _mutmut_run(wd, [], children, deadline - time.monotonic(), log)


def results(module: str) -> dict[str, str]:
    """Mutant name -> mutmut status, from the last run of a module (empty if none)."""
    wd = WORK / module
    if not (wd / "mutants").is_dir():
        return {}
    out = subprocess.run([*_mutmut(), "results", "--all", "true"], cwd=wd, capture_output=True, text=True)
    res = {}
    for line in out.stdout.splitlines():
        m = re.match(r"\s+([\w.]+__mutmut_\d+): (.+)$", line)
        if m:
            res[m.group(1)] = m.group(2).strip()
    return res


def tally(module: str, eq: dict[str, str], sample: list[str] | None = None) -> Score:
    """The module's tally from mutmut's results; with `sample`, of those mutants only."""
    s = Score(module, sample=None if sample is None else len(sample))
    res = results(module)
    if sample is not None:
        res = {n: res[n] for n in sample if n in res}
    prefix = tuple(p.rstrip("/").removesuffix(".py").replace("/", ".") + "." for p in MODULES[module][0])
    for name, status in sorted(res.items()):
        if name in eq and status in _SURVIVED:
            s.equivalent.append(name)
        elif status in _KILLED:
            s.killed += 1
            if name in eq:
                s.stale.append(name)
        elif status == "no tests":
            s.no_tests.append(name)
        elif status in _SURVIVED:
            s.survived.append(name)
        else:
            s.not_checked += 1
    if sample is None:
        s.stale += [n for n in eq if n.startswith(prefix) and n not in res]
    return s


def show(module: str, name: str) -> str:
    out = subprocess.run([*_mutmut(), "show", name], cwd=WORK / module, capture_output=True, text=True)
    return out.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", default=[], metavar="MODULE",
                    help=f"modules to run (default: all): {', '.join(MODULES)}")
    ap.add_argument("--minutes", type=float, default=20.0, help="time bound of each module's run (default 20)")
    ap.add_argument("--children", type=int, default=2, help="mutants tested at once (default 2)")
    ap.add_argument("--new-only", action="store_true",
                    help="run only the mutants not checked yet; do not retry earlier survivors")
    ap.add_argument("--only", action="append", metavar="PATTERN",
                    help="run only the mutants whose name matches (mutmut's names, * for anything; "
                         "repeatable), whatever their last verdict; needs one MODULE")
    ap.add_argument("--sample", type=int, metavar="N",
                    help="test and report N mutants drawn at random (not listed equivalent) instead of all")
    ap.add_argument("--seed", type=int, default=1, help="the seed of --sample's draw (default 1)")
    ap.add_argument("--threshold", type=float, default=90.0, help="lowest passing score, in percent (default 90)")
    ap.add_argument("--report", action="store_true", help="report the last runs' scores without running")
    ap.add_argument("--survivors", action="store_true", help="print the diff of every survivor")
    ap.add_argument("--json", action="store_true", help="the report as JSON")
    a = ap.parse_args(argv)
    modules = a.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        ap.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if a.only and len(modules) != 1:
        ap.error("--only needs exactly one MODULE")
    if a.sample is not None and (a.sample < 1 or a.only or a.new_only):
        ap.error("--sample needs a positive N and goes with neither --only nor --new-only")
    eq = equivalents()
    scores = []
    for m in modules:
        if not a.report and not a.survivors:
            print(f"mutation: {m}: running (at most {a.minutes:g} min, log in .mutation/{m}/run.log)",
                  file=sys.stderr, flush=True)
            if a.sample is not None:
                run_sample(m, a.sample, a.seed, a.minutes, a.children)
            else:
                run(m, a.minutes, a.children, retry=not a.new_only, only=a.only)
        scores.append(tally(m, eq, draw_sample(m, a.sample, a.seed, eq) if a.sample is not None else None))
    if a.json:
        print(json.dumps({"threshold": a.threshold, "modules": [s.to_json() for s in scores]}, indent=2))
    else:
        for s in scores:
            if not (s.killed or s.survived or s.no_tests or s.equivalent or s.not_checked):
                print(f"{s.module:10}   not run (no results in .mutation/{s.module}/)")
                continue
            partial = f", {s.not_checked} not checked (partial)" if s.not_checked else ""
            if s.sample is not None:
                low, high = s.interval()
                partial += f"; a random sample of {s.sample} (seed {a.seed}), 95% interval {low:.1f}–{high:.1f}%"
            print(f"{s.module:10} {s.score:5.1f}%  killed {s.killed}, survived {len(s.survived)}, "
                  f"no tests {len(s.no_tests)}, equivalent {len(s.equivalent)}{partial}")
            for n in s.stale:
                print(f"           stale entry in docs/mutation.md: {n} (killed now, or no longer generated)")
            if a.survivors:
                for n in s.survived + s.no_tests:
                    print(show(s.module, n))
    bad = [s for s in scores if s.score < a.threshold or s.not_checked or not (s.killed or s.survived)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
