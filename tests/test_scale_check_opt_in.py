"""A scale_check command in a config runs only when the operator passes `--run-scale-checks`.

The city's scale_check leaves a marker file when it runs. Every headless path (config show,
explain on the city, a scenario embedding the city, attach, the app's session without the flag)
ticks or reads that city and must leave no marker; the app's session with the flag runs it.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import pytest
from factories import write_city

from tui.app import make_driver
from tui.cli import main


def city_toml(marker: Path) -> str:
    return textwrap.dedent(f"""\
        [workspace]
        name = "optin"

        [[agent]]
        name = "w"
        max_active_sessions = 3
        scale_check = "touch '{marker}'; echo 2"
        """)


@pytest.fixture
def city(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    d = tmp_path / "city"
    d.mkdir()
    write_city(d, city_toml(marker))
    return d, marker


def args(city_dir: Path, run: bool) -> argparse.Namespace:
    return argparse.Namespace(scenario=None, city=str(city_dir / "city.toml"), semantics="current",
                              packs=None, run_scale_checks=run, scale_check_timeout="5s")


def test_no_headless_command_runs_a_scale_check(city, tmp_path, capsys):
    d, marker = city
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "opt-in"\ncity_file = "city/city.toml"\n[scale_check]\nw = 2\n'
                        '[[step]]\ndo = "tick"\ncount = 3\n')
    assert main(["config", "show", str(d), "--json"]) == 0
    assert main(["explain", str(d), "w", "--steps", "3"]) == 2  # no session: the simulated count is 0
    assert main(["explain", str(scenario), "w-1"]) == 0  # the scenario's simulated count 2 starts sessions
    assert main(["scenario", "run", str(scenario), "--json"]) == 0
    assert main(["scenario", "check", str(scenario)]) == 0
    assert main(["attach", str(d), "--json"]) == 0
    capsys.readouterr()
    assert not marker.exists()


def test_the_app_session_runs_it_only_with_the_flag(city):
    d, marker = city
    plain, _ = make_driver(args(d, run=False))
    for _ in range(3):
        assert plain.step().ok
    assert not marker.exists()
    assert plain.model.world.scale_check("w") == 0

    live, _ = make_driver(args(d, run=True))
    assert live.step().ok
    assert marker.exists()
    assert live.model.world.scale_check("w") == 2
