"""Control and bidirectional characters in names from a config or a live city never reach the
terminal raw: every output (config show, scenario run, explain, attach, error messages, the
app's banner, status line, tables, Why and Events) shows them escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import city_app

from tests.hostile.hostile_kit import write_city, write_live_state
from tui.cli import main

pytestmark = pytest.mark.timeout(60)

# ESC starting an OSC title sequence, a CSI clear-screen, a C1 CSI, a right-to-left override.
NASTY = ["\x1b]0;pwned\x07", "\x1b[2J", "\x9b31m", "\u202e", "\u2066", "\r"]
RAW = [ch for s in NASTY for ch in s if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ord(ch) >= 0x2000]


def toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string, escapes included


def raw_in(text: str) -> list[str]:
    return sorted({repr(ch) for ch in text if ch in RAW})


def nasty_city(root: Path) -> Path:
    root.mkdir(parents=True)
    name = "rig" + "".join(NASTY) + "x"
    (root / "city.toml").write_text(
        f'[workspace]\nname = {toml_str("city" + NASTY[0])}\n\n'
        f'[[agent]]\nname = "w"\ndir = {toml_str(name)}\nmax_active_sessions = 2\nnamepool = "names.txt"\n'
        f'description = {toml_str(NASTY[2])}\n\n[[rigs]]\nname = {toml_str(name)}\n')
    (root / "names.txt").write_text("ace" + NASTY[1] + "\nbob" + NASTY[3] + "\n")
    (root / ".gc").mkdir()
    (root / ".gc" / "site.toml").write_text(f'[[rig]]\nname = {toml_str(name)}\npath = {toml_str(str(root))}\n')
    return root


@pytest.mark.parametrize("json_out", [False, True])
def test_config_show_escapes_names(tmp_path: Path, json_out: bool, capsys):
    root = nasty_city(tmp_path / "c")
    assert main(["config", "show", str(root), *(["--json"] if json_out else [])]) == 0
    out, err = capsys.readouterr()
    assert raw_in(out + err) == []
    assert "\\x1b]0;pwned\\x07" in out or "\\u001b]0;pwned\\u0007" in out
    if json_out:
        assert json.loads(out)["city"]  # still valid JSON


def test_error_messages_escape_names(tmp_path: Path, capsys):
    root = tmp_path / "c"
    root.mkdir()
    (root / "city.toml").write_text(f'[[agent]]\nname = {toml_str("w" + "".join(NASTY))}\n')
    assert main(["config", "show", str(root), "--validate"]) == 2
    out, err = capsys.readouterr()
    assert raw_in(out + err) == [] and "\\x1b" in err


def test_scenario_run_and_explain_escape_names(tmp_path: Path, capsys):
    nasty_city(tmp_path / "city")
    scn = tmp_path / "case.toml"
    scn.write_text('name = "nasty"\ncity_file = "city/city.toml"\n[[step]]\ndo = "tick"\n')
    for argv in (["scenario", "run", str(scn)], ["scenario", "run", str(scn), "--json"],
                 ["explain", str(scn), "gc-1"], ["explain", str(scn), "gc-1", "--json"]):
        main(argv)
        out, err = capsys.readouterr()
        assert raw_in(out + err) == [], argv


@pytest.mark.parametrize("json_out", [False, True])
def test_attach_escapes_what_a_live_city_holds(tmp_path: Path, json_out: bool, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    beads = root / ".gc" / "beads.json"
    data = json.loads(beads.read_text())
    data["beads"][0]["id"] = "gc-1" + NASTY[0]
    data["beads"][0]["metadata"]["session_name"] = "worker" + NASTY[3]
    data["beads"][0]["title"] = NASTY[2]
    beads.write_text(json.dumps(data))
    events = root / ".gc" / "events.jsonl"
    events.write_text(events.read_text() + json.dumps({"seq": 2, "type": "session.woke" + NASTY[1],
                                                       "subject": NASTY[4], "ts": "2026-06-01T11:59:00Z"}) + "\n")
    argv = ["attach", str(root), "--tmux-socket", "/nonexistent/sock", "--now", "2026-06-01T12:00:00Z"]
    assert main(argv + (["--json"] if json_out else [])) == 0
    out, err = capsys.readouterr()
    assert raw_in(out + err) == []


async def test_the_app_shows_names_escaped(tmp_path: Path):
    """Every panel, the status line and a banner naming the bad name: the screen (as exported)
    holds the escapes and no raw control or bidi character."""
    from tui.widgets.status import Banner

    root = nasty_city(tmp_path / "c")
    app = city_app(root / "city.toml")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete([w for w in app.workers if w.group != "config-watch"])
        app.query_one(Banner).show_error([f"city.toml: agent[0].name: bad name {NASTY[0]}"], "abc")
        await pilot.pause()
        screen = app.export_screenshot()
        assert raw_in(screen) == []
        assert "pwned" in screen and "\\x1b" in screen.replace("&#92;", "\\")
        assert "bad name" in str(app.query_one(Banner).content)  # the banner is not blanked


async def test_the_attach_app_shows_live_names_escaped(tmp_path: Path):
    from core.attach.session import AttachOptions, AttachSession
    from tui.attach_app import AttachApp

    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    beads = root / ".gc" / "beads.json"
    data = json.loads(beads.read_text())
    data["beads"][0]["metadata"]["session_name"] = "worker" + NASTY[0] + NASTY[3]
    beads.write_text(json.dumps(data))
    events = root / ".gc" / "events.jsonl"
    events.write_text(events.read_text() + json.dumps({"seq": 2, "type": "session.woke", "subject": NASTY[1],
                                                       "ts": "2026-06-01T11:59:00Z"}) + "\n")
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-socket"))
    app = AttachApp(AttachSession.open(str(root), opts), watch=False, runtime_interval=0)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.export_screenshot()
        assert raw_in(screen) == [] and "pwned" in screen
