"""Every real Gas City city in ../shared/real-configs loads, validates and shows (`config show
--json`), and defines what its TOML says it defines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config.load import load_city
from core.config.validate import validate_city
from core.identity import shape
from tui.cli import main

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-configs"
BUILTIN = REAL / "builtin"
CITIES = sorted(p.parent.name for p in REAL.glob("*/city.toml")) if REAL.is_dir() else []
CORE = "https://github.com/gastownhall/gascity.git//internal/bootstrap/packs/core"
BD = "https://github.com/gastownhall/gascity.git//examples/bd"

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is not present")


def show(capsys, city: str, *extra: str) -> dict:
    rc = main(["config", "show", str(REAL / city), "--json", *extra])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def test_every_city_is_covered():
    assert CITIES == ["gastown", "hyperscale", "lifecycle", "swarm", "t3bridge-gastown"]


@pytest.mark.parametrize("name", CITIES)
def test_loads_validates_and_shows(name, capsys):
    city = load_city(str(REAL / name))
    validate_city(city)
    s = show(capsys, name)
    assert [a["qualified_name"] for a in s["agents"]] == [a.qualified_name for a in city.agents]
    # Every city imports the builtin core and bd packs from git: reported, never fetched.
    unresolved = {(i["binding"], i["source"]) for i in s["unresolved_imports"]}
    assert {("core", CORE), ("bd", BD)} <= unresolved
    assert all(i["why"] for i in s["unresolved_imports"])


def test_swarm(capsys):
    s = show(capsys, "swarm")
    assert [a["qualified_name"] for a in s["agents"]] == ["swarm.deacon", "swarm.mayor", "claude"]
    modes = {n["identity"]: (n["mode"], n["template"], n["runtime_name"]) for n in s["named_sessions"]}
    assert modes == {"swarm.mayor": ("on_demand", "swarm.mayor", "swarm__mayor"),
                     "swarm.deacon": ("always", "swarm.deacon", "swarm__deacon")}
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert by["swarm.mayor"]["origin"] == {"file": "packs/swarm/agents/mayor/agent.toml", "table": "", "kind": "pack",
                                           "binding": "swarm"}
    assert by["claude"]["origin"]["kind"] == "implicit"
    # coder and committer are rig-scoped and swarm has no rigs: nothing stamps them, and
    # config show says so instead of letting them vanish.
    assert not any("coder" in q or "committer" in q for q in by)
    assert [a["qualified_name"] for a in s["unstamped"]] == ["swarm.coder", "swarm.committer"]


def test_t3bridge_gastown_stamps_the_rig_import(capsys):
    s = show(capsys, "t3bridge-gastown")
    qns = [a["qualified_name"] for a in s["agents"]]
    assert qns == ["t3demo.mayor", "example/t3demo.polecat", "example/t3demo.refinery", "example/t3demo.witness",
                   "codex", "example/codex"]
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert by["example/t3demo.polecat"]["shape"]["kind"] == "slot-pool"
    assert (by["example/t3demo.polecat"]["min_active_sessions"], by["example/t3demo.polecat"]["max_active_sessions"]) \
        == (0, 2)
    assert by["example/t3demo.refinery"]["shape"]["kind"] == "named"
    named = {n["identity"]: n for n in s["named_sessions"]}
    assert named["t3demo.mayor"]["mode"] == "always"
    assert named["example/t3demo.witness"]["mode"] == "always"
    assert named["example/t3demo.refinery"]["runtime_name"] == "example--t3demo__refinery"
    assert [r["name"] for r in s["rigs"]] == ["example"]
    assert s["unstamped"] == []  # the rig imports t3demo itself
    assert any('rig "example" still declares path in city.toml' in w for w in s["warnings"])


def test_lifecycle_pack_agents_are_rig_defaults(capsys):
    s = show(capsys, "lifecycle")
    assert s["agents"] == [] and s["rigs"] == []
    d = {a["qualified_name"]: a for a in s["rig_defaults"]["agents"]}
    assert list(d) == ["lifecycle.polecat", "lifecycle.refinery"]
    assert d["lifecycle.polecat"]["shape"]["label"] == "slot pool (5)"
    assert d["lifecycle.refinery"]["shape"]["kind"] == "named"
    assert [(n["identity"], n["mode"]) for n in s["rig_defaults"]["named_sessions"]] == [
        ("lifecycle.refinery", "on_demand")]


def test_gastown_and_hyperscale_report_git_imports_unresolved(capsys):
    g = show(capsys, "gastown")
    assert sorted((i["binding"], i["scope"]) for i in g["unresolved_imports"]) == [
        ("bd", "city"), ("core", "city"), ("gastown", "city"), ("gastown", "defaults.rig")]
    assert [a["qualified_name"] for a in g["agents"]] == ["claude"]
    h = show(capsys, "hyperscale")
    assert sorted(i["binding"] for i in h["unresolved_imports"]) == ["bd", "core"]
    assert [(a["qualified_name"], a["shape"]["label"]) for a in h["unstamped"]] == [
        ("hyperscale.worker", "slot pool (100)")]
    assert any(i["binding"] == "hyperscale" and i["resolved"] for i in h["imports"])


def test_packs_dir_seeds_core_and_bd(capsys):
    s = show(capsys, "hyperscale", "--packs", str(BUILTIN))
    assert s["unresolved_imports"] == []
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert list(by) == ["bd.dog", "core.control-dispatcher", "claude"]
    assert by["core.control-dispatcher"]["shape"]["kind"] == "canonical-singleton"
    assert by["bd.dog"]["shape"]["label"] == "slot pool (2)"
    t = show(capsys, "t3bridge-gastown", "--packs", str(BUILTIN))
    assert "example/core.control-dispatcher" in [a["qualified_name"] for a in t["agents"]]


def test_shapes_match_identity_rules_for_every_agent():
    for name in CITIES:
        city = load_city(str(REAL / name), packs_dir=str(BUILTIN))
        for a in city.agents + city.rig_defaults:
            sh = shape(a, city)
            if a.max_active_sessions == 1 and not a.namepool and not city.named_for_template(a.qualified_name):
                assert sh.kind == "canonical-singleton", a.qualified_name
