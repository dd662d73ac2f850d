"""`citywatch --version` prints the installed version, from the app's parser and the headless one."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

CONSOLE = Path(sys.executable).parent / "citywatch"


@pytest.mark.parametrize("argv", [["--version"]])
def test_version_is_printed_and_exits_zero(argv):
    cmd = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "tui.cli"]
    r = subprocess.run(cmd + argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"citywatch {version('citywatch')}"
