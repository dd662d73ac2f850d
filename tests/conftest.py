"""Suite-wide setup: the seed of this run's Hypothesis examples.

Each run draws new examples (the `ci` profile is not derandomized): the seed is HYPOTHESIS_SEED
when set, else a fresh random one. It is printed in the report header and under every failing
property, so a failure found on CI is rerun exactly with `HYPOTHESIS_SEED=N pytest ...`.
"""

from __future__ import annotations

import os
import random

import pytest

_SEED_KEY = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--hypothesis-seed", default=None)
    if given is None:
        env = os.environ.get("HYPOTHESIS_SEED", "").strip()
        seed = int(env) if env.isdigit() else random.SystemRandom().randrange(2**32)
        config.option.hypothesis_seed = str(seed)  # read by Hypothesis' own pytest plugin
    config.stash[_SEED_KEY] = int(config.getoption("--hypothesis-seed"))


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[_SEED_KEY]
    return f"hypothesis seed: {seed} (rerun with HYPOTHESIS_SEED={seed})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when == "call" and item.get_closest_marker("hypothesis"):
        seed = item.config.stash[_SEED_KEY]
        rep.sections.append(("hypothesis seed", f"this run's seed was {seed}: rerun with HYPOTHESIS_SEED={seed}"))


@pytest.fixture(autouse=True)
def faults_fail_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault in the app's handlers fails the test that set it off: the app's safety net
    (tui/faults.py) would otherwise report it on screen and carry on. Tests of the net itself
    turn it back off."""
    from tui.base_app import BaseApp

    monkeypatch.setattr(BaseApp, "reraise_faults", True)
