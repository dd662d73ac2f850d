"""The README's "Try it" commands run as written from the clone's folder: the headless ones are
run here through the installed console script (the app ones are opened headless elsewhere)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = Path(sys.executable).parent / "citywatch"
HEADLESS = ("config", "scenario", "explain", "plan", "bench", "attach")


def try_it_lines() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"Try it on the files in the repository.*?```sh\n(.*?)```", text, re.S)
    assert block, "the README lost its Try it block"
    return [shlex.split(line.split("#", 1)[0]) for line in block.group(1).splitlines() if line.strip()]


def test_every_try_it_line_names_files_that_exist():
    lines = try_it_lines()
    assert len(lines) >= 5
    for argv in lines:
        assert argv[0] == "citywatch"
        for arg in argv[1:]:
            if "/" in arg and not arg.startswith("-") and arg.count("/") > 1:
                assert (ROOT / arg).exists(), arg


@pytest.mark.parametrize("argv", [a for a in try_it_lines() if len(a) > 1 and a[1] in HEADLESS],
                         ids=lambda a: " ".join(a[1:3]))
def test_headless_try_it_lines_succeed(argv):
    cmd = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "tui.cli"]
    r = subprocess.run(cmd + argv[1:], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


@pytest.mark.parametrize("argv", [a for a in try_it_lines() if len(a) == 1 or a[1] not in HEADLESS],
                         ids=lambda a: " ".join(a[1:]) or "demo")
async def test_app_try_it_lines_open_and_step(argv, monkeypatch):
    """What `citywatch ...` would open, opened headless: parsed by the real parser, built by the
    real driver factory, stepped once."""
    import argparse

    from tui import app as app_module
    from tui.cli import open_app

    monkeypatch.chdir(ROOT)
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(app_module, "run_app", lambda args: seen.append(args) or 0)
    assert open_app(argv[1:]) == 0
    driver, _running = app_module.make_driver(seen[0])
    app = app_module.CitywatchApp(driver, running=False, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        before = app.driver.history.latest.index
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.driver.history.latest.index == before + 1  # one step recorded
        assert not app.last_error, app.last_error
