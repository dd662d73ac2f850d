"""A DataTable updated by row key, so the cursor stays on the same row across refreshes."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

Cell = str | Text


class KeyedTable(DataTable):
    """`show(rows)` diffs against what is on screen: changed cells are updated in place, and
    the table is rebuilt only when rows come, go or move; the cursor then returns to the row
    with the same key."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._columns = list(columns)
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Cell, ...]] = {}

    def on_mount(self) -> None:
        for label, key in self._columns:
            self.add_column(label, key=key)

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self._keys or self.cursor_row < 0 or self.cursor_row >= len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def cells(self, key: str) -> tuple[Cell, ...] | None:
        return self._cells.get(key)

    def show(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        keys = [k for k, _ in rows]
        if keys == self._keys:
            for key, cells in rows:
                old = self._cells.get(key)
                cells = tuple(cells)
                if old == cells:
                    continue
                for (_, col), new, was in zip(self._columns, cells, old or ()):
                    if new != was:
                        try:
                            self.update_cell(key, col, new, update_width=True)
                        except (CellDoesNotExist, RowDoesNotExist):
                            pass
                self._cells[key] = cells
            return
        keep = self.selected_key
        old_row = self.cursor_row
        self.clear(columns=False)
        self._keys = keys
        self._cells = {}
        for key, cells in rows:
            self._cells[key] = tuple(cells)
            self.add_row(*cells, key=key)
        if keep is not None and keep in self._keys:
            self.move_cursor(row=self._keys.index(keep), animate=False)
        elif self._keys:
            self.move_cursor(row=min(max(old_row, 0), len(self._keys) - 1), animate=False)

    def select_key(self, key: str) -> bool:
        if key in self._keys:
            self.move_cursor(row=self._keys.index(key), animate=False)
            return True
        return False
