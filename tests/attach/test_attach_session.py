"""Attaching to a live city: `citywatch attach --json`, polling while the controller writes,
and the guarantee that attaching changes nothing under the city directory."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from citykit import (
    NOW,
    CityKit,
    beads_json,
    build_city,
    event_lines,
    session_events,
    tree,
    tree_stat,
)

from core.alarms import AlarmThresholds
from core.attach.session import AttachError, AttachOptions, AttachSession
from core.tracefile.layout import CITY_TRACE_ROOT
from tui.cli import main


def opts(tmp_path: Path, **kw) -> AttachOptions:
    return AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW, **kw)


def attach_json(city: Path, tmp_path: Path, capsys, *extra: str) -> dict:
    rc = main(["attach", str(city), "--json", "--now", "2026-06-01T12:00:00Z",
               "--tmux-socket", str(tmp_path / "no-such-socket"), *extra])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return json.loads(cap.out)


def test_attach_json_on_a_city_built_from_the_fixtures(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no personal settings file
    kit = build_city(tmp_path, ticks=2)
    snap = attach_json(kit.root, tmp_path, capsys)
    assert snap["city"] | {"path": ""} == {"path": "", "name": "fixture", "config_loaded": True,
                                           "config_revision": snap["city"]["config_revision"],
                                           "tmux_socket": str(tmp_path / "no-such-socket"), "session_provider": "tmux",
                                           "bead_provider": "file", "bead_source": "file"}
    assert snap["as_of"] == "2026-06-01T12:00:00Z"
    src = snap["sources"]
    assert (src["beads"]["sessions"], src["beads"]["work"]) == (6, 10)
    assert src["runtime"] | {"note": ""} == {"socket": str(tmp_path / "no-such-socket"), "observable": True,
                                             "server_running": False, "note": ""}
    assert src["trace"]["head"]["seq"] == kit.tracer.writer.seq and src["trace"]["batches_read"] == 4
    rows = {r["bead_id"]: r for r in snap["sessions"]}
    assert [r["bead_id"] for r in snap["sessions"]] == ["gc-1", "gc-2", "gc-3", "gc-4", "gc-5", "gc-6"]
    assert rows["gc-6"]["open"] is False and rows["gc-1"]["running"] is False
    assert snap["deferrals"][0] | {"next_retry_at": ""} == {
        "bead_id": "gc-3", "session_name": "worker-gc-3", "alias": "fixture/worker-1", "holder": "gc-1",
        "holder_state": "active", "count": 7, "last_at": "2026-06-01T11:59:00Z", "next_retry_at": ""}
    trackers = {t["bead_id"]: t for t in snap["trackers"]}
    assert trackers["gc-2"]["wake_attempts"] == 2 and trackers["gc-5"]["quarantine"]["active"] is True
    assert [e["seq"] for e in snap["events"]][-8:] == list(range(100, 108))
    assert snap["events"][0]["seq"] == 1  # the real fixture's events come first
    start_ns = int((NOW - timedelta(hours=1)).timestamp()) * 10**9
    ticks = [f"fixture-4242-{start_ns}-{n:06d}" for n in (1, 2)]
    assert [d["tick_id"] for d in snap["trace"]["decisions"]] == ticks
    assert snap["trace"]["last_cycle"]["tick_id"] == ticks[1]
    assert snap["trace"]["last_cycle"]["pool_desired"] == {"fixture/worker": 3}
    kinds = {(i["kind"], i["subject"]) for i in snap["drift"]["items"]}
    assert ("undesired", "fixture--oldagent") in kinds and ("pool_desired", "fixture/worker") in kinds
    assert all(i["text"].startswith("model expects ") for i in snap["drift"]["items"])
    assert snap["drift"]["compared_tick_id"] == ticks[1]
    assert {a["kind"] for a in snap["alarms"]} == {"alias_conflict", "idle_spawns", "quarantine", "start_pending",
                                                    "wakes"}
    assert [w["code"] for w in snap["warnings"]] == ["unknown_code"]
    assert "'resume'" in snap["warnings"][0]["message"]
    # deterministic: the same city and clock print the same bytes
    again = attach_json(kit.root, tmp_path, capsys)
    assert json.dumps(again, sort_keys=True) == json.dumps(snap, sort_keys=True)


def test_text_output_reads_as_a_summary(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    kit = build_city(tmp_path, ticks=1)
    assert main(["attach", str(kit.root), "--now", "2026-06-01T12:00:00Z",
                 "--tmux-socket", str(tmp_path / "no-such-socket")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("city fixture at ") and "alias deferrals:" in out and "model expects" in out
    assert "[wakes] fixture/worker-3 woke 7 times in the last hour" in out


def land_damaged(kit: CityKit, now) -> None:
    rel, data = kit.tick(now)
    lines = data.split(b"\n")
    lines[1] = lines[1].replace(b'"session_baseline"', b'"session_baselinx"')  # still JSON, wrong CRC
    kit.land(rel, b"\n".join(lines))


def test_polling_while_the_controller_writes_leaves_the_city_byte_for_byte_unchanged(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    root = kit.root
    s = AttachSession.open(str(root), opts(tmp_path, trace_history_segments=None))
    assert tree(root) == kit.expected
    assert s.watch_paths() == [str(root / ".gc"), str(root / "city.toml")]
    first = s.snapshot()
    base_decisions, warnings_before = len(first.trace.decisions), first.warnings

    # a new cycle lands; only the trace is re-read when watchfiles names the segment
    rel, data = kit.tick(NOW)
    kit.land(rel, data)
    assert s.poll([str(root / CITY_TRACE_ROOT / rel)]) == {"trace"}
    assert len(s.snapshot().trace.decisions) == base_decisions + 1

    # a torn write: nothing is published until the batch's commit line is complete
    rel, data = kit.tick(NOW + timedelta(seconds=30))
    kit.append(f"{CITY_TRACE_ROOT}/{rel}", data[:-20])  # the cycle's last batch stops inside its commit
    s.poll()
    snap = s.snapshot()
    assert len(snap.trace.decisions) == base_decisions + 1
    assert snap.trace.last_cycle.tick_id.endswith("-000003") and snap.warnings == warnings_before
    kit.land(rel, data[-20:])
    assert "trace" in s.poll()
    snap = s.snapshot()
    assert len(snap.trace.decisions) == base_decisions + 2
    assert snap.trace.last_cycle.tick_id.endswith("-000004")

    # a new UTC day rotates the segment
    rel, data = kit.tick(NOW + timedelta(days=1))
    assert rel.startswith("segments/2026/06/02/")
    kit.land(rel, data)
    assert "trace" in s.poll()
    assert s.snapshot().trace.last_cycle.tick_id.endswith("-000005")

    # events: a torn line, then the log rotates with one more line in the old file
    more = session_events(NOW + timedelta(minutes=5), start_seq=200, wakes=3)
    kit.append(".gc/events.jsonl", event_lines(more[:1]) + event_lines(more[1:2])[:7])
    assert s.poll() == {"events"}
    assert s.snapshot().events[-1].seq == 200
    kit.append(".gc/events.jsonl", event_lines(more[1:2])[7:])
    kit.rename(".gc/events.jsonl", ".gc/events.jsonl.rotating-20260601T120500Z-seq-1-201")
    rotated = {"seq": 202, "type": "events.rotated", "ts": "2026-06-01T12:05:00Z", "actor": "events",
               "payload": {"prior_archive": "events.jsonl.archive-20260601T120500Z-seq-1-201.gz"}}
    kit.write(".gc/events.jsonl", event_lines([rotated, dict(more[2], seq=203)]))
    assert s.poll([str(root / ".gc/events.jsonl")]) == {"events"}
    assert [e.seq for e in s.snapshot().events[-4:]] == [200, 201, 202, 203]

    # the bead store is rewritten whole (temp file + rename)
    kit.write(".gc/beads.json", beads_json(edit={"gc-2": {"state": "active", "sleep_reason": ""}}), atomic=True)
    assert s.poll() == {"beads"}
    assert next(r for r in s.snapshot().sessions if r.bead_id == "gc-2").state == "active"

    # a damaged batch is held one poll, then reported; the next good batch still reads
    land_damaged(kit, NOW + timedelta(days=1, seconds=30))
    s.poll()
    assert not [w for w in s.snapshot().warnings if w.code == "crc_mismatch"]
    rel, data = kit.tick(NOW + timedelta(days=1, seconds=60))
    kit.land(rel, data)
    s.poll()
    snap = s.snapshot()
    crc = [w for w in snap.warnings if w.code == "crc_mismatch"]
    assert len(crc) == 1 and crc[0].path == rel
    assert snap.trace.last_cycle.tick_id.endswith("-000007")

    # the controller quarantines an old segment at a restart
    first = "segments/2026/06/01/segment-000001.jsonl"
    kit.rename(f"{CITY_TRACE_ROOT}/{first}", f"{CITY_TRACE_ROOT}/quarantine/segment-000001.jsonl.1780315200000000000")
    s.poll()
    assert any(w.code == "quarantined" for w in s.snapshot().warnings)

    # attach wrote nothing: every file is exactly what the controller wrote, and nothing else exists
    assert tree(root) == kit.expected
    still = tree_stat(root)
    for _ in range(3):
        s.poll()
        s.snapshot()
    assert tree_stat(root) == still
    s.close()


def test_broken_sources_become_warnings_and_the_rest_still_shows(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    city = tmp_path / "city"
    (city / ".gc").mkdir(parents=True)
    (city / "city.toml").write_text('[workspace]\nname = "broken"\n\n[[agent]]\nname = \n')
    (city / ".gc" / "beads.json").write_text('{"beads": [')
    (city / ".gc" / "events.jsonl").write_text('{"seq":1,"type":"session.woke","ts":"2026-06-01T11:59:00Z"}\n{oops\n')
    snap = attach_json(city, tmp_path, capsys)
    codes = [w["code"] for w in snap["warnings"]]
    assert codes[0] == "config_error" and "city.toml:5" in snap["warnings"][0]["text"]
    assert "bad_json" in codes and "bad_line" in codes
    assert codes.count("config_error") == 1 and not any(w["code"] == "unreadable" for w in snap["warnings"])
    assert snap["city"]["config_loaded"] is False and snap["city"]["name"] == "city"  # unreadable: the basename
    assert snap["drift"]["error"] and snap["sessions"] == [] and [e["seq"] for e in snap["events"]] == [1]
    assert snap["sources"]["trace"]["present"] is False and snap["trace"]["last_cycle"] is None


def test_not_a_directory_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["attach", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(AttachError):
        AttachSession.open(str(tmp_path / "nope"))


def test_bad_settings_stop_attach_with_a_located_message(tmp_path: Path, capsys) -> None:
    p = tmp_path / "s.toml"
    p.write_text("[citywatch.alarms]\nwakes = 3\n")
    assert main(["attach", str(tmp_path), "--settings", str(p)]) == 2
    assert f"{p}: citywatch.alarms.wakes: unknown alarm setting" in capsys.readouterr().err


def test_only_listings_run_and_bd_only_when_asked(tmp_path: Path, monkeypatch) -> None:
    kit = build_city(tmp_path, ticks=1)
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(argv, *a, **kw):
        calls.append(list(argv))
        return real_run(argv, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    s = AttachSession.open(str(kit.root), opts(tmp_path))
    s.snapshot()
    s.close()
    # programs run by absolute path (resolved before running: never from inside the city)
    assert calls and all(os.path.isabs(c[0]) and os.path.basename(c[0]) == "tmux"
                         and c[3] in ("list-sessions", "list-panes", "show-environment") for c in calls)
    calls.clear()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    bd = bin_dir / "bd"
    bd.write_text(f"#!/bin/sh\ncat {kit.root / '.gc' / 'beads.json'}\n")
    bd.chmod(0o755)
    s = AttachSession.open(str(kit.root), opts(tmp_path, use_bd=True, bd=str(bd)))
    snap = s.snapshot()
    s.close()
    assert [c[0] for c in calls if os.path.basename(c[0]) != "tmux"] == [str(bd)]
    # the file store prints {"seq", "beads"}: neither bd shape, so bd mode says so and shows no beads
    assert snap.city.bead_source == "bd" and snap.sessions == ()
    assert any(w.source == "bd" and "neither `issues` nor `data`" in w.message for w in snap.warnings)
    assert tree(kit.root) == kit.expected


def test_the_model_and_world_views_are_copies(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    s = AttachSession.open(str(kit.root), opts(tmp_path))
    m = s.model()
    m.tick()
    assert s.world_view().store.session("gc-5").open  # the cached live world is untouched
    w = s.world()
    w.store.close_session("gc-5", "orphaned", NOW)
    assert s.world_view().store.session("gc-5").open
    s.close()
    assert tree(kit.root) == kit.expected


def test_alias_conflicts_climbing_between_polls_raise_an_alarm(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=0)
    s = AttachSession.open(str(kit.root), opts(tmp_path, thresholds=AlarmThresholds(alias_conflict_count=100,
                                                                                    alias_conflict_rises=2)))
    assert not [a for a in s.snapshot().alarms if a.kind == "alias_conflict"]
    for n in (8, 9):
        kit.write(".gc/beads.json", beads_json(edit={"gc-3": {"pool_alias_conflict_count": str(n)}}), atomic=True)
        s.poll([str(kit.root / ".gc" / "beads.json")])
    alarm = [a for a in s.snapshot().alarms if a.kind == "alias_conflict"]
    assert len(alarm) == 1 and "rose 2 times while watched" in alarm[0].message
    s.close()
    assert tree(kit.root) == kit.expected


def test_a_crashing_config_loader_or_deferral_view_degrades_to_warnings(tmp_path: Path, monkeypatch) -> None:
    import core.config.load
    import core.views.state_json

    def boom(*_a, **_k):
        raise RuntimeError("unexpected shape")

    monkeypatch.setattr(core.config.load, "load_city", boom)
    monkeypatch.setattr(core.views.state_json, "deferrals", boom)
    kit = build_city(tmp_path, ticks=1)
    s = AttachSession.open(str(kit.root), opts(tmp_path))
    snap = s.snapshot()
    s.close()
    texts = {w.code: w.message for w in snap.warnings}
    assert "RuntimeError: unexpected shape" in texts["config_error"]
    assert "RuntimeError: unexpected shape" in texts["deferrals_failed"]
    assert len(snap.sessions) == 6 and snap.trace.last_cycle and snap.drift.error
