"""A recorded step's event lines, kept compact, read back as the lines that were recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.views.event_line import EventLine, StepLines

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def lines(n: int, frame: int = 7, tick: int = 3) -> list[EventLine]:
    return [EventLine(frame, tick, AT, ("action", "trace", "log")[i % 3], f"text {i}", f"s{i}" if i % 2 else "")
            for i in range(n)]


def test_the_lines_read_back_in_order_by_index_slice_and_iteration():
    given = lines(5)
    block = StepLines(7, 3, AT, given)
    assert len(block) == 5 and list(block) == given and block == tuple(given)
    assert block[0] == given[0] and block[-1] == given[-1] and block[1:3] == tuple(given[1:3])
    assert list(reversed(block)) == given[::-1] and given[2] in block
    with pytest.raises(IndexError):
        block[5]
    with pytest.raises(IndexError):
        block[-6]


def test_a_line_of_another_step_is_refused():
    with pytest.raises(ValueError, match="a line of frame 8"):
        StepLines(7, 3, AT, lines(2) + lines(1, frame=8))


def test_equal_blocks_are_equal_and_hash_alike():
    a, b = StepLines(7, 3, AT, lines(4)), StepLines(7, 3, AT, lines(4))
    assert a == b and hash(a) == hash(b) and a != StepLines(7, 3, AT, lines(3))
