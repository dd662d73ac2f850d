"""Nothing of the operator's is changed without asking: a --trace-dir that is a shared folder, a
damaged or old segment citywatch did not write, and a city's own `./bd` that must never run."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.hostile.hostile_kit import SCENARIO, write_city
from tui.cli import main

pytestmark = pytest.mark.timeout(60)


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    out = {".": (root.stat().st_mode, None)}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = (p.lstat().st_mode, p.read_bytes() if p.is_file() else None)
    return out


def scenario(tmp_path: Path) -> Path:
    write_city(tmp_path / "city")
    scn = tmp_path / "case.toml"
    scn.write_text(SCENARIO)
    return scn


def test_a_shared_folder_with_other_files_is_refused_and_left_as_it_was(tmp_path: Path, capsys):
    scn = scenario(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    (shared / "someone-elses.log").write_text("keep me\n")
    before = snapshot(shared)
    assert main(["scenario", "run", str(scn), "--trace-dir", str(shared)]) == 2
    _, err = capsys.readouterr()
    assert "someone-elses.log" in err and "not part of a citywatch trace" in err
    assert snapshot(shared) == before


def test_an_empty_shared_folder_is_used_and_keeps_its_mode(tmp_path: Path, capsys):
    scn = scenario(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    assert main(["scenario", "run", str(scn), "--trace-dir", str(shared)]) == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert (shared / "head.json").is_file() and list((shared / "segments").rglob("segment-*.jsonl"))


def test_old_and_damaged_segments_from_before_are_neither_pruned_nor_moved(tmp_path: Path, capsys):
    scn = scenario(tmp_path)
    trace = tmp_path / "trace"
    assert main(["scenario", "run", str(scn), "--trace-dir", str(trace)]) == 0
    segs = sorted(trace.rglob("segment-*.jsonl"))
    old, = segs
    month_ago = old.stat().st_mtime - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    damaged = old.read_bytes().replace(b'"record_count":', b'"record_count":9', 1)
    old.write_bytes(damaged)
    os.utime(old, (month_ago, month_ago))
    (trace / "head.json").unlink()  # force the rescan that would quarantine it
    capsys.readouterr()
    assert main(["scenario", "run", str(scn), "--trace-dir", str(trace)]) == 0
    _, err = capsys.readouterr()
    assert old.read_bytes() == damaged and old.stat().st_mtime == pytest.approx(month_ago)
    assert not list((trace / "quarantine").iterdir())
    assert "failing to verify" in err and old.name in err


@pytest.mark.parametrize("path_entry", [".", "", "CITY"])
def test_bd_is_never_found_inside_the_city_folder(tmp_path: Path, path_entry: str, monkeypatch):
    from core.attach.bd import read_bd_sessions

    city = write_city(tmp_path / "city")
    marker = tmp_path / "ran"
    fake = city / "bd"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\necho '[]'\n")
    fake.chmod(0o755)
    entry = str(city) if path_entry == "CITY" else path_entry
    monkeypatch.setenv("PATH", os.pathsep.join([entry, "/nonexistent-bin"]))
    bs = read_bd_sessions(str(city), timeout=5)
    assert not marker.exists()
    assert bs.warnings and "not installed" in bs.warnings[0].message
