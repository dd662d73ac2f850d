"""Tick memos keep what the last two ticks used, and nothing older (core/formats/memo.py)."""

from __future__ import annotations

from core.formats import memo as M
from core.formats.goparse import parse_time_or_none
from core.formats.timefmt import format_time
from core.world.beads import natural_key


def counted(limit: int = 1 << 10):
    calls: list[str] = []

    @M.tick_memo(limit)
    def upper(s: str) -> str:
        calls.append(s)
        return s.upper()

    return upper, calls


def test_a_value_is_computed_once_while_it_is_used_every_tick():
    upper, calls = counted()
    for _ in range(5):
        M.new_tick()
        assert upper("a") == "A" and upper("a") == "A"
    assert calls == ["a"]


def test_a_value_unused_for_a_whole_tick_is_dropped():
    upper, calls = counted()
    upper("old")
    upper("kept")
    M.new_tick()
    upper("kept")
    assert upper.kept() == 2  # "old" is in the previous generation still
    M.new_tick()
    assert upper.kept() == 1  # "old" went unused for a tick: gone
    upper("old")
    assert calls == ["old", "kept", "old"]


def test_a_generation_turns_over_at_its_limit_without_a_tick():
    upper, calls = counted(limit=8)
    for i in range(100):
        upper(str(i))
    assert upper.kept() <= 16
    assert [upper(str(i)) for i in range(100)] == [str(i).upper() for i in range(100)]


def test_the_model_turns_the_memos_each_tick(tmp_path):
    from core.session.driver import open_city
    from tests.factories import write_city

    upper, _ = counted()
    upper("x")
    d = open_city(str(write_city(tmp_path, '[workspace]\nname = "c"\n[[agent]]\nname = "a"\n')))
    d.step()
    d.step()
    assert upper.kept() == 0


def test_the_memoized_readers_give_what_they_compute():
    M.clear_all()
    t = parse_time_or_none("2026-01-02T03:04:05Z")
    assert t is not None and format_time(t) == "2026-01-02T03:04:05Z"
    assert parse_time_or_none("2026-01-02T03:04:05Z") is t
    assert natural_key("gc-10") > natural_key("gc-2")
