"""Each attach reader on Gas City's real fixture files and on damaged input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from citykit import (
    BD_CORPUS,
    FIXTURE_BEADS,
    FIXTURE_EVENTS,
    NOW,
    REAL_STATE,
    beads_json,
    event_lines,
    session_events,
)

from core.attach.bd import BD_ARGS, bd_rows, read_bd_sessions
from core.attach.beads_source import BeadsFile, decode_beads, is_ready, parse_file_store
from core.attach.city import resolve_layout
from core.attach.commands import RefusedCommand, check_allowed, run_listing
from core.attach.events import EventTail, event_refs
from core.attach.tmux import TmuxReader, parse_environment

# ------------------------------------------------------------------ beads


def test_the_real_file_store_fixture_decodes() -> None:
    bs = parse_file_store(json.loads(FIXTURE_BEADS.read_text()), str(FIXTURE_BEADS))
    assert bs.warnings == [] and bs.next_seq == 200
    assert [b.id for b in bs.beads][:3] == ["run-anchor", "run-anchor.preflight", "run-anchor.review"]
    assert bs.sessions() == []
    pre = next(b for b in bs.beads if b.id == "run-anchor.preflight")
    assert (pre.status, pre.assignee, pre.metadata["gc.step_id"]) == ("in_progress", "builder", "preflight")


def test_the_real_api_bead_fixture_decodes_and_folds_statuses() -> None:
    rows = json.loads((REAL_STATE / "internal__runproj__testdata__beads_fixture.json").read_text())
    beads, warns = decode_beads(rows, "beads", "fixture")
    assert warns == [] and len(beads) == len(rows)
    latch = next(b for b in beads if b.id == "dt-latch1")
    assert latch.status == "open"  # bd's "blocked" folds into open, as gc does
    assert next(b for b in beads if b.id == "dt-adopt1").assignee == "polecat-1"


def test_session_beads_coerce_non_string_metadata_like_gc() -> None:
    bs = parse_file_store(json.loads(beads_json()), "beads.json")
    gc1 = next(b for b in bs.sessions() if b.id == "gc-1")
    assert gc1.metadata["pool_managed"] == "true" and gc1.metadata["pool_slot"] == "1"
    assert {b.id for b in bs.sessions()} == {"gc-1", "gc-2", "gc-3", "gc-4", "gc-5", "gc-6"}
    assert next(b for b in bs.sessions() if b.id == "gc-6").status == "closed"


def test_ready_follows_gcs_filter() -> None:
    rows = [
        {"id": "a", "status": "open", "issue_type": "task"},
        {"id": "b", "status": "open", "issue_type": "task", "dependencies": [{"depends_on_id": "a", "type": "blocks"}]},
        {"id": "c", "status": "open", "issue_type": "task", "dependencies": [{"depends_on_id": "x", "type": "relates-to"}]},
        {"id": "d", "status": "open", "issue_type": "molecule"},
        {"id": "e", "status": "open", "issue_type": "task", "defer_until": "2026-06-02T00:00:00Z"},
        {"id": "f", "status": "open", "issue_type": "task", "is_blocked": True},
        {"id": "g", "status": "in_progress", "issue_type": "task"},
    ]
    beads, _ = decode_beads(rows, "beads", "x")
    status = {b.id: b.status for b in beads}
    assert [b.id for b in beads if is_ready(b, status, NOW)] == ["a", "c"]
    status["a"] = "closed"
    assert is_ready(beads[1], status, NOW)


def test_beads_file_rereads_on_change_and_keeps_the_last_good_read_on_bad_json(tmp_path: Path) -> None:
    p = tmp_path / "beads.json"
    p.write_bytes(beads_json())
    f = BeadsFile(str(p))
    assert f.poll() == (True, [])
    assert f.poll() == (False, [])
    p.write_text('{"seq": 3,\n "beads": [\n  {"id": "x",}\n ]}')
    changed, warns = f.poll()
    assert not changed and [w.code for w in warns] == ["bad_json"]
    assert warns[0].line == 3 and "keeping the previous read" in warns[0].message
    assert len(f.current.sessions()) == 6
    p.write_text(json.dumps({"seq": 1, "beads": [{"id": "gc-9", "issue_type": "session"}, {"title": "no id"}]}))
    changed, warns = f.poll()
    assert changed and [b.id for b in f.current.beads] == ["gc-9"] and [w.code for w in warns] == ["bad_bead"]
    p.unlink()
    assert f.poll() == (True, []) and f.current.beads == [] and not f.exists


# ------------------------------------------------------------------ bd


def test_bd_output_shapes_flat_issues_and_v2_envelope() -> None:
    flat = (BD_CORPUS / "list.json").read_text()
    rows = json.loads(flat)
    for text in (flat, json.dumps({"issues": rows}), json.dumps({"schema_version": 1, "data": rows}),
                 "bd: warning: something\n" + flat):
        got, why = bd_rows(text)
        assert why == "" and [r["id"] for r in got] == ["corpus-dep", "corpus-root"]
    got, why = bd_rows((BD_CORPUS / "error.json").read_text())
    assert got is None and "no issues found matching the provided IDs" in why
    assert bd_rows("None")[0] is None


@pytest.fixture
def fake_bd(tmp_path: Path) -> Path:
    """A `bd` that records its argv and env, then prints $FAKE_BD_OUT (or sleeps / fails)."""
    d = tmp_path / "bin"
    d.mkdir()
    script = d / "bd"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$FAKE_BD_LOG"\necho "BACKUP=$BD_BACKUP_ENABLED" >> "$FAKE_BD_LOG"\n'
                      'pwd >> "$FAKE_BD_LOG"\n[ -n "$FAKE_BD_SLEEP" ] && sleep "$FAKE_BD_SLEEP"\n'
                      'cat "$FAKE_BD_OUT"\nexit "${FAKE_BD_EXIT:-0}"\n')
    script.chmod(0o755)
    return script


def test_bd_listing_runs_the_read_only_command_and_reads_each_shape(fake_bd: Path, tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "bd.log"
    city = tmp_path / "city"
    city.mkdir()
    monkeypatch.setenv("FAKE_BD_LOG", str(log))
    rows = json.loads(beads_json())["beads"][-6:]  # the session beads, bd-shaped
    for shape in (rows, {"issues": rows}, {"schema_version": 1, "data": rows}):
        out = tmp_path / "out.json"
        out.write_text(json.dumps(shape))
        monkeypatch.setenv("FAKE_BD_OUT", str(out))
        bs = read_bd_sessions(str(city), bd=str(fake_bd))
        assert bs.warnings == [] and [b.id for b in bs.sessions()] == [r["id"] for r in rows]
    argv_env = log.read_text().splitlines()
    assert argv_env[:len(BD_ARGS)] == BD_ARGS
    assert argv_env[len(BD_ARGS):] == ["BACKUP=false", str(city)]


def test_bd_errors_timeouts_and_absence_are_warnings(fake_bd: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_BD_LOG", str(tmp_path / "bd.log"))
    monkeypatch.setenv("FAKE_BD_OUT", str(BD_CORPUS / "error.json"))
    monkeypatch.setenv("FAKE_BD_EXIT", "1")
    bs = read_bd_sessions(str(tmp_path), bd=str(fake_bd))
    assert bs.beads == [] and "no issues found" in bs.warnings[0].message
    monkeypatch.setenv("FAKE_BD_EXIT", "0")
    monkeypatch.setenv("FAKE_BD_SLEEP", "3")
    bs = read_bd_sessions(str(tmp_path), bd=str(fake_bd), timeout=0.3)
    assert "did not answer within 0.3s" in bs.warnings[0].message
    bs = read_bd_sessions(str(tmp_path), bd=str(tmp_path / "nowhere" / "bd"))
    assert "not installed" in bs.warnings[0].message


@pytest.mark.parametrize("argv", [
    ["tmux", "-L", "x", "kill-server"], ["tmux", "-L", "x", "send-keys", "-t", "=a", "q"],
    ["tmux", "list-sessions"], ["bd", "create", "x"], ["bd", "list", "--json"], ["gc", "status"], ["rm", "-rf", "/"],
])
def test_only_read_only_listings_may_run(argv: list[str]) -> None:
    with pytest.raises(RefusedCommand):
        check_allowed(argv)
    with pytest.raises(RefusedCommand):
        run_listing(argv, timeout=1)


# ------------------------------------------------------------------ tmux


def test_environment_parsing_skips_removed_keys() -> None:
    assert parse_environment("GC_SESSION_ID=gc-1\n-GC_DRAIN\nGC_ALIAS=a=b\n") == {"GC_SESSION_ID": "gc-1", "GC_ALIAS": "a=b"}


def test_missing_tmux_or_server_is_reported_not_raised(tmp_path: Path) -> None:
    missing = TmuxReader(str(tmp_path / "sock"), tmux=str(tmp_path / "nowhere" / "tmux")).poll()
    assert not missing.observable and missing.warnings[0].code == "tmux_unavailable"
    if shutil.which("tmux"):
        none = TmuxReader(str(tmp_path / "sock")).poll()
        assert none.observable and not none.server_running and none.sessions == [] and "no tmux server" in none.note


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_tmux_listing_reads_sessions_env_and_dead_panes(tmp_path: Path) -> None:
    sock = str(tmp_path / "s")
    base = ["tmux", "-S", sock]
    try:
        subprocess.run(base + ["new-session", "-d", "-s", "worker-gc-1", "-e", "GC_SESSION_ID=gc-1", "-e",
                               "GC_TEMPLATE=fixture/worker", "-e", "GC_INSTANCE_TOKEN=tok-1", "sleep 60"], check=True)
        subprocess.run(base + ["new-session", "-d", "-s", "mayor", "-e", "GC_SESSION_ID=gc-4", "true"], check=True)
        for _ in range(100):  # mayor's pane must be gone before remain-on-exit could keep it
            if subprocess.run(base + ["has-session", "-t", "=mayor"], capture_output=True).returncode != 0:
                break
            subprocess.run(["sleep", "0.05"])
        subprocess.run(base + ["set-option", "-g", "remain-on-exit", "on"], check=True)
        subprocess.run(base + ["new-session", "-d", "-s", "zombie", "true"], check=True)
        subprocess.run(base + ["set-environment", "-t", "=worker-gc-1", "GC_DRAIN", "1"], check=True)
        for _ in range(50):  # let the short-lived pane exit
            panes = subprocess.run(base + ["list-panes", "-a", "-F", "#{session_name} #{pane_dead}"],
                                   capture_output=True, text=True).stdout
            if "zombie 1" in panes:
                break
            subprocess.run(["sleep", "0.05"])
        listing = TmuxReader(sock).poll()
        assert listing.observable and listing.server_running and listing.warnings == []
        by = {s.name: s for s in listing.sessions}
        assert set(by) == {"worker-gc-1", "zombie"}  # mayor's pane exited before remain-on-exit
        w = by["worker-gc-1"]
        assert (w.session_id, w.env["GC_TEMPLATE"], w.env["GC_DRAIN"], w.alive) == ("gc-1", "fixture/worker", "1", True)
        assert w.created is not None and not w.attached
        assert by["zombie"].alive is False
    finally:
        subprocess.run(base + ["kill-server"], capture_output=True)


# ------------------------------------------------------------------ events


def test_events_fixture_reads_and_joins() -> None:
    t = EventTail(str(FIXTURE_EVENTS))
    d = t.poll()
    t.close()
    assert d.warnings == [] and len(d.events) == 15
    woke = [e for e in d.events if e["type"] == "session.woke"]
    assert [event_refs(e) for e in woke] == [{"reviewer"}, {"builder"}]


def test_event_tail_follows_rotation_and_never_consumes_a_partial_line(tmp_path: Path) -> None:
    p = tmp_path / "events.jsonl"
    evs = session_events(start_seq=1, wakes=4)
    p.write_bytes(event_lines(evs[:2]))
    t = EventTail(str(p))
    assert [e["seq"] for e in t.poll().events] == [1, 2]
    line3 = event_lines(evs[2:3])
    with open(p, "ab") as f:
        f.write(line3[:10])
    assert t.poll().events == []
    with open(p, "ab") as f:
        f.write(line3[10:] + b"not json\n")
    d = t.poll()
    assert [e["seq"] for e in d.events] == [3] and [w.code for w in d.warnings] == ["bad_line"]
    assert "line 4" in d.warnings[0].message
    # rotation: one more line lands in the old file, then it is renamed and a fresh one starts
    with open(p, "ab") as f:
        f.write(event_lines(evs[3:4]))
    os.replace(p, tmp_path / "events.jsonl.rotating-20260601T120000Z-seq-1-4")
    rotated = {"seq": 5, "type": "events.rotated", "ts": "2026-06-01T12:00:00Z", "actor": "events",
               "payload": {"prior_archive": "events.jsonl.archive-20260601T120000Z-seq-1-4.gz",
                           "prior_first_seq": 1, "prior_last_seq": 4}}
    p.write_bytes(event_lines([rotated]))
    d = t.poll()
    assert [e["seq"] for e in d.events] == [4, 5] and d.rotated
    t.close()


def test_event_tail_reads_only_a_backlog_of_a_big_file(tmp_path: Path) -> None:
    p = tmp_path / "events.jsonl"
    p.write_bytes(event_lines(session_events(start_seq=1, wakes=200)))
    t = EventTail(str(p), backlog_bytes=500)
    d = t.poll()
    t.close()
    assert 0 < len(d.events) < 10 and d.events[-1]["seq"] == 201 and d.warnings == []


# ------------------------------------------------------------------ city layout


def test_names_socket_and_providers_resolve_as_gc_does(tmp_path: Path) -> None:
    city = tmp_path / "somedir"
    (city / ".gc").mkdir(parents=True)
    lay = resolve_layout(str(city))
    assert (lay.name, lay.tmux_socket, lay.session_provider, lay.bead_provider) == ("somedir", "somedir", "tmux", "bd")
    (city / "city.toml").write_text('[workspace]\nname = "harbor"\n[beads]\nprovider = "file"\n')
    assert (resolve_layout(str(city)).name, resolve_layout(str(city)).bead_provider) == ("harbor", "file")
    (city / ".gc" / "site.toml").write_text('workspace_name = "harbor-prod"\n')
    assert resolve_layout(str(city)).tmux_socket == "harbor-prod"
    (city / "city.toml").write_text('[workspace]\nname = "harbor"\n[session]\nsocket = "hsock"\nprovider = "subprocess"\n')
    lay = resolve_layout(str(city))
    assert (lay.tmux_socket, lay.runtime_observable) == ("hsock", False)
    (city / ".gc" / "beads.json").write_text("{}")
    assert resolve_layout(str(city)).bead_provider == "file"
    (city / "city.toml").write_text("[workspace\n")
    lay = resolve_layout(str(city))
    assert lay.name == "harbor-prod" and lay.warnings[0].path.endswith("city.toml")

