"""citywatch only reads a city: running a scenario against it, `config show`, and a headless
model ticking over a real city leave every file of the city directory byte-for-byte as it was
(and add none). The cities are copied to a writable tmp directory so a write would succeed and
be caught."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest
from gascity_fixtures import BUILTIN, CITIES

from core.config.load import load_city
from core.config.validate import validate_city
from core.model.facade import Model
from tui.cli import main

REAL = CITIES


def snapshot(root: Path) -> dict[str, str]:
    """Every file and directory under root, files with their sha256."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
    return out


@pytest.fixture
def cities(tmp_path) -> Path:
    dst = tmp_path / "cities"
    shutil.copytree(REAL, dst)
    shutil.copytree(BUILTIN, dst / "builtin")  # a --packs folder the operator owns
    return dst


def test_config_show_writes_nothing(cities, capsys):
    before = snapshot(cities)
    for city in ("swarm", "t3bridge-gastown", "lifecycle", "gastown", "hyperscale"):
        for extra in ([], ["--json"], ["--packs", str(cities / "builtin")]):
            assert main(["config", "show", str(cities / city), *extra]) == 0
    capsys.readouterr()
    assert snapshot(cities) == before


def test_scenario_run_writes_nothing(cities, capsys):
    scn = cities / "t3bridge-gastown" / "story.toml"
    scn.write_text(textwrap.dedent("""
        name = "t3bridge city, a few ticks"
        city_file = "city.toml"
        [[step]]
        do = "tick"
        count = 3
        every = "30s"
        [[step]]
        do = "advance"
        by = "10m"
        [[step]]
        do = "tick"
    """))
    before = snapshot(cities)
    assert main(["scenario", "run", str(scn), "--json"]) == 0
    assert main(["scenario", "check", str(scn)]) == 0
    capsys.readouterr()
    assert snapshot(cities) == before


def test_headless_model_of_a_real_city_writes_nothing(cities):
    before = snapshot(cities)
    shipped = snapshot(BUILTIN)
    for packs in (str(cities / "builtin"), None):  # the operator's copies, then the shipped ones
        city = load_city(str(cities / "t3bridge-gastown"), packs_dir=packs)
        validate_city(city)
        model = Model(city)
        for _ in range(5):
            model.tick()
        assert model.last_desired is not None and model.last_desired.entries
    assert snapshot(cities) == before
    assert snapshot(BUILTIN) == shipped
