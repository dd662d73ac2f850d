"""When the config watcher checks a save (tui.watch, core.session.reload): once the files have
held still for the settle, counted from their last write, and with what it read while waiting
only if the files did not change since. Time is a fake clock here: no test sleeps, and no test
says how long anything takes on this machine."""

from __future__ import annotations

import asyncio
import os

import pytest

import core.session.reload as reload_mod
import tui.watch as watch_mod
from core.session.reload import Reloader, load

SETTLE = 0.1
CITY = '[workspace]\nname = "quay"\n\n[[agent]]\nname = "worker"\ndir = "quay"\nmax_active_sessions = {n}\n'


class Clock:
    """tui.watch's clocks and sleep: every sleep is recorded and moves both clocks on at once;
    `during_sleep` runs inside a sleep (a writer at work while the watcher waits)."""

    def __init__(self) -> None:
        self.mono = 5000.0
        self.wall_ns = 1_800_000_000 * 10**9
        self.waits: list[float] = []
        self.during_sleep = None

    def monotonic(self) -> float:
        return self.mono

    def time_ns(self) -> int:
        return self.wall_ns

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.mono += seconds
        self.wall_ns += int(seconds * 1e9)
        if self.during_sleep is not None:
            self.during_sleep()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(watch_mod.time, "monotonic", c.monotonic)
    monkeypatch.setattr(watch_mod.time, "time_ns", c.time_ns)
    monkeypatch.setattr(watch_mod.asyncio, "sleep", c.sleep)
    return c


def city(tmp_path, n: int = 1) -> tuple[str, Reloader]:
    path = str(tmp_path / "city.toml")
    write(path, CITY.format(n=n))
    return path, Reloader(path, "", load(path).city)


def write(path: str, text: str, written_ns: int | None = None) -> None:
    """Save `text` in place, its modification time set to `written_ns` when given."""
    with open(path, "w") as f:
        f.write(text)
    if written_ns is not None:
        os.utime(path, ns=(written_ns, written_ns))


def test_a_file_saved_longer_ago_than_the_settle_is_checked_at_once(tmp_path, clock):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2), clock.wall_ns - 10 * 10**9)
    asyncio.run(watch_mod._settled(r, SETTLE))
    assert clock.waits == []


def test_the_settle_counts_from_the_last_write_not_from_when_the_watcher_woke(tmp_path, clock):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2), clock.wall_ns - 30 * 10**6)  # written 30 ms before the watcher looks
    asyncio.run(watch_mod._settled(r, SETTLE))
    assert clock.waits == [pytest.approx(SETTLE - 0.03)]


def test_a_write_during_the_settle_starts_it_again(tmp_path, clock):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2), clock.wall_ns)
    writes = iter([CITY.format(n=3)])  # a writer finishing its save while the watcher waits

    def writer() -> None:
        text = next(writes, None)
        if text is not None:
            write(path, text, clock.wall_ns)

    clock.during_sleep = writer
    asyncio.run(watch_mod._settled(r, SETTLE))
    assert clock.waits == [pytest.approx(SETTLE), pytest.approx(SETTLE)]


def test_a_modification_time_in_the_future_waits_the_whole_settle_and_no_longer(tmp_path, clock):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2), clock.wall_ns + 3600 * 10**9)  # a clock ahead, a file touched ahead
    asyncio.run(watch_mod._settled(r, SETTLE))
    assert sum(clock.waits) == pytest.approx(SETTLE)


def test_a_reading_taken_before_the_file_changed_is_not_applied(tmp_path):
    path, r = city(tmp_path)
    early = r.read()  # the watcher reads at once, then the writer saves again within the settle
    write(path, CITY.format(n=3))
    v = r.check("", early)
    assert v.kind == "apply" and v.revision == load(path).city.revision != early.loaded.city.revision


def test_a_reading_of_files_that_held_still_is_taken_without_loading_again(tmp_path, monkeypatch):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2))
    early = r.read()
    loads = []
    monkeypatch.setattr(reload_mod, "load", lambda *a, **k: loads.append(a) or load(*a, **k))
    v = r.check("", early)
    assert v.kind == "apply" and v.revision == early.loaded.city.revision and loads == []


def test_a_file_rewritten_with_the_same_bytes_while_it_is_read_is_not_applied(tmp_path, monkeypatch):
    path, r = city(tmp_path)
    write(path, CITY.format(n=2))
    real_load = reload_mod.load

    def load_then_touch(p, packs="", **gate):
        out = real_load(p, packs, **gate)
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**6))  # written again, the same text
        return out

    monkeypatch.setattr(reload_mod, "load", load_then_touch)
    assert r.check("").kind == "unsettled" and r.last is None
