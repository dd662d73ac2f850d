"""A titled panel (`border_title` is the panel's name) with a per-panel filter and sort.

The subtitle carries the panel's status: the filter in force and how many rows it hides. A
panel says how much room it wants (`wanted_width`, `wanted_height`) and tui.layout gives it its
share of the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.widgets import DataTable

from core.views.sorting import order
from tui.faults import Guarded
from tui.filtering import matches
from tui.layout import Want
from tui.widgets.fit import Cell
from tui.widgets.keyed_table import KeyedTable


class _Views(Protocol):
    """The app a panel lives in: it redraws the view after a panel changes how it sorts."""

    def refresh_view(self) -> None: ...


CHROME = 2  # a panel's border: one cell each side, one line above and below
WANTS_KEPT = 8  # a table asks for the most it needed over this many renders, so widths do not twitch


def counted(n: int, word: str, plural: str = "") -> str:
    """`1 agent`, `2 agents` (`plural` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


class Panel(Guarded, Vertical):
    """Base of every panel. `panel_id` names it for focus keys, help, filtering and tabs."""

    panel_id = ""
    HELP = ""
    can_focus = False
    ALLOW_MAXIMIZE = True
    MIN_WIDTH = 24  # narrower, the title and status no longer read

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(id=f"{self.panel_id}-panel", classes="panel", **kwargs)
        self.border_title = title
        self.title = title
        self.filter_text = ""
        self._status_text: str | None = None

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()

    def status(self, *parts: str) -> None:
        bits = [p for p in parts if p]
        if self.filter_text:
            bits.insert(0, f"/{self.filter_text}")
        text = " · ".join(bits)
        if text != self._status_text:  # setting a subtitle repaints the whole panel, its table too
            self._status_text = text
            self.border_subtitle = text

    def focus_target(self):
        """The widget that takes focus for this panel."""
        return self

    def wanted_width(self) -> Want:
        """The panel's claim on the width of its row (tui.layout)."""
        return Want(self.MIN_WIDTH, self.MIN_WIDTH, fill=True)

    def wanted_height(self) -> Want:
        """The panel's claim on the height of its column (tui.layout)."""
        return Want(5, 5, fill=True)


class TablePanel(Panel):
    """A panel around one KeyedTable, which is what its focus key focuses. `show_rows` filters
    and sorts the rows a subclass made, so every table filters and sorts the same way: by the
    column the operator picked (a header click, or `o`; `O` reverses), else in the order given."""

    EXTRA_LINES = 0  # lines the panel shows above its table

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(title, **kwargs)
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._all_keys: list[str] = []
        self._wants_seen: list[Want] = []  # what it asked for at its last renders

    @property
    def table(self) -> KeyedTable:
        """The panel's table (subclasses of KeyedTable included)."""
        return self.query_one(KeyedTable)

    def focus_target(self) -> KeyedTable:
        return self.table

    def show_rows(self, rows: Sequence[tuple[str, Sequence[Cell]]], filter_texts=None) -> int:
        """Show `rows` (key, cells) filtered and sorted; returns how many the filter hid.
        `filter_texts(key, cells)` gives what the filter searches (default: the cells)."""
        self._all_keys = [k for k, _ in rows]
        shown = [(k, c) for k, c in rows
                 if matches(self.filter_text, filter_texts(k, c) if filter_texts else c)] if self.filter_text else list(rows)
        shown = self._sorted(shown)
        self.table.show(shown)
        return len(rows) - len(shown)

    def all_keys(self) -> list[str]:
        """Every row's key as last given, whether the filter shows it or not."""
        return list(self._all_keys)

    def selected_name(self) -> str:
        """What `y` copies from this panel: the selected row's key ("" when none)."""
        return self.table.selected_key or ""

    def _sorted(self, rows: list[tuple[str, Sequence[Cell]]]) -> list[tuple[str, Sequence[Cell]]]:
        if self.sort_column is None:
            return rows
        keys = [k for _, k in self.table.all_columns]
        if self.sort_column not in keys:
            return rows
        i = keys.index(self.sort_column)
        values = [_plain(c[i]) if i < len(c) else "" for _, c in rows]
        return [rows[j] for j in order(values, self.sort_reverse)]

    def sort_by(self, column: str | None, reverse: bool | None = None) -> None:
        """Sort by `column` (None: the panel's own order); the same column again reverses."""
        if reverse is None:
            reverse = (not self.sort_reverse) if column == self.sort_column and column is not None else False
        self.sort_column, self.sort_reverse = column, reverse
        self.table.mark_sorted(column, reverse)

    def next_sort(self) -> str | None:
        """Sort by the next column (after the last one: back to the panel's own order)."""
        keys = [k for _, k in self.table.all_columns]
        if self.sort_column not in keys:
            nxt = keys[0] if keys else None
        else:
            i = keys.index(self.sort_column) + 1
            nxt = keys[i] if i < len(keys) else None
        self.sort_by(nxt, False)
        return nxt

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))
        cast(_Views, self.app).refresh_view()

    def wanted_width(self) -> Want:
        """Its key columns whole at least, every column at best. An empty table asks only for room
        for its status; and it asks for the most it needed over its last renders (so the layout
        does not twitch as values come and go)."""
        if self.table.row_count == 0:
            room = max(len(str(self.border_subtitle or "")), len(str(self.title))) + 6
            want = Want(max(self.MIN_WIDTH, min(room, 30)), max(self.MIN_WIDTH, room))
        else:
            least, whole = self.table.wanted_width()
            want = Want(max(least + CHROME, self.MIN_WIDTH), max(whole + CHROME, self.MIN_WIDTH))
        if self.table.row_count:
            self._wants_seen = (self._wants_seen + [want])[-WANTS_KEPT:]
        for seen in self._wants_seen:
            want = Want(max(want.least, seen.least), max(want.whole, seen.whole), want.fill)
        return want

    def forget_wants(self) -> None:
        """Ask afresh (the screen changed size)."""
        self._wants_seen = []

    def wanted_height(self) -> Want:
        rows = self.table.row_count
        chrome = CHROME + 1 + self.EXTRA_LINES  # border, header line
        return Want(chrome + min(max(rows, 1), 3), chrome + max(rows, 1))


def _plain(c: Cell) -> str:
    return c.plain if isinstance(c, Text) else str(c)
