"""How the panels sort their rows when an operator sorts by a column.

Values compare the way people read them: numbers by value (`10` after `9`, `3/5` by its first
number), durations and times as they are written (`09:03:00`), names in natural order
(`worker-2` before `worker-10`). Blank cells (`""`, `—`) always come last, whichever the
direction, and rows that compare equal keep the order they came in (the panel's default order:
template, identity, name), so a refresh never shuffles them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.world.beads import natural_key

BLANKS = ("", "—", "-")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?")


def sort_key(text: str) -> tuple:
    """The key a cell's text sorts by: a leading number by value, else natural order."""
    t = text.strip()
    m = _NUMBER.match(t)
    if m and (len(m.group(0)) == len(t) or not t[len(m.group(0))].isalpha()):
        return (0, float(m.group(0)), natural_key(t.lower()))
    return (1, 0.0, natural_key(t.lower()))


def order(values: Sequence[str], reverse: bool = False) -> list[int]:
    """The positions of `values` in sorted order: stable, blanks last in either direction."""
    filled = [i for i, v in enumerate(values) if v.strip() not in BLANKS]
    blank = [i for i, v in enumerate(values) if v.strip() in BLANKS]
    keys = {i: sort_key(values[i]) for i in filled}
    if reverse:
        # a stable descending sort: equal keys keep their original order
        filled.sort(key=lambda i: keys[i])
        groups: list[list[int]] = []
        for i in filled:
            if groups and keys[groups[-1][0]] == keys[i]:
                groups[-1].append(i)
            else:
                groups.append([i])
        filled = [i for g in reversed(groups) for i in g]
    else:
        filled.sort(key=lambda i: keys[i])
    return filled + blank
