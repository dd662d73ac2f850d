"""`citywatch explain CITY_OR_SCENARIO SESSION [--json] [--steps N] [--semantics S]`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tui.cli import main

SCN = Path(__file__).parent / "scenarios"
B9 = str(SCN / "desired" / "B9-two-tick-reclaim.toml")

CITY = """
[workspace]
name = "harbor"

[[agent]]
name = "mayor"
max_active_sessions = 1

[[named_session]]
template = "mayor"
mode = "always"

[[agent]]
name = "db"
dir = "api"
max_active_sessions = 2

[[agent]]
name = "worker"
dir = "api"
max_active_sessions = 1
min_active_sessions = 1
depends_on = ["api/db"]

[[rigs]]
name = "api"
path = "api"
"""


def write_city(tmp_path: Path, text: str = CITY) -> Path:
    p = tmp_path / "city.toml"
    p.write_text(textwrap.dedent(text))
    return p


def test_scenario_text(capsys) -> None:
    assert main(["explain", B9, "gc-stale"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cashmaster/refinery is desired (resume) as bead gc-stale")
    assert "alias.reclaimed" in out and "history" in out


def test_scenario_json_is_stable(capsys) -> None:
    assert main(["explain", B9, "s-refinery-stale", "--json", "--steps", "1"]) == 0
    first = capsys.readouterr().out
    assert main(["explain", B9, "s-refinery-stale", "--json", "--steps", "1"]) == 0
    assert capsys.readouterr().out == first
    x = json.loads(first)
    assert x["matched_by"] == "session name" and x["lifecycle"]["bead"] == "gc-stale"
    assert x["alias"]["state"] == "deferred" and x["target"] == {
        "path": B9, "kind": "scenario", "steps_run": 1, "steps_total": 3, "tick": 1,
        "now": "2026-05-16T12:00:00Z", "semantics": "current", "scale_checks": "simulated"}
    assert list(x) == sorted(x)


def test_unknown_session_exits_2_with_the_known_names(capsys) -> None:
    assert main(["explain", B9, "nobody"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"citywatch: {B9}: no session 'nobody'")
    assert "known: " in err and "gc-canonical" in err and "gc-stale" in err and "w-1" not in err


def test_city_runs_one_tick_on_a_fresh_world(tmp_path: Path, capsys) -> None:
    city = write_city(tmp_path)
    assert main(["explain", str(city), "mayor", "--json"]) == 0
    x = json.loads(capsys.readouterr().out)
    assert x["target"]["kind"] == "city" and x["target"]["steps_run"] == 1 and x["target"]["tick"] == 1
    assert x["demand"]["source"] == "named-always" and x["lifecycle"]["wake_reason"] == "named-always"
    assert x["rules"][0]["rule"] == "shape.named"


def test_city_steps_tick_a_patrol_interval_apart(tmp_path: Path, capsys) -> None:
    city = write_city(tmp_path)
    assert main(["explain", str(tmp_path), "api/worker", "--json", "--steps", "3"]) == 0
    x = json.loads(capsys.readouterr().out)
    assert x["target"]["steps_run"] == 3 and x["target"]["now"] == "2026-01-01T00:01:00Z"
    assert x["demand"]["source"] == "min-fill" and x["alias"]["state"] == "claimed"
    # its dependency gets a floor session; the first tick minted it twice (the refresh pass could
    # not reuse the build's bead, not yet marked dependency_only), and the canonical alias stays
    # with the earlier bead, which explain names as the duplicate
    assert main(["explain", str(city), "api/db-1", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gc-2 (api/db-1) is not desired: an earlier dependency-floor bead for api/db")
    assert "minted gc-3, which is now the floor" in out
    assert main(["explain", str(city), "db-gc-3", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("db-gc-3 is desired (dependency-floor)")
    assert "api/worker depends_on api/db" in out


def test_bad_city_is_a_located_error(tmp_path: Path, capsys) -> None:
    city = write_city(tmp_path, "[workspace]\nname = \"x\"\n[[agent]]\nname = \"a\"\nmax_active_sessions = \"one\"\n")
    assert main(["explain", str(city), "a"]) == 2
    err = capsys.readouterr().err
    assert str(city) in err and "max_active_sessions" in err and "line 5" in err


def test_bad_scenario_is_a_located_error(tmp_path: Path, capsys) -> None:
    p = tmp_path / "s.toml"
    p.write_text('name = "x"\n[[city.agent]]\nname = "a"\n[[step]]\ndo = "tick"\nbogus = 1\n')
    assert main(["explain", str(p), "a"]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "bogus" in err


def test_missing_file_and_bad_steps(tmp_path: Path, capsys) -> None:
    assert main(["explain", str(tmp_path / "nope.toml"), "a"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["explain", B9, "gc-stale", "--steps", "7"]) == 2
    assert "has only 3 step(s)" in capsys.readouterr().err


def test_console_script_exit_codes() -> None:
    exe = Path(sys.executable).with_name("citywatch")
    ok = subprocess.run([str(exe), "explain", B9, "gc-canonical"], capture_output=True, text=True)
    assert ok.returncode == 0 and "is not desired" in ok.stdout and ok.stderr == ""
    bad = subprocess.run([str(exe), "explain", B9, "ghost"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "known:" in bad.stderr


FLAKY_CHECK = """\
    [workspace]
    name = "sc"

    [[agent]]
    name = "w"
    max_active_sessions = 3
    scale_check = "if [ -f ran ]; then echo garbage; else touch ran; echo 1; fi"
    """


def test_run_scale_checks_shows_the_partial_reason(tmp_path: Path, capsys) -> None:
    write_city(tmp_path, FLAKY_CHECK)
    # without the flag the command never runs and the value is the simulated one
    assert main(["explain", str(tmp_path), "w-1", "--steps", "2"]) == 2
    assert "known: (none" in capsys.readouterr().err and not (tmp_path / "ran").exists()
    # with it: tick 1 reads 1 (a session starts), tick 2 reads garbage (partial, the session is kept)
    assert main(["explain", str(tmp_path), "w-1", "--steps", "2", "--run-scale-checks", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["target"]["scale_checks"] == "run"
    assert d["demand"]["partial"] is True
    assert d["demand"]["partial_reason"] == 'output "garbage" is not an integer'
    assert d["demand"]["scale_check"] == {"source": "run", "value": "error", "ok": False, "tick": 2,
                                          "reason": 'output "garbage" is not an integer',
                                          "ran_at": "2026-01-01T00:00:30Z"}
    (tmp_path / "ran").unlink()
    assert main(["explain", str(tmp_path), "w-1", "--steps", "2", "--run-scale-checks"]) == 0
    out = capsys.readouterr().out
    assert "scale_checks run for real)" in out
    assert 'scale_check partial: output "garbage" is not an integer (ran for real at tick 2, ' in out


def test_run_scale_checks_names_the_failure_when_nothing_is_desired(tmp_path: Path, capsys) -> None:
    write_city(tmp_path, FLAKY_CHECK.replace("if [ -f ran ]; then echo garbage; else touch ran; echo 1; fi",
                                             "echo queue down >&2; exit 3"))
    assert main(["explain", str(tmp_path), "w-1", "--run-scale-checks", "--scale-check-timeout", "2s"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("demand read partial: w scale_check partial: exited with status 3: queue down "
                        "(ran for real at tick 1, 2026-01-01T00:00:00Z)\n")
    assert main(["explain", str(tmp_path), "w-1", "--run-scale-checks", "--scale-check-timeout", "soon"]) == 2
    assert "--scale-check-timeout" in capsys.readouterr().err


def test_a_start_candidate_left_by_the_wake_budget_still_shows_its_wake_reason(tmp_path: Path, capsys) -> None:
    # the wake decision's trace payload is only should_wake (as Go's); the reason a candidate that
    # did not start this tick would have woken for is the awake set's
    city = write_city(tmp_path, """
        [workspace]
        name = "harbor"
        [daemon]
        max_wakes_per_tick = 1
        [[agent]]
        name = "mayor"
        [[agent]]
        name = "deacon"
        [[named_session]]
        template = "mayor"
        mode = "always"
        [[named_session]]
        template = "deacon"
        mode = "always"
        """)
    seen = {}
    for who in ("mayor", "deacon"):
        assert main(["explain", str(city), who, "--json"]) == 0
        x = json.loads(capsys.readouterr().out)
        seen[who] = (x["lifecycle"]["wake_reason"], any(a.startswith("start") for a in x["lifecycle"]["last_step"]["actions"]))
    assert sorted(seen.values()) == [("named-always", False), ("named-always", True)]
