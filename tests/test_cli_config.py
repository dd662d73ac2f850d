"""`citywatch config show CITY [--json] [--packs DIR] [--semantics S]`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from factories import write_city

from tui.cli import main

CITY = """
[workspace]
name = "harbor"

[[agent]]
name = "mayor"
max_active_sessions = 1

[[agent]]
name = "refinery"
dir = "api"
max_active_sessions = 1
min_active_sessions = 0
scale_check = "bd list --label merge-ready --json | jq length"

[[agent]]
name = "polecat"
dir = "api"
max_active_sessions = 3
namepool = "names.txt"
depends_on = ["api/refinery"]

[[agent]]
name = "worker"
dir = "api"

[[agent]]
name = "archivist"
max_active_sessions = 0

[[named_session]]
template = "mayor"
mode = "always"

[[named_session]]
template = "ghost"

[[rigs]]
name = "api"

[imports.gs]
source = "git@github.com:example/packs.git//gastown"
"""


def city(tmp_path: Path, text: str = CITY) -> Path:
    write_city(tmp_path, text)
    (tmp_path / "names.txt").write_text("furiosa\nnux\nslit\n")
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_form(tmp_path, capsys):
    rc, out, err = run(capsys, "config", "show", str(city(tmp_path)), "--json")
    assert rc == 0, err
    s = json.loads(out)
    shapes = {a["qualified_name"]: a["shape"]["kind"] for a in s["agents"]}
    assert shapes == {"mayor": "named", "api/refinery": "canonical-singleton", "api/polecat": "namepool",
                      "api/worker": "unlimited", "archivist": "disabled"}
    by = {a["qualified_name"]: a for a in s["agents"]}
    assert by["api/polecat"]["namepool_names"] == 3 and by["api/polecat"]["depends_on"] == ["api/refinery"]
    assert by["api/refinery"]["predicates"] == {"SIE": True, "UCS": True, "SESI": False, "SMS": False, "SGE": True,
                                                "unlimited": False}
    assert by["mayor"]["origin"] == {"file": "city.toml", "table": "agent[0]", "kind": "inline", "binding": ""}
    assert [(n["identity"], n["mode"], n["runtime_name"]) for n in s["named_sessions"]] == [("mayor", "always", "mayor")]
    assert [n["identity"] for n in s["disabled_named_sessions"]] == ["ghost"]
    assert [(i["binding"], i["source"]) for i in s["unresolved_imports"]] == [
        ("gs", "git@github.com:example/packs.git//gastown")]
    assert any("named session disabled" in w and w.startswith("city.toml:") for w in s["warnings"])


def test_text_form_is_a_table(tmp_path, capsys):
    rc, out, _ = run(capsys, "config", "show", str(city(tmp_path)))
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("City harbor  (")
    header = next(i for i, line in enumerate(lines) if line.startswith("  AGENT"))
    assert lines[header].split() == ["AGENT", "SHAPE", "MIN", "MAX", "SCALE_CHECK", "DEPENDS_ON", "FROM"]
    row = next(line for line in lines if line.startswith("  api/refinery"))
    # Columns line up under their headers.
    assert row.index("canonical singleton") == lines[header].index("SHAPE")
    assert "bd list --label merge-ready --json | jq length" in row  # piped: every value whole
    assert "Imports not resolved (1)" in out and "Named sessions disabled (1)" in out
    assert "named + canonical singleton" in out


def test_semantics_switch_changes_the_shape(tmp_path, capsys):
    rc, out, _ = run(capsys, "config", "show", str(city(tmp_path)), "--json", "--semantics", "pre-2053")
    by = {a["qualified_name"]: a for a in json.loads(out)["agents"]}
    assert by["api/refinery"]["shape"]["kind"] == "slot-pool"  # #1989's pool flavour: refinery-1


def test_output_is_deterministic(tmp_path, capsys):
    c = str(city(tmp_path))
    outs = {run(capsys, "config", "show", c, "--json")[1] for _ in range(2)}
    outs |= {run(capsys, "config", "show", c, "--json")[1]}
    assert len(outs) == 1


def test_validate_makes_validator_errors_fatal_with_every_reason(tmp_path, capsys):
    c = city(tmp_path, '[[agent]]\nname = "a"\nmin_active_sessions = 3\nmax_active_sessions = 1\n'
                       '[[rigs]]\nname = "*"\n')
    rc, out, err = run(capsys, "config", "show", str(c), "--validate")
    assert rc == 2 and out == ""
    assert err.splitlines() == [
        f"citywatch: {c / 'city.toml'}: agent[0].min_active_sessions: agent \"a\": "
        "min_active_sessions (3) must be <= max_active_sessions (1) (line 3)",
        f"citywatch: {c / 'city.toml'}: rigs[0].name: rig[0]: name \"*\" is reserved as the [[orders.overrides]] "
        "wildcard (line 6)"]


def test_without_validate_validator_errors_are_warnings_and_validation_errors(tmp_path, capsys):
    c = city(tmp_path, '[[agent]]\nname = "a"\nmin_active_sessions = 3\nmax_active_sessions = 1\n')
    rc, out, err = run(capsys, "config", "show", str(c), "--json")
    assert rc == 0, err
    assert json.loads(out)["validation_errors"] == [
        'city.toml: agent[0].min_active_sessions: agent "a": min_active_sessions (3) must be <= '
        "max_active_sessions (1) (line 3)"]
    rc, out, _ = run(capsys, "config", "show", str(c))
    assert rc == 0 and "validation error: city.toml: agent[0].min_active_sessions" in out


def test_validate_on_a_valid_city(tmp_path, capsys):
    c = city(tmp_path, '[[agent]]\nname = "a"\n')
    assert run(capsys, "config", "show", str(c), "--validate") == (0, "Config valid.\n", "")
    rc, out, _ = run(capsys, "config", "show", str(c), "--validate", "--json")
    assert rc == 0 and json.loads(out)["validation_errors"] == []


def test_missing_city_and_bad_packs_dir(tmp_path, capsys):
    rc, _, err = run(capsys, "config", "show", str(tmp_path / "nope"))
    assert rc == 2 and "no such file or directory" in err
    rc, _, err = run(capsys, "config", "show", str(city(tmp_path)), "--packs", str(tmp_path / "none"))
    assert rc == 2 and "--packs" in err and "not a directory" in err


def test_real_process_prints_no_traceback(tmp_path):
    c = city(tmp_path, '[[agent]\nname = "a"\n')
    p = subprocess.run([sys.executable, "-m", "tui.cli", "config", "show", str(c)], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.startswith(f"citywatch: {c / 'city.toml'}:1:")


def test_gc_config_show_singleton_warning(tmp_path, capsys):
    rc, out, _ = run(capsys, "config", "show", str(city(tmp_path)), "--json")
    # mayor backs a named session; api/refinery is a canonical singleton that does not.
    assert json.loads(out)["validation_warnings"] == [
        'agent "api/refinery": max_active_sessions=1 creates a canonical singleton that drains when scale_check '
        "returns 0; declare [[named_session]] only if you need a session that survives empty-demand windows"]
