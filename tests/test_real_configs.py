"""Every example city of Gas City (copied into tests/fixtures/gascity/cities) loads, validates and
shows (`config show --json`), and defines what its TOML says it defines. The builtin packs `core`
and `bd` resolve from the copies citywatch ships, as `gc` serves them from its binary."""

from __future__ import annotations

import json
import shutil

import pytest
from gascity_fixtures import BUILTIN
from gascity_fixtures import CITIES as CITIES_DIR

from core.config.load import load_city
from core.config.validate import validate_city
from core.identity import shape
from tui.cli import main

REAL = CITIES_DIR
CITIES = sorted(p.parent.name for p in REAL.glob("*/city.toml"))
CORE = "https://github.com/gastownhall/gascity.git//internal/bootstrap/packs/core"
BD = "https://github.com/gastownhall/gascity.git//examples/bd"


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
    # Every city imports the builtin core and bd packs at gc's canonical pin: served from the
    # shipped copies, with no flag; nothing else remote is ever fetched.
    via = {(i["binding"], i["source"]): i["resolved_via"] for i in s["imports"] if i["scope"] == "city"}
    assert via[("core", CORE)] == via[("bd", BD)] == "builtin"
    assert not {i["binding"] for i in s["unresolved_imports"]} & {"core", "bd"}
    assert all(i["why"] for i in s["unresolved_imports"])
    assert s["builtin_packs"] == ["builtin bd (Gas City 9e89da7c, pin sha:f895c0ff)",
                                  "builtin core 0.1.0 (Gas City 9e89da7c, pin sha:f895c0ff)"]


def test_swarm(capsys):
    s = show(capsys, "swarm")
    assert [a["qualified_name"] for a in s["agents"]] == ["bd.dog", "core.control-dispatcher", "swarm.deacon",
                                                          "swarm.mayor", "claude"]
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
    assert qns == ["bd.dog", "core.control-dispatcher", "t3demo.mayor", "example/core.control-dispatcher",
                   "example/t3demo.polecat", "example/t3demo.refinery", "example/t3demo.witness", "codex",
                   "example/codex"]
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
    assert [a["qualified_name"] for a in s["agents"]] == ["bd.dog", "core.control-dispatcher"]
    assert s["rigs"] == []
    d = {a["qualified_name"]: a for a in s["rig_defaults"]["agents"]}
    assert list(d) == ["lifecycle.polecat", "lifecycle.refinery"]
    assert d["lifecycle.polecat"]["shape"]["label"] == "slot pool (5)"
    assert d["lifecycle.refinery"]["shape"]["kind"] == "named"
    assert [(n["identity"], n["mode"]) for n in s["rig_defaults"]["named_sessions"]] == [
        ("lifecycle.refinery", "on_demand")]


def test_gastown_and_hyperscale_report_git_imports_unresolved(capsys):
    g = show(capsys, "gastown")
    # gastown comes from the gascity-packs repository, which citywatch does not ship: unresolved.
    assert sorted((i["binding"], i["scope"]) for i in g["unresolved_imports"]) == [
        ("gastown", "city"), ("gastown", "defaults.rig")]
    assert [a["qualified_name"] for a in g["agents"]] == ["bd.dog", "core.control-dispatcher", "claude"]
    h = show(capsys, "hyperscale")
    assert h["unresolved_imports"] == []
    assert [(a["qualified_name"], a["shape"]["label"]) for a in h["unstamped"]] == [
        ("hyperscale.worker", "slot pool (100)")]
    assert any(i["binding"] == "hyperscale" and i["resolved"] for i in h["imports"])


def test_builtin_packs_resolve_with_no_flag(capsys):
    s = show(capsys, "hyperscale")
    assert s["unresolved_imports"] == []
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert list(by) == ["bd.dog", "core.control-dispatcher", "claude"]
    assert by["core.control-dispatcher"]["shape"]["kind"] == "canonical-singleton"
    assert by["bd.dog"]["shape"]["label"] == "slot pool (2)"
    assert by["bd.dog"]["origin"]["file"] == "builtin:bd/dolt/agents/dog/agent.toml"
    t = show(capsys, "t3bridge-gastown")
    assert "example/core.control-dispatcher" in [a["qualified_name"] for a in t["agents"]]


def test_packs_dir_overrides_the_shipped_copy(capsys, tmp_path):
    packs = tmp_path / "packs"
    shutil.copytree(BUILTIN, packs)
    agent = packs / "core" / "agents" / "control-dispatcher" / "agent.toml"
    agent.write_text(agent.read_text().replace("max_active_sessions = 1", "max_active_sessions = 3"))
    s = show(capsys, "hyperscale", "--packs", str(packs))
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert by["core.control-dispatcher"]["max_active_sessions"] == 3
    assert {i["binding"]: i["resolved_via"] for i in s["imports"]}["core"] == "packs-dir"


def test_shapes_match_identity_rules_for_every_agent():
    for name in CITIES:
        city = load_city(str(REAL / name), packs_dir=str(BUILTIN))
        for a in city.agents + city.rig_defaults:
            sh = shape(a, city)
            if a.max_active_sessions == 1 and not a.namepool and not city.named_for_template(a.qualified_name):
                assert sh.kind == "canonical-singleton", a.qualified_name
