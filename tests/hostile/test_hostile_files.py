"""Every file citywatch reads, replaced by something that is not a regular file of sane size: a
FIFO nobody writes to (a plain open blocks forever), /dev/zero (a plain read never ends), a
sparse file larger than any cap, a directory. Each command must finish in time, print no
traceback, and say which file it refused (exit 2), or warn and go on where the file is optional.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.hostile_kit import (
    CONFIG_FILES,
    HOSTILE_KINDS,
    SCENARIO,
    live_files,
    make_hostile,
    write_city,
    write_live_state,
)
from tui.cli import main

pytestmark = pytest.mark.timeout(30)

# What `config show` does when that file is hostile: refuse the city (2) or warn and load it (0).
CONFIG_OUTCOME = {"city.toml": 2, "conf/extra.toml": 2, "packs/gs/pack.toml": 2,
                  "packs/gs/agents/polecat/agent.toml": 2, "names.txt": 0, ".gc/site.toml": 2}


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
@pytest.mark.parametrize("rel", sorted(CONFIG_FILES))
def test_config_show_refuses_a_hostile_config_file(tmp_path: Path, rel: str, kind: str, capsys):
    root = write_city(tmp_path / "city")
    assert main(["config", "show", str(root), "--json"]) == 0  # the city is valid as written
    capsys.readouterr()
    make_hostile(root / rel, kind)
    rc = main(["config", "show", str(root), "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if kind == "directory" and rel in ("packs/gs/agents/polecat/agent.toml", ".gc/site.toml"):
        assert rc == 0  # a directory where an optional file would be: no such file, as Gas City sees it
        return
    assert rc == CONFIG_OUTCOME[rel], err
    name = Path(rel).name
    if rc == 2:
        assert err.startswith("citywatch: ") and name in err, err
        assert any(w in err for w in ("FIFO", "character device", "larger than", "directory")), err
    else:
        warnings = json.loads(out)["warnings"]
        assert any(name in w or "agents/polecat" in w for w in warnings), warnings


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
@pytest.mark.parametrize("which", ["scenario", "city_file"])
def test_scenario_commands_refuse_a_hostile_file(tmp_path: Path, which: str, kind: str, capsys):
    write_city(tmp_path / "city")
    scn = tmp_path / "case.toml"
    scn.write_text(SCENARIO)
    assert main(["scenario", "check", str(scn)]) == 0
    capsys.readouterr()
    make_hostile(scn if which == "scenario" else tmp_path / "city" / "city.toml", kind)
    for argv in (["scenario", "run", str(scn), "--json"], ["scenario", "check", str(scn)],
                 ["explain", str(scn), "gc-1"]):
        rc = main(argv)
        out, err = capsys.readouterr()
        said = out + err  # `scenario check` reports an invalid file beside its name
        assert rc == 2 and "Traceback" not in said, (argv, said)
        assert any(w in said for w in ("FIFO", "character device", "larger than", "directory")), (argv, said)


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_attach_refuses_a_hostile_settings_file(tmp_path: Path, kind: str, capsys):
    root = write_city(tmp_path / "city")
    settings = tmp_path / "citywatch.toml"
    make_hostile(settings, kind)
    rc = main(["attach", str(root), "--json", "--settings", str(settings), "--tmux-socket", "/nonexistent/sock"])
    _, err = capsys.readouterr()
    assert rc == 2 and err.startswith(f"citywatch: {settings}: cannot read the settings file"), err


LIVE = ("city.toml", ".gc/site.toml", "beads.json", "events.jsonl", "head.json", "segment")


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
@pytest.mark.parametrize("which", LIVE)
def test_attach_reads_around_a_hostile_live_file(tmp_path: Path, which: str, kind: str, capsys):
    """Attach shows what it can and names the file it could not read."""
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    files = {**live_files(root), "city.toml": root / "city.toml", ".gc/site.toml": root / ".gc" / "site.toml"}
    make_hostile(files[which], kind)
    rc = main(["attach", str(root), "--json", "--tmux-socket", "/nonexistent/sock", "--now", "2026-06-01T12:00:00Z"])
    out, err = capsys.readouterr()
    assert rc == 0 and "Traceback" not in err, err
    snap = json.loads(out)
    text = json.dumps(snap["warnings"])
    if (kind, which) in (("directory", "events.jsonl"), ("oversized", "events.jsonl")):
        return  # nothing to read where the log should be; a log may be huge: only its tail is read
    assert any(s in text for s in ("FIFO", "character device", "larger than", "directory", "not a regular",
                                   "is a directory")), snap["warnings"]


def test_a_city_asking_for_more_sessions_than_citywatch_models_is_refused_where_it_asks(tmp_path: Path, capsys):
    root = tmp_path / "big"
    root.mkdir()
    (root / "city.toml").write_text('[workspace]\nname = "big"\n\n[[agent]]\nname = "w"\nmax_active_sessions = -1\n'
                                    "min_active_sessions = 1000000000\n")
    assert main(["config", "show", str(root), "--validate"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"citywatch: {root / 'city.toml'}: agent[0].min_active_sessions: ") and "(line 7)" in err


@pytest.mark.parametrize("value", ["99999999999h", "2562047h47m16.854775807s", "2562047h47m16.854775808s"])
def test_a_duration_at_or_beyond_gos_range_never_stalls_a_tick(tmp_path: Path, value: str, capsys):
    """Beyond time.Duration's range Go refuses the value (a warning here; strict mode refuses
    the city); at the very edge, from the latest start a scenario may have, every deadline still
    fits: no tick fails."""
    scn = tmp_path / "case.toml"
    scn.write_text(f'name = "edge"\nstart = "2262-04-10T00:00:00Z"\n[city.workspace]\nname = "edge"\n'
                   f'[[city.agent]]\nname = "w"\nmax_active_sessions = 2\nmin_active_sessions = 1\n'
                   f'idle_timeout = "{value}"\nmax_session_age = "{value}"\n'
                   '[[step]]\ndo = "tick"\ncount = 3\n')
    assert main(["scenario", "run", str(scn), "--json"]) == 0
    out, err = capsys.readouterr()
    states = [json.loads(line) for line in out.splitlines()]
    assert len(states) == 2 and all(not s.get("error") for s in states), [s.get("error") for s in states]
    assert "Traceback" not in err
