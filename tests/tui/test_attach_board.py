"""What attach mode shows, computed without a screen (tui/attach_board.py), and the command line
that opens it."""

from __future__ import annotations

from pathlib import Path

from core.attach.session import AttachOptions, AttachSession
from core.views.plan import START
from tests.attach.citykit import CITY_TOML, NOW, build_city, event_lines, session_events, tree
from tui.attach_board import AttachState
from tui.cli import main


def state(kit, tmp_path: Path, **kw) -> AttachState:
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW, **kw)
    return AttachState(AttachSession.open(str(kit.root), opts), backlog=5)


def test_an_unobservable_runtime_is_shown_as_unknown_not_as_stopped(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    kit.write("city.toml", (CITY_TOML + '\n[session]\nprovider = "k8s"\n').encode())
    b = state(kit, tmp_path).refresh()
    assert b.sessions_summary.startswith("desired 4 · open 5 · running ? · to start 0")
    assert {r.runtime for r in b.board.sessions} == {"?"}
    assert not [r for r in b.board.sessions if r.marker == START]
    assert "tmux: unobservable" in " ".join(b.header.sources)
    assert any("unobservable" in n for n in b.drift_notes)
    assert not [d for d in b.drift if d.kind in ("start", "stop", "state")]
    assert tree(kit.root) == kit.expected


def test_the_feed_shows_a_backlog_then_only_what_is_new_and_each_warning_once(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    st = state(kit, tmp_path)
    first = st.refresh()
    kinds = [ln.kind for ln in first.lines]
    assert kinds.count("event") == 5  # the backlog, not the whole file
    assert [ln.text for ln in first.lines if ln.kind == "event"][-1].endswith("#107")
    assert kinds.count("warning") == 1
    read = [k for k in kinds if k != "alarm"]  # the loop alarms of this first picture come last, once each
    assert read[-3:] == ["trace", "cycle", "warning"] and kinds.count("alarm") == len(first.alarms)
    assert kinds[-len(first.alarms):] == ["alarm"] * len(first.alarms)
    again = st.refresh()
    assert again.lines == first.lines and again.generation > first.generation
    kit.append(".gc/events.jsonl", event_lines(session_events(NOW, start_seq=200, wakes=1)))
    more = st.refresh([str(kit.root / ".gc" / "events.jsonl")])
    assert more.lines[:len(first.lines)] == first.lines
    assert [ln.text.rsplit("#", 1)[-1] for ln in more.lines[len(first.lines):]] == ["200", "201"]
    assert tree(kit.root) == kit.expected


def test_a_failing_reader_is_an_error_line_and_the_picture_is_kept(tmp_path: Path, monkeypatch) -> None:
    kit = build_city(tmp_path, ticks=1)
    st = state(kit, tmp_path)
    good = st.refresh()

    def boom(*_a, **_k):
        raise RuntimeError("unexpected shape")

    monkeypatch.setattr(st.session, "poll", boom)
    monkeypatch.setattr(st.session, "snapshot", boom)
    b = st.refresh()
    assert b.board == good.board and b.drift == good.drift and b.generation > good.generation
    errors = [ln.text for ln in b.lines if ln.kind == "error"]
    assert errors[0].startswith("reading the city failed (RuntimeError: unexpected shape)")
    assert errors[1].startswith("the picture could not be built (RuntimeError: unexpected shape)")


def test_the_command_line_refuses_what_attach_cannot_open(tmp_path: Path, capsys) -> None:
    assert main(["--attach", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["--bd"]) == 2
    assert "--bd: only with --attach CITY_DIR" in capsys.readouterr().err
    bad = tmp_path / "s.toml"
    bad.write_text("[citywatch.alarms]\nwakes = 3\n")
    assert main(["--attach", str(tmp_path), "--settings", str(bad)]) == 2
    assert f"{bad}: citywatch.alarms.wakes: unknown alarm setting" in capsys.readouterr().err
    assert main(["--attach", str(tmp_path), str(tmp_path / "city.toml")]) == 2
    assert "--attach takes the city directory itself" in capsys.readouterr().err
