"""Tables whose columns fit their panel (attach mode).

A panel that mixes in `FitColumns` hands its rows, whole, to `fit_show`: every column keeps its
natural width when the table is wide enough; else the columns named in `SHRINK_FIRST` give way
first, then the widest of the others, and a value cut short ends in "…" (the Why panel shows the
selected row whole, and `z` zooms a panel to the full screen, where the columns fit again). The
widths follow the panel on every resize.
"""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.text import Text

from tui.attach_board import fit_widths
from tui.widgets.keyed_table import Cell, KeyedTable

MIN_WIDTH = 6  # a shrunk column keeps at least this many cells (or its label's width)


def cell_width(c: Cell) -> int:
    return c.cell_len if isinstance(c, Text) else cell_len(c)


def clip_cell(c: Cell, width: int) -> Cell:
    """`c` cut to `width` cells, ending in "…" when cut (a str stays a str)."""
    if cell_width(c) <= width:
        return c
    t = c.copy() if isinstance(c, Text) else Text(c)
    t.truncate(max(width, 1), overflow="ellipsis")
    return t if isinstance(c, Text) else t.plain


class FitColumns:
    """Mixin for a Panel with a `table` (a KeyedTable)."""

    SHRINK_FIRST: tuple[str, ...] = ()  # column keys, in the order they give way
    _fit_rows: list[tuple[str, Sequence[Cell]]] | None = None

    table: KeyedTable

    def fit_show(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        self._fit_rows = list(rows)
        table = self.table
        columns = list(table.columns.values())
        inner = table.size.width - 1  # the vertical scrollbar's cell
        if inner <= 0 or not columns:  # not laid out yet: the first resize fits it
            table.show(self._fit_rows)
            return
        labels = [c.label.cell_len for c in columns]
        natural = list(labels)
        for _, cells in self._fit_rows:
            for i, c in enumerate(cells[:len(natural)]):
                natural[i] = max(natural[i], cell_width(c))
        mins = [max(label, MIN_WIDTH) for label in labels]
        keys = [str(c.key.value) for c in columns]
        first = [keys.index(k) for k in self.SHRINK_FIRST if k in keys]
        widths = fit_widths(natural, inner - 2 * table.cell_padding * len(columns), mins, first)
        shown = [(k, tuple(clip_cell(c, w) for c, w in zip(cells, widths))) for k, cells in self._fit_rows]
        if any(c.content_width > max(w, label) for c, w, label in zip(columns, widths, labels)):
            # DataTable columns only ever widen: start them over from their labels
            keep = table.selected_key
            table.show([])
            for c in columns:
                c.content_width = c.label.cell_len
            table.show(shown)
            if keep is not None:
                table.select_key(keep)
        else:
            table.show(shown)

    def full_cells(self, key: str) -> tuple[Cell, ...] | None:
        """The row's cells as given, before any was cut to fit."""
        for k, cells in self._fit_rows or ():
            if k == key:
                return tuple(cells)
        return None

    def on_resize(self, event) -> None:
        self.call_after_refresh(self._refit)  # once the table inside has its new size too

    def _refit(self) -> None:
        if self._fit_rows is not None:
            self.fit_show(self._fit_rows)
