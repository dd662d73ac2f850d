"""citywatch in scripts and CI: the exit codes, the output forms and the shared options of every
command, through the installed console script as a shell runs it."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gascity_fixtures import CITIES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "attach"))
from citykit import NOW, build_city  # noqa: E402

CONSOLE = Path(sys.executable).parent / "citywatch"
NOW_ARG = ["--now", NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]

PASSING = """name = "a named session is desired"
[city.workspace]
name = "t"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "always"
[[step]]
do = "tick"
[[expect]]
after = 1
desired = ["mayor"]
"""
FAILING = PASSING.replace('desired = ["mayor"]', 'desired = ["nobody"]').replace("is desired", "fails")
INVALID = PASSING.replace('do = "tick"', 'do = "tick"\nrepeat = 2')


def cw(*argv: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    cmd = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "tui.cli"]
    return subprocess.run(cmd + list(argv), capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Path:
    kit = build_city(tmp_path_factory.mktemp("live"))
    return kit.root


def socket(tmp_path: Path) -> list[str]:
    return ["--tmux-socket", str(tmp_path / "no-such-socket")]


# ------------------------------------------------------------------ exit codes
def test_exit_0_when_done_and_2_on_usage_or_bad_input(tmp_path):
    assert cw("config", "show", str(CITIES / "swarm")).returncode == 0
    bad = tmp_path / "city.toml"
    bad.write_text("[workspace\nname = 1\n")
    r = cw("config", "show", str(bad))
    assert r.returncode == 2 and r.stderr.startswith(f"citywatch: {bad}:1:")
    assert cw("config", "show").returncode == 2  # usage: argparse
    assert cw("config", "show", str(CITIES / "swarm"), "--no-such-flag").returncode == 2
    assert cw("explain", str(CITIES / "swarm"), "x", "--scale-check-timeout", "soon", "--run-scale-checks"
              ).returncode == 2


def test_attach_refuses_a_folder_that_is_not_a_city(tmp_path):
    (tmp_path / "empty").mkdir()
    r = cw("attach", str(tmp_path / "empty"))
    assert r.returncode == 2 and r.stdout == ""
    assert "not a Gas City city" in r.stderr and "city.toml and .gc/" in r.stderr
    (tmp_path / "f").write_text("")
    assert cw("attach", str(tmp_path / "f")).returncode == 2
    assert cw("attach", str(tmp_path / "nowhere")).returncode == 2


def test_attach_exits_3_when_bd_cannot_give_the_beads(live, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "bd").write_text("#!/bin/sh\necho 'bd: database is locked' >&2\nexit 1\n")
    (bindir / "bd").chmod(0o755)
    r = cw("attach", str(live), "--bd", *socket(tmp_path), *NOW_ARG, env={"PATH": f"{bindir}:{os.environ['PATH']}"})
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith("citywatch: --bd: the session beads could not be read")


def test_attach_check_is_a_monitoring_probe(live, tmp_path):
    r = cw("attach", str(live), "--check", *socket(tmp_path), *NOW_ARG)
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines and all(ln.startswith("ALARM ") for ln in lines)
    assert any(ln.startswith("ALARM start_pending gc-3") or "start_pending" in ln for ln in lines)
    j = cw("attach", str(live), "--check", "--json", *socket(tmp_path), *NOW_ARG)
    doc = json.loads(j.stdout)
    assert j.returncode == 1 and doc["ok"] is False and doc["schema_version"] == 1
    assert len(doc["alarms"]) == len(lines)
    # The same city with thresholds it stays within: no alarm, exit 0, one OK line.
    calm = cw("attach", str(live), "--check", *socket(tmp_path), *NOW_ARG, "--alarm", "alias_conflict_count=100",
              "--alarm", "alias_conflict_rises=100", "--alarm", "start_pending_timeout=24h",
              "--alarm", "wakes_per_hour=1000", "--alarm", "idle_spawns_per_hour=1000",
              "--alarm", "holds=false")  # the fixture's quarantined bead alarms unless told not to
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert calm.stdout.splitlines() == [f"OK city fixture: no alarm active (as of {NOW_ARG[1]})"]


def test_attach_text_shows_durations_and_holders_as_the_app_does(live, tmp_path):
    r = cw("attach", str(live), *socket(tmp_path), *NOW_ARG)
    assert r.returncode == 0
    assert "held by gc-1" in r.stdout or "held by nobody now" in r.stdout
    assert "held by ?" not in r.stdout
    alarm = next(ln for ln in r.stdout.splitlines() if "[start_pending]" in ln)
    assert "(20m0s; alarm after 5m0s)" in alarm  # Go's Duration.String, not 1200s


def test_attach_watch_streams_json_lines_until_interrupted(live, tmp_path):
    cmd = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "tui.cli"]
    p = subprocess.Popen(cmd + ["attach", str(live), "--watch", "--json", "--interval", "1s", *socket(tmp_path),
                                *NOW_ARG], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        first = json.loads(_line(p))
        assert first["schema_version"] == 1 and first["city"]["name"] == "fixture"
        events = live / ".gc" / "events.jsonl"
        seq = max(e["seq"] for e in first["events"]) + 1
        with events.open("a") as f:  # the controller writes an event: the stream shows it
            f.write(json.dumps({"seq": seq, "type": "session.woke", "ts": "2026-06-01T12:00:00Z",
                                "actor": "gc", "subject": "gc-1", "message": "woke"}) + "\n")
        second = json.loads(_line(p))
        assert seq in [e["seq"] for e in second["events"]]
        p.send_signal(signal.SIGINT)
        # communicate drains both pipes while waiting: a snapshot still being written into a full
        # pipe would otherwise hold the process past the interrupt.
        _, err = p.communicate(timeout=60)
        assert p.returncode == 130
        assert "Traceback" not in err
    finally:
        p.kill()


def _line(p: subprocess.Popen, timeout: float = 60.0) -> str:
    """The next line the process prints; fails the test if none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], deadline - time.monotonic())
        if ready:
            line = p.stdout.readline()
            assert line, "the stream ended"
            return line
    raise AssertionError("no line within the timeout")


# ------------------------------------------------------------------ scenario check
def test_scenario_check_prints_totals_json_and_junit(tmp_path):
    for name, text in (("pass.toml", PASSING), ("fail.toml", FAILING), ("bad.toml", INVALID)):
        (tmp_path / name).write_text(text)
    files = [str(tmp_path / n) for n in ("pass.toml", "fail.toml")]
    r = cw("scenario", "check", *files, "--junit", str(tmp_path / "report.xml"))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"ok    {files[0]}") and lines[1].startswith(f"FAIL  {files[1]}")
    assert lines[2].startswith("  - expect[0] after step 1: desired identities")
    assert lines[-1].startswith("1 passed, 1 failed, 0 errors, 0 xfail in ")
    suite = ET.parse(tmp_path / "report.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["fail.toml"].find("failure") is not None and cases["pass.toml"].find("failure") is None
    j = cw("scenario", "check", *files, str(tmp_path / "bad.toml"), "--json")
    doc = json.loads(j.stdout)
    assert j.returncode == 2 and doc["schema_version"] == 1
    assert doc["totals"] | {"seconds": 0} == {"passed": 1, "failed": 1, "error": 1, "xfail": 0, "xpass": 0,
                                              "files": 3, "seconds": 0}
    assert [x["status"] for x in doc["results"]] == ["passed", "failed", "error"]
    assert 'unknown key "repeat"' in doc["results"][2]["error"]
    q = cw("scenario", "check", *files, "--quiet")
    assert not any(ln.startswith("ok ") for ln in q.stdout.splitlines())


def test_the_whole_catalog_checks_in_one_command_with_a_junit_report(tmp_path):
    files = sorted(str(p) for p in (ROOT / "tests" / "scenarios").glob("*/*.toml"))
    r = cw("scenario", "check", "--junit", str(tmp_path / "r.xml"), "-q", *files)
    assert r.returncode == 0, r.stdout[-2000:]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(files) and suite.get("failures") == "0"


# ------------------------------------------------------------------ shared options, help, completion
def _parsers():
    from tui.cli import app_parser, build_parser

    top = build_parser()
    subs = next(a for a in top._actions if a.dest == "cmd").choices
    return app_parser(), subs


@pytest.mark.parametrize("command", ["app", "scenario", "config", "explain", "attach"])
def test_every_command_that_loads_a_city_takes_the_same_city_options(command):
    app, subs = _parsers()
    parser = app if command == "app" else subs[command]
    flags = {s for a in parser._actions for s in a.option_strings}
    assert {"--packs", "--semantics", "--run-scale-checks", "--scale-check-timeout"} <= flags


def test_every_argument_has_help_text():
    app, subs = _parsers()
    for name, parser in [("app", app), *subs.items()]:
        for a in parser._actions:
            if a.dest in ("help", "cmd"):
                continue
            assert a.help, f"{name}: {a.option_strings or a.dest} has no help"


def test_explain_takes_packs_like_the_other_commands(tmp_path):
    packs = tmp_path / "packs" / "extra"
    packs.mkdir(parents=True)
    (packs / "pack.toml").write_text('[pack]\nname = "extra"\nschema = 2\n[[agent]]\nname = "helper"\n'
                                     'max_active_sessions = 1\n[[named_session]]\ntemplate = "helper"\n'
                                     'mode = "always"\n')
    (tmp_path / "city.toml").write_text('[workspace]\nname = "c"\n[imports.extra]\n'
                                        'source = "https://example.com/packs.git//extra"\n')
    r = cw("explain", str(tmp_path), "extra.helper", "--packs", str(tmp_path / "packs"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["found"] is True
    assert cw("explain", str(tmp_path), "extra.helper").returncode == 2  # without it, no such session


def test_version_help_and_completion():
    assert cw("--version").stdout.strip().startswith("citywatch ")
    h = cw("help", "attach")
    assert h.returncode == 0 and "--check" in h.stdout and "exit codes" in h.stdout
    assert "Open the citywatch app" in cw("help").stdout
    app_help = cw("--help").stdout
    for command in ("scenario", "config", "explain", "bench", "attach", "help", "completion"):
        assert any(ln.split()[:1] == [command] for ln in app_help.splitlines()), command
    for shell, marker in (("bash", "complete "), ("zsh", "compdef"), ("fish", "complete --command citywatch")):
        r = cw("completion", shell)
        assert r.returncode == 0 and marker in r.stdout and "citywatch" in r.stdout, shell


def test_completion_offers_commands_and_their_options():
    """As a shell asks: argcomplete's environment, the answer on file descriptor 8."""
    cmd = [str(CONSOLE)] if CONSOLE.exists() else [sys.executable, "-m", "tui.cli"]

    def complete(line: str) -> list[str]:
        env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_TYPE": "9",
               "COMP_LINE": line, "COMP_POINT": str(len(line))}
        r = subprocess.run(["bash", "-c", 'exec "$@" 8>&1 9>/dev/null >/dev/null', "_", *cmd], env=env,
                           capture_output=True, text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
        return [w.strip() for w in r.stdout.split("\n")]

    assert "scenario" in complete("citywatch sc")
    assert "--junit" in complete("citywatch scenario check --ju")
    assert "--packs" in complete("citywatch explain --pa")
    assert "--attach" in complete("citywatch --att")


def test_json_documents_carry_a_schema_version(live, tmp_path):
    docs = [cw("config", "show", str(CITIES / "swarm"), "--json"),
            cw("attach", str(live), "--json", *socket(tmp_path), *NOW_ARG),
            cw("bench", "--size", "S", "--ticks", "1", "--no-ui", "--json")]
    for r in docs:
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["schema_version"] == 1
