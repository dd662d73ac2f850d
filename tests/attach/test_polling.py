"""Polling an attached city (core/attach/polling.py): requests merged while a poll runs, and a
presentation that fails keeps the last good picture."""

from __future__ import annotations

from pathlib import Path

from core.attach.polling import Picture, Poller, PollRequests
from core.attach.session import AttachOptions, AttachSession
from tests.attach.citykit import NOW, build_city


def test_requests_made_while_a_poll_runs_are_merged_into_one_take() -> None:
    req = PollRequests()
    assert req.ask(["/c/.gc/events.jsonl"]) is True  # nothing polling: the caller starts the worker
    assert req.ask(["/c/.gc/beads.json"], model=True) is False  # merged into the running poll
    assert req.ask([]) is False
    first = req.take()
    assert first is not None and not first.full and first.model
    assert first.changed == ["/c/.gc/beads.json", "/c/.gc/events.jsonl"]
    assert req.ask(None) is False  # the worker has not seen an empty take yet
    second = req.take()
    assert second is not None and second.full and second.changed is None and not second.model
    assert req.take() is None  # nothing left: the worker ends
    assert req.ask([]) is True  # and the next request starts another


def test_a_worker_that_stops_early_lets_the_next_request_start_one() -> None:
    req = PollRequests()
    assert req.ask(None) is True
    req.stop()
    assert req.ask(None) is True


def test_a_presentation_that_fails_shows_the_last_good_picture_again_without_its_alarms(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW)
    failing = {"on": False}

    def present(p: Picture) -> Picture:
        if failing["on"] and p.snapshot is not None and p.generation == 2:
            raise ValueError("cannot show this")
        return p

    poller = Poller(AttachSession.open(str(kit.root), opts), present, backlog=5)
    good = poller.refresh()
    assert good.raised and good.generation == 1  # the first picture raises the city's alarms
    failing["on"] = True
    kept = poller.refresh()
    assert kept.generation == 3 and kept.board == good.board and kept.snapshot == good.snapshot
    assert kept.raised == ()  # announced once, with the picture that raised them
    assert kept.lines[-1].kind == "error"
    assert kept.lines[-1].text.startswith("the picture could not be built (ValueError: cannot show this)")
