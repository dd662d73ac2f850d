"""The bad-input catalog: broken cities (tests/bad_input/config/<case>/) through `citywatch
config show --validate` (a validator error is bad input there, as a loader refusal is), broken scenarios (tests/bad_input/scenario/<case>.toml) through `citywatch
scenario run` and `scenario check`. Every case must exit as stated without a traceback, and its message must name
the exact place to fix: the file, the line (and column for TOML syntax) and the field path.

A case with exit 0 is a warning case: the city still loads, and `config show --json` lists the
warning at that place.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).parent / "bad_input"


@dataclass(frozen=True)
class Case:
    id: str
    file: str  # relative to the case directory (scenarios: the scenario file itself)
    line: int | None
    field: str = ""  # "" for a TOML syntax error (then col is given)
    col: int | None = None
    says: str = ""  # a part of the message that must appear
    exit: int = 2


CONFIG = [
    # ---- TOML syntax, at various positions
    Case("syntax-unclosed-header", "city.toml", 4, col=8, says="Expected ']]' at the end of an array declaration"),
    Case("syntax-missing-value", "city.toml", 3, col=22, says="parsing config: Invalid value"),
    Case("syntax-duplicate-key", "city.toml", 3, col=16, says="Cannot overwrite a value"),
    Case("syntax-unterminated-string", "city.toml", 2, col=15, says="Illegal character"),
    Case("syntax-unterminated-array", "city.toml", 4, col=1, says="at end of document"),
    Case("syntax-not-utf8", "city.toml", 3, col=19, says="file is not valid UTF-8 text"),
    Case("syntax-in-pack", "packs/gs/pack.toml", 4, col=8, says='city import "gs": parsing pack.toml'),
    Case("syntax-in-agent-toml", "packs/gs/agents/witness/agent.toml", 2, col=23, says="parsing agent.toml"),
    Case("syntax-in-fragment", "conf/agents.toml", 4, col=1, says='fragment "conf/agents.toml": parsing config'),
    Case("syntax-nesting-bomb", "city.toml", 3, col=2005, says="nested more than the allowed 400 levels"),
    # ---- wrong types for numeric, boolean and duration fields
    Case("type-max-string", "city.toml", 3, "agent[0].max_active_sessions", says='expected an integer, got string "2"'),
    Case("type-min-float", "city.toml", 3, "agent[0].min_active_sessions", says="expected an integer, got float 1.5"),
    Case("type-assigned-defer-bool", "city.toml", 3, "agent[0].assigned_work_defer_limit",
         says="expected an integer, got boolean true"),
    Case("type-suspended-string", "city.toml", 3, "agent[0].suspended", says='expected a boolean, got string "yes"'),
    Case("type-attach-int", "city.toml", 3, "agent[0].attach", says="expected a boolean, got integer 1"),
    Case("type-idle-timeout-int", "city.toml", 3, "agent[0].idle_timeout",
         says="expected a duration string (Go form"),
    Case("type-max-session-age-table", "city.toml", 3, "agent[0].max_session_age", says="got table { hours = 2 }"),
    Case("type-depends-on-string", "city.toml", 3, "agent[0].depends_on", says="expected an array of strings"),
    Case("type-depends-on-item", "city.toml", 3, "agent[0].depends_on[1]", says="expected a string, got integer 3"),
    Case("type-workspace-max", "city.toml", 3, "workspace.max_active_sessions", says="expected an integer"),
    Case("type-daemon-wakes", "city.toml", 3, "daemon.max_wakes_per_tick", says="got float 2.5"),
    Case("type-daemon-breaker", "city.toml", 2, "daemon.session_circuit_breaker", says="expected a boolean"),
    Case("type-daemon-patrol-int", "city.toml", 2, "daemon.patrol_interval", says="expected a duration string"),
    Case("type-rig-max", "city.toml", 3, "rigs[0].max_active_sessions", says="got boolean true"),
    Case("type-session-sleep-int", "city.toml", 2, "session_sleep.interactive_resume", says="got integer 30"),
    Case("type-named-mode-int", "city.toml", 6, "named_session[0].mode", says="expected a string"),
    Case("type-agent-not-array", "city.toml", 1, "agent", says="expected an array of tables ([[agent]])"),
    Case("type-agent-toml-max", "packs/gs/agents/polecat/agent.toml", 2, "max_active_sessions",
         says='city import "gs": expected an integer, got string "3"'),
    # ---- negative or impossible limits
    Case("limit-min-gt-max", "city.toml", 3, "agent[0].min_active_sessions",
         says='agent "w": min_active_sessions (4) must be <= max_active_sessions (2)'),
    Case("limit-max-below-unlimited", "city.toml", 3, "agent[0].max_active_sessions",
         says="max_active_sessions must be >= -1 (use -1 for unlimited)"),
    Case("limit-min-negative", "city.toml", 3, "agent[0].min_active_sessions", says="min_active_sessions must be >= 0"),
    # ---- names, duplicates, dependencies
    Case("dup-agent", "city.toml", 6, "agent[1].name", says='agent "api/w": duplicate name'),
    Case("name-agent-dot", "city.toml", 2, "agent[0].name", says="no spaces, slashes, or dots"),
    Case("name-agent-missing", "city.toml", 3, "agent[1].name", says="agent[1]: name is required"),
    Case("name-named-session", "city.toml", 5, "named_session[0].name", says='name "night shift" must match'),
    Case("named-template-slash", "city.toml", 4, "named_session[0].template",
         says='template "api/w" must match [a-zA-Z0-9][a-zA-Z0-9_-]* or binding.agent'),
    Case("named-bad-mode", "city.toml", 6, "named_session[0].mode",
         says='mode must be "on_demand", "always", or empty, got "eager"'),
    Case("named-always-idle-sleep", "city.toml", 7, "named_session[0].mode",
         says='mode "always" is incompatible with sleep_after_idle="30m" on template "w"'),
    Case("named-always-workspace-sleep", "city.toml", 9, "named_session[0].mode", says='sleep_after_idle="1h"'),
    Case("named-always-capacity", "city.toml", 11, "named_session[1].mode",
         says='mode "always" exceeds max_active_sessions capacity 1 on template "w"'),
    Case("named-duplicate", "city.toml", 5, "named_session[1]", says='named_session "w": duplicate identity'),
    Case("depends-unknown", "city.toml", 3, "agent[0].depends_on[0]", says='depends_on references unknown agent "b"'),
    Case("depends-self", "city.toml", 4, "agent[0].depends_on[0]", says="depends_on contains self-reference"),
    Case("depends-cycle", "city.toml", 9, "agent[2].depends_on[0]", says="dependency cycle detected (c -> a)"),
    Case("rig-duplicate", "city.toml", 6, "rigs[2].name", says='rig "api": duplicate name'),
    Case("rig-wildcard", "city.toml", 2, "rigs[0].name", says='name "*" is reserved'),
    Case("patch-unknown-agent", "city.toml", 3, "patches.agent[0]", says='agent "wx" not found in merged config'),
    Case("schema2-inline-agent", "city.toml", 4, "agent[0]", says="PackV1 config surfaces are no longer supported"),
    Case("provider-missing", "city.toml", 3, "agent[0].provider",
         says='provider catalog is missing referenced providers: agent "w": provider "claude"'),
    # ---- includes
    Case("include-missing", "city.toml", 1, "include[1]", says='loading fragment "conf/missing.toml": open '),
    Case("include-loop", "conf/a.toml", 1, "include", says="includes are not allowed in fragments"),
    Case("include-not-string", "city.toml", 1, "include[0]", says="expected a string, got integer 1"),
    # ---- packs and agent.toml
    Case("pack-dir-missing", "city.toml", 4, "rigs[0].imports.gs.source",
         says='rig "api" import "gs": pack directory'),
    Case("pack-toml-missing", "city.toml", 2, "imports.gs.source", says="loading pack.toml"),
    Case("pack-unknown-key", "packs/gs/pack.toml", 7, "named_session[0].modes",
         says='unknown field "named_session.modes" (did you mean "mode"?)'),
    Case("pack-no-name", "packs/gs/pack.toml", 1, "pack", says="[pack] name is required"),
    Case("pack-schema-too-new", "packs/gs/pack.toml", 3, "pack.schema", says="[pack] schema 3 not supported (max 2)"),
    Case("pack-import-no-source", "city.toml", 1, "imports.gs.source", says="imports.gs.source is required"),
    Case("pack-import-cycle", "packs/b/pack.toml", 5, "imports.a.source", says="cycle detected"),
    # ---- warnings: the city loads, the place is named
    Case("agent-toml-missing", "packs/gs/agents/witness", None, exit=0,
         says='agent directory "agents/witness" has no agent.toml'),
    Case("named-unknown-template", "city.toml", 5, "named_session[0].template", exit=0,
         says='backing template "mayor" not found after pack expansion; named session disabled'),
    Case("namepool-missing", "city.toml", 4, "agent[0].namepool", exit=0,
         says='namepool "names/polecats.txt" not found; names fall back to w-N'),
    Case("namepool-empty", "city.toml", 4, "agent[0].namepool", exit=0, says="has no names"),
    Case("namepool-binary", "city.toml", 4, "agent[0].namepool", exit=0, says="is a binary file"),
    Case("duration-idle-timeout", "city.toml", 4, "agent[0].idle_timeout", exit=0,
         says='agent "api/w" idle_timeout = "5 minutes" is not a valid duration: '
              'time: unknown unit " minutes" in duration "5 minutes"'),
    Case("duration-drain-timeout", "city.toml", 3, "agent[0].drain_timeout", exit=0,
         says='time: missing unit in duration "90"'),
    Case("duration-sleep-after-idle", "city.toml", 3, "agent[0].sleep_after_idle", exit=0,
         says='sleep_after_idle = "1d" is not a valid duration or "off": time: unknown unit "d" in duration "1d"'),
    Case("duration-rig-session-sleep", "city.toml", 4, "rigs[0].session_sleep.noninteractive", exit=0,
         says='rig "api" [session_sleep] noninteractive = "never" is not a valid duration or "off"'),
    Case("duration-pack-agent", "packs/gs/agents/dog/agent.toml", 2, "idle_timeout", exit=0,
         says='agent "gs.dog" idle_timeout = "2hours" is not a valid duration'),
    Case("unknown-city-key", "city.toml", 6, "agent[0].max_active_session", exit=0,
         says='unknown field "agent.max_active_session" (did you mean "max_active_sessions"?)'),
]

SCENARIO = [
    Case("scn-syntax", "", 11, col=11, says="parsing scenario: Illegal character"),
    Case("scn-not-utf8", "", 1, col=1, says="scenario is not UTF-8 text"),
    Case("scn-nesting-bomb", "", 2, col=405, says="nested more than the allowed 400 levels"),
    Case("scn-unknown-top-key", "", 3, "start_time", says='unknown key "start_time"'),
    Case("scn-unknown-step-key", "", 14, "step[0].repeat", says='unknown key "repeat"'),
    Case("scn-unknown-expect-key", "", 15, "expect[0].desird", says='unknown key "desird" (did you mean "desired"?)'),
    Case("scn-unknown-step-kind", "", 13, "step[1].do", says='unknown step "sleep"'),
    Case("scn-bad-advance-duration", "", 12, "step[0].by", says='invalid duration "5 minutes"'),
    Case("scn-bad-tick-every", "", 13, "step[0].every", says='invalid duration "30"'),
    Case("scn-bad-tick-count", "", 12, "step[0].count", says="count must be a positive integer"),
    Case("scn-bad-start", "", 2, "start", says='invalid time "yesterday"'),
    Case("scn-bad-semantics", "", 2, "semantics", says='got "pre-2000"'),
    Case("scn-duplicate-session-id", "", 16, "session[1].id", says='duplicate session id "gc-1"'),
    Case("scn-duplicate-work-id", "", 14, "work[1].id", says='duplicate work id "w-1"'),
    Case("scn-duplicate-runtime", "", 13, "runtime[1].name", says='duplicate runtime name "refinery-gc-1"'),
    Case("scn-step-unknown-template", "", 12, "step[0].template", says='unknown template "api/refinery-1"'),
    Case("scn-scale-check-unknown-template", "", 11, "scale_check.api/refinary",
         says='scale_check names unknown template "api/refinary"'),
    Case("scn-scale-check-bad-value", "", 11, "scale_check.api/refinery", says="must be an integer or \"error\""),
    Case("scn-scale-check-bad-output", "", 11, "scale_check.api/refinery",
         says="a simulated scale_check output is a table with one string key, output"),
    Case("scn-new-bead-ids-not-strings", "", 3, "new_bead_ids[1]", says="expected a string"),
    Case("scn-detached-probe-bad-answer", "", 3, "detached_probe.tmux:gascity:soak-loop",
         says='a detached probe answers one of alive, dead, error, got "maybe"'),
    Case("scn-set-detached-probe-bad-answer", "", 12, "step[0].answer",
         says='a detached probe answers one of alive, dead, error, got "gone"'),
    Case("scn-update-unknown-work", "", 15, "step[0].id", says='update_work names unknown work "w-2"'),
    Case("scn-fail-start-unknown-template", "", 12, "step[0].template",
         says='fail_start names unknown template "api/polecat"'),
    Case("scn-step-missing-name", "", 10, "step[0]", says='step "runtime_exit" needs "name"'),
    Case("scn-read-fault-message-partial", "", 12, "step[0].message",
         says='message is the error text of failing reads: it needs mode "error"'),
    Case("scn-metadata-not-string", "", 12, "session[0].metadata", says="metadata values must all be strings"),
    Case("scn-work-bad-status", "", 12, "work[0].status", says='got "done"'),
    Case("scn-expect-after-range", "", 14, "expect[0].after", says="between 0 and 1"),
    Case("scn-city-invalid", "", 8, "city.agent[0].min_active_sessions",
         says="min_active_sessions (2) must be <= max_active_sessions (1)"),
    Case("scn-city-unknown-key", "", 7, "city.agent[0].max_active_session", says='unknown field "agent.max_active_session"'),
    Case("scn-city-file-missing", "", 2, "city_file", says='city_file "cities/none/city.toml" not found'),
    Case("scn-city-and-file", "", 6, "city", says="exactly one of [city] or city_file is required"),
    Case("scn-edit-config-invalid", "", 19, "step[1].city.agent[0].max_active_sessions",
         says="max_active_sessions must be >= -1"),
]


def test_catalog_size_and_fixtures():
    assert len(CONFIG) + len(SCENARIO) >= 40
    on_disk = {p.name for p in (ROOT / "config").iterdir()} | {p.stem for p in (ROOT / "scenario").glob("*.toml")}
    assert on_disk == {c.id for c in CONFIG + SCENARIO}, "every fixture has a case and every case a fixture"


def expected_location(c: Case, file: Path) -> str:
    if not c.field:
        return f"{file}:{c.line}:{c.col}: "
    return f"{file}: {c.field}: "


def check_error(c: Case, err: str, file: Path) -> None:
    assert "Traceback" not in err
    first = err.strip().splitlines()
    assert len(first) == 1, err
    msg = first[0]
    assert msg.startswith("citywatch: " + expected_location(c, file)), msg
    if c.field:
        assert msg.endswith(f"(line {c.line})"), msg
    assert c.says in msg, msg


@pytest.mark.parametrize("c", CONFIG, ids=[c.id for c in CONFIG])
def test_config_case(c: Case, capsys):
    case_dir = ROOT / "config" / c.id
    rc = main(["config", "show", str(case_dir), "--json", "--validate"])
    out, err = capsys.readouterr()
    assert rc == c.exit, err
    if c.exit == 0:
        loc = c.file + (f":{c.line}" if c.line else "") + (f": {c.field}" if c.field else "")
        warnings = json.loads(out)["warnings"]
        assert any(w.startswith(loc + ": ") and c.says in w for w in warnings), warnings
        return
    assert out == ""
    check_error(c, err, case_dir / c.file)


@pytest.mark.parametrize("c", SCENARIO, ids=[c.id for c in SCENARIO])
def test_scenario_case(c: Case, capsys):
    path = ROOT / "scenario" / f"{c.id}.toml"
    rc = main(["scenario", "run", str(path), "--json"])
    out, err = capsys.readouterr()
    assert rc == c.exit and out == ""
    check_error(c, err, path)


@pytest.mark.parametrize("c", SCENARIO, ids=[c.id for c in SCENARIO])
def test_scenario_case_through_check(c: Case, capsys):
    """`scenario check` lists an invalid file as ERROR, the same located message as `scenario run`
    indented beside it, then the totals, and exits 2 (scenario-format.md: an invalid file is exit 2)."""
    path = ROOT / "scenario" / f"{c.id}.toml"
    rc = main(["scenario", "check", str(path)])
    out, err = capsys.readouterr()
    assert rc == c.exit and err == ""
    head, message, totals = out.splitlines()
    assert head == f"ERROR {path}"
    assert message.startswith("  ")
    check_error(c, "citywatch: " + message.strip(), path)
    assert totals.startswith("0 passed, 0 failed, 1 errors, 0 xfail in ")


FAILING = """name = "expects a desired session the city never has"
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
desired = ["nobody"]
"""

PASSING = FAILING.replace('"nobody"', '"mayor"').replace("never has", "has")


@pytest.mark.parametrize("files, rc", [
    (["pass"], 0),
    (["fail", "pass"], 1),
    (["invalid"], 2),
    (["fail", "invalid", "pass"], 2),
    (["invalid", "fail"], 2),
], ids=["pass", "fail", "invalid", "fail-invalid-pass", "invalid-first"])
def test_check_exits_2_on_any_invalid_file_else_1_on_a_failed_expectation(files, rc, tmp_path, capsys):
    (tmp_path / "pass.toml").write_text(PASSING)
    (tmp_path / "fail.toml").write_text(FAILING)
    invalid = ROOT / "scenario" / "scn-unknown-step-key.toml"
    paths = {"pass": str(tmp_path / "pass.toml"), "fail": str(tmp_path / "fail.toml"), "invalid": str(invalid)}
    assert main(["scenario", "check", *(paths[f] for f in files)]) == rc
    out, err = capsys.readouterr()
    lines = out.splitlines()
    for f in files:  # every file is still reported, in order, whatever came before it
        word = {"pass": "ok    ", "fail": "FAIL  ", "invalid": "ERROR "}[f]
        assert any(line.startswith(word + paths[f]) for line in lines), out
    assert err == ""
    if "invalid" in files:  # the reason sits under its file, not after every other line
        at = lines.index(f"ERROR {invalid}")
        assert lines[at + 1] == f'  {invalid}: step[0].repeat: unknown key "repeat" (line 14)'
    n = {k: files.count(k) for k in ("pass", "fail", "invalid")}
    assert lines[-1].startswith(f"{n['pass']} passed, {n['fail']} failed, {n['invalid']} errors, 0 xfail in ")


def test_no_traceback_from_a_real_process():
    """The catalog's worst inputs through the installed entry point, as an operator runs it."""
    repo = Path(__file__).resolve().parents[1]
    for argv in (["config", "show", str(ROOT / "config" / "syntax-not-utf8")],
                 ["config", "show", str(ROOT / "config" / "pack-import-cycle"), "--json"],
                 ["scenario", "run", str(ROOT / "scenario" / "scn-not-utf8.toml")],
                 ["scenario", "check", str(ROOT / "scenario" / "scn-not-utf8.toml"),
                  str(ROOT / "scenario" / "scn-syntax.toml")]):
        p = subprocess.run([sys.executable, "-m", "tui.cli", *argv], capture_output=True, text=True, cwd=repo)
        assert p.returncode == 2 and "Traceback" not in p.stderr + p.stdout
        if argv[1] == "check":  # each reason beside its file on stdout
            assert p.stderr == "" and p.stdout.count("ERROR ") == 2
        else:
            assert p.stderr.startswith("citywatch: ")
