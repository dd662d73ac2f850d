"""Each table column's cell widths, counted: a multiset of widths per column, so a column's
widest cell is known after any change (a cell set, a row added or removed) without measuring
the column again."""

from __future__ import annotations

from collections.abc import Hashable


class ColumnWidths:
    """How many cells of each width every column holds."""

    def __init__(self) -> None:
        self._counts: dict[Hashable, dict[int, int]] = {}

    def clear(self) -> None:
        self._counts.clear()

    def add(self, column: Hashable, width: int) -> None:
        counts = self._counts.setdefault(column, {})
        counts[width] = counts.get(width, 0) + 1

    def remove(self, column: Hashable, width: int) -> None:
        """Take away one cell of `width` (one that was added)."""
        counts = self._counts.get(column)
        if counts is None or width not in counts:
            return
        if counts[width] > 1:
            counts[width] -= 1
        else:
            del counts[width]

    def widest(self, column: Hashable) -> int:
        """The width of the column's widest cell (0 when it holds none)."""
        counts = self._counts.get(column)
        return max(counts) if counts else 0
