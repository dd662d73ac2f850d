"""A DataTable updated by row key, so the cursor stays on the same row across refreshes."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowDoesNotExist, RowKey

from tui.faults import Guarded
from tui.textual_internals import TwoWayDict, set_virtual_size, sized_by_content
from tui.textual_internals import default_cell_formatter as _formatter
from tui.widgets.column_widths import ColumnWidths
from tui.widgets.fit import (
    Cell,
    ColumnFit,
    ColumnPlan,
    clip_cell,
    plan_columns,
    shown,
    wanted_width,
)

BATCH_REMOVE = 4  # removing this many rows or more renumbers the table once
RENDERED_CELLS = 4096  # rendered cells kept across updates (a screenful is a few hundred)
RENDERED_LINES = 1024  # rendered row lines kept across updates (a screenful is fifty)
ROW_REPAINTS = 16  # rows changed at once up to which each row is repainted alone
_REMOVE_ATTRS = ("_row_locations", "_data", "_updated_cells", "_require_update_dimensions", "_update_count")

# DataTable internals (tui/textual_internals.py), each with a fallback when a Textual release
# moves it: the mapping type of row positions (for removing many rows at once) and how a cell
# becomes a renderable (markup in strings included, for measuring a new value's width).


class KeyedTable(Guarded, DataTable):
    """`show(rows)` diffs against what is on screen: changed cells are updated in place, rows
    that went are removed and rows that came are added, and when the order changed the rows are
    re-sorted (by `key_column`, the column that shows each row's key); the cursor stays on the
    row with the same key. Without a `key_column`, or when most rows change, the table is
    rebuilt instead.

    DataTable drops every rendered cell and line whenever any cell changes, and repaints the
    whole table for each cell set. This table keeps rendered lines by row version (bumped
    whenever one of the row's cells is set), stripe, cursor and hover state, crop and column
    widths, and cells by row version, column, width and style, so a repaint renders only the
    rows that changed; a changed cell repaints only its row. A row that only moved keeps its
    line, with its new position put in the line's style (where DataTable looks for the row
    under the mouse).

    Rows are given whole and fitted to the table's width (tui.widgets.fit, by `fit`): columns of
    low priority are dropped and long values cut short, again on every resize. `cells(key)` is a
    row as given, `shown_cells(key)` what is on screen."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        # Home, End and g travel through time (the app's controls), not along a row
        Binding("home", "app.first", "First", show=False),
        Binding("end", "app.last", "Last", show=False),
    ]

    def __init__(self, columns: Sequence[tuple[str, str]], key_column: str | None = None,
                 fit: ColumnFit | None = None, **kwargs) -> None:
        self._version = 0
        self._row_versions: dict[str | None, int] = {}  # row key (RowKey.value) -> version of its cells
        self._measured_widths: tuple[int, ...] = ()  # the column widths of the last measure
        self._rendered: LRUCache = LRUCache(RENDERED_CELLS)  # set first: DataTable's setup clears it
        self._lines: LRUCache = LRUCache(RENDERED_LINES)
        self._column_widths: tuple = ()  # the columns' render widths at this render
        self._pending_rows: set | None = None  # rows whose cells changed, while _update_cells runs
        self._meta_free = False  # rendering a line whose positions are set afterwards
        self._line_style: Style | None = None  # the widget's style, while render_lines runs
        self._pass_styles: dict | None = None  # component styles worked out, while render_lines runs
        self._in_show = False  # within show: the table repaints the lines that changed when it ends
        self._painted: dict[int, tuple] = {}  # content line -> what it showed when last rendered
        self._painted_frame: tuple | None = None  # scroll, widths and styles those lines were rendered in
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._widths_counted = ColumnWidths()  # the measured width of every cell in DataTable's data
        # with DataTable's internals at hand and only rows of one line without a label, column
        # widths come from those counts; otherwise DataTable measures them its own way
        self._counting = _HAS_DIMENSION_INTERNALS and all(hasattr(self, a) for a in _DIMENSION_ATTRS)
        self._all_columns = list(columns)
        self._columns = list(columns)  # the columns on screen
        self._sort: tuple[str | None, bool] = (None, False)  # the column the rows are sorted by, reversed
        self._relabel = False  # a header changed: rebuild the columns at the next show
        self.fitted_to = 0  # the width (less the scrollbar) the columns were last fitted to
        self._key_column = key_column
        self._fit = fit or ColumnFit()
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Cell, ...]] = {}  # as shown
        self._given: list[tuple[str, tuple[Cell, ...]]] | None = None
        self._full: dict[str, tuple[Cell, ...]] = {}  # as given
        self._measured: dict[str, tuple] = {}  # row as given, its cell widths, which cells hold a value
        self._widths: tuple[list[str], list[int], list[int], list[bool]] = ([], [], [], [])
        self._fitted: dict[str, tuple[tuple[Cell, ...], tuple, tuple[Cell, ...]]] = {}  # as given, layout, as shown

    def on_mount(self) -> None:
        for label, key in self._columns:
            self.add_column(self._label(label, key), key=key)

    def _label(self, label: str, key: str) -> str:
        """A column's header: its label, with an arrow when the rows are sorted by it."""
        if key != self._sort[0]:
            return label
        return f"{label} {'▼' if self._sort[1] else '▲'}".strip()

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        """Every column (label, key), shown or dropped to fit, in table order."""
        return list(self._all_columns)

    def mark_sorted(self, column: str | None, reverse: bool) -> None:
        """Put the sort arrow on `column`'s header (None: no column is sorted); the headers are
        redrawn at the next `show`."""
        if self._sort != (column, reverse):
            self._sort = (column, reverse)
            self._relabel = True

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
        """The row's cells as given, before any column was dropped or value cut to fit."""
        return self._full.get(key)

    def value(self, key: str, column: str) -> str:
        """The plain text of row `key`'s cell in `column` (a column key), as given ("" when none)."""
        cells = self._full.get(key)
        keys = [k for _, k in self._all_columns]
        if cells is None or column not in keys or keys.index(column) >= len(cells):
            return ""
        c = cells[keys.index(column)]
        return c.plain if isinstance(c, Text) else str(c)

    def shown_cells(self, key: str) -> dict[str, Cell] | None:
        """The row as on screen: each visible column's key with its (perhaps cut) value."""
        cells = self._cells.get(key)
        return None if cells is None else {k: c for (_, k), c in zip(self._columns, cells, strict=False)}

    @property
    def visible_columns(self) -> list[str]:
        """The labels of the columns on screen, in order."""
        return [label for label, _ in self._columns]

    @property
    def hidden_columns(self) -> list[str]:
        """The labels of the columns dropped to fit."""
        shown = {k for _, k in self._columns}
        return [label for label, k in self._all_columns if k not in shown]

    def show(self, given: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        self._in_show = True
        try:
            self._show_given(given)
            self._measure_now()
        finally:
            self._in_show = False
        self._repaint_changed_lines()

    def _repaint(self) -> None:
        """Repaint the whole table, or, within `show`, leave it to the lines' comparison at its end."""
        if not self._in_show:
            self.refresh()

    def _repaint_changed_lines(self) -> None:
        """Repaint the visible lines that would now show something else than when they were last
        rendered (another row, another version of it, a cursor come or gone), a region per run
        of lines; everything when the scroll, the column widths or the styles changed. Rows that
        came, went or moved off screen, and rows that changed there, repaint nothing."""
        frame = self._frame() if self.is_mounted and self.size else None
        if frame is None or frame != self._painted_frame:
            self.refresh()
            return
        scroll_y = self.scroll_offset.y
        top = scroll_y + (self.header_height if self.show_header else 0)
        width = self.size.width
        runs: list[list[int]] = []
        for y in range(top, scroll_y + self.size.height):
            if self._painted.get(y) != self._line_state(y):
                if runs and runs[-1][1] == y:
                    runs[-1][1] = y + 1
                else:
                    runs.append([y, y + 1])
        if runs:
            self.refresh(*(Region(0, a - scroll_y, width, b - a) for a, b in runs))

    def _frame(self) -> tuple:
        """What every rendered line depends on besides its row (see _painted)."""
        scroll_x = self.scroll_offset.x
        return (scroll_x, self.scroll_offset.y, self.size, tuple(c.get_render_width(self) for c in self.ordered_columns),
                self.get_pseudo_class_state(), self.show_cursor, self._show_hover_cursor, self.zebra_stripes,
                self.cursor_type, self.fixed_columns, self.fixed_rows)

    def _line_state(self, y: int) -> tuple:
        """What content line `y` shows: its row, that row's version and position, and whether
        the cursor or the mouse is on it (a blank line past the last row shows nothing)."""
        try:
            row_key, line_in_row = self._get_offsets(y)
        except LookupError:
            return ()
        row = self._row_locations.get(row_key)
        return (row_key.value, self._row_versions.get(row_key.value), line_in_row, row,
                row == self.cursor_coordinate.row, row == self.hover_coordinate.row)

    def _measure_now(self) -> None:
        """Measure what `show` added or widened now, as DataTable does when next idle: the new
        rows and column widths then reach the screen in the frame that shows the new cells,
        not in a second one redrawn right after it."""
        if not all(hasattr(self, a) for a in _IDLE_ATTRS):  # pragma: no cover - a Textual release moved them
            return
        if self._counting:  # the widths follow the counts, whatever changed
            self._require_update_dimensions = False
            self._new_rows.clear()
            self._update_dimensions(())
            return
        if self._updated_cells:
            updated = self._updated_cells.copy()
            self._updated_cells.clear()
            self._update_column_widths(updated)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _show_given(self, given: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        rows = [(k, tuple(cells)) for k, cells in given]
        self._given = rows
        self._full = dict(rows)
        plan = self._plan(rows)
        if plan is None:  # not laid out (or hidden): the next resize fits it
            if self._columns == self._all_columns:
                self._show(rows)
            return
        visible = [self._all_columns[i] for i in plan.visible]
        shown = self._clip(rows, plan)
        if visible == self._columns and not self._relabel:
            narrower = not self._counting and self._too_wide(plan)
            self._show(shown)
            if narrower:  # DataTable's own measuring only ever widens a column: add the rows again
                self._rebuild(shown, [k for k, _ in shown])
            return
        self._relabel = False
        # a column comes or goes, or a header changed: start over
        keep, row = self.selected_key, self.cursor_row
        self.clear(columns=True)
        self._columns = visible
        self._keys, self._cells = [], {}
        for label, key in visible:
            self.add_column(self._label(label, key), key=key)
        self._show(shown)
        if keep is None or not self.select_key(keep):
            self._restore_cursor(None, row)

    def _plan(self, rows: list[tuple[str, tuple[Cell, ...]]]) -> ColumnPlan | None:
        self._measure(rows)
        available = self.size.width - 1  # the vertical scrollbar's cell
        if available <= 0 or not self._all_columns:
            return None
        self.fitted_to = available
        keys, labels, natural, filled = self._widths
        return plan_columns(keys, labels, natural, available, self._fit, 2 * self.cell_padding, self._zoomed(),
                            filled)

    def _measure(self, rows: list[tuple[str, tuple[Cell, ...]]]) -> None:
        """Each column's label width, widest value and whether any row has a value in it (a cell
        that is blank or "—" has none), remembered for `wanted_width`."""
        keys = [k for _, k in self._all_columns]
        labels = [cell_len(self._label(label, k)) for label, k in self._all_columns]
        n = len(labels)
        measured = self._measured
        self._measured = fresh = {}
        widths: list[tuple[int, ...]] = [tuple(labels)]
        values: list[tuple[bool, ...]] = [(False,) * n]
        for key, cells in rows:
            m = measured.get(key)
            if m is None or not _same(m[0], cells):
                as_shown = tuple(shown(c) for c in cells[:n])
                m = (cells, tuple(c.cell_len if isinstance(c, Text) else cell_len(c) for c in as_shown)
                     + (0,) * (n - len(cells)), tuple(_has_value(c) for c in cells[:n]) + (False,) * (n - len(cells)),
                     as_shown)
            fresh[key] = m
            widths.append(m[1])
            values.append(m[2])
        natural = list(map(max, zip(*widths, strict=True)))  # column by column, in one pass
        filled = list(map(any, zip(*values, strict=True)))
        self._widths = (keys, labels, natural, filled)

    def wanted_width(self) -> tuple[int, int]:
        """(least, whole) cells the table needs: its key columns whole, or every column whole
        (tui.widgets.fit.wanted_width), plus the vertical scrollbar's cell."""
        keys, labels, natural, filled = self._widths
        if not keys:
            return (1, 1)
        least, whole = wanted_width(keys, labels, natural, self._fit, 2 * self.cell_padding, filled)
        return least + 1, whole + 1

    def _clip(self, rows: list[tuple[str, tuple[Cell, ...]]], plan: ColumnPlan) -> list[tuple[str, tuple[Cell, ...]]]:
        """Each row cut to the plan's columns and widths; a row given as before keeps the very
        tuple it had (so comparing it with what is on screen is quick)."""
        fitted = self._fitted
        self._fitted = fresh = {}
        layout = (plan.visible, plan.widths)
        measured = self._measured
        out = []
        for key, cells in rows:
            f = fitted.get(key)
            if f is None or f[1] != layout or not _same(f[0], cells):
                _, natural, _, as_shown = measured[key]  # _measure saw every row first
                f = (cells, layout, tuple(as_shown[i] if natural[i] <= w else clip_cell(as_shown[i], w)
                                          for i, w in zip(plan.visible, plan.widths, strict=True) if i < len(cells)))
            fresh[key] = f
            out.append((key, f[2]))
        return out

    def _zoomed(self) -> bool:
        """Is the table, or the panel it is in, maximized (`z`)? Then it keeps every column."""
        try:
            zoomed = self.screen.maximized
        except Exception:  # not on a screen yet
            return False
        return zoomed is not None and (zoomed is self or zoomed in self.ancestors)

    def _too_wide(self, plan: ColumnPlan) -> bool:
        for i, w in zip(plan.visible, plan.widths, strict=True):
            label, key = self._all_columns[i]
            col = self.columns.get(ColumnKey(key))
            if col is not None and col.content_width > max(w, cell_len(self._label(label, key))):
                return True
        return False

    def on_resize(self, event) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self._given is not None:
            self.show(self._given)

    def refit(self) -> None:
        """Fit the rows last given to the table as it is now (zoomed or not)."""
        self._refit()

    @property
    def fitted(self) -> bool:
        """Are the columns fitted to the table's current width?"""
        return self.fitted_to == self.size.width - 1

    def _show(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        keys = [k for k, _ in rows]
        if keys == self._keys:
            self._update_cells(rows)
            return
        wanted = set(keys)
        gone = [k for k in self._keys if k not in wanted]
        came = len(keys) - (len(self._keys) - len(gone))
        if self._key_column is None or not self._keys or len(gone) + came > max(len(keys), len(self._keys)) // 2:
            self._rebuild(rows, keys)
            return
        keep = self.selected_key
        before = set(self._keys)
        self._remove_rows(gone)
        for key in gone:
            del self._cells[key]
        self._update_cells([(k, c) for k, c in rows if k in self._cells])
        for key, cells in rows:
            if key not in self._cells:
                self._cells[key] = tuple(cells)
                self.add_row(*cells, key=key)
        order = [k for k in self._keys if k in wanted] + [k for k in keys if k not in before]
        self._keys = keys
        if order != keys:
            self._reorder(keys)
        self._restore_cursor(keep)

    def _reorder(self, keys: list[str]) -> None:
        """Put the rows in the order of `keys`. DataTable.sort sees only the (perhaps cut) values,
        so this sets the row positions by key the way sort does; without those internals, the
        key column's values are sorted on (they are the keys whenever that column is not cut)."""
        position = {k: i for i, k in enumerate(keys)}
        if TwoWayDict is None or not hasattr(self, "_row_locations"):  # pragma: no cover
            if self._key_column is not None:  # without a key column there is nothing to sort on
                self.sort(self._key_column, key=lambda shown: position.get(str(shown), len(keys)))
            return
        self._row_locations = TwoWayDict({rk: position[rk.value] for rk in self._row_locations})
        self._update_count += 1
        self._repaint()

    def _remove_rows(self, keys: list[str]) -> None:
        """remove_row for several rows at once. DataTable.remove_row renumbers every row, so
        removing k of n rows one by one is O(k*n), and lays the whole screen out again for each;
        this does what it does in one pass (the same bookkeeping, on the same attributes), with a
        layout only when the table's size follows its content, falling back to it when those
        attributes are not there."""
        batch = len(keys) >= BATCH_REMOVE or not sized_by_content(self)  # else Textual's own, one at a time
        if not batch or TwoWayDict is None or not all(hasattr(self, a) for a in _REMOVE_ATTRS):
            for key in keys:
                self.remove_row(key)
            return
        gone = set(keys)
        for key in keys:
            if key not in self._row_locations:
                raise RowDoesNotExist(f"Row key {key!r} is not valid.")
        kept = sorted((self._row_locations.get(k), k) for k in self._row_locations if k not in gone)
        for key in keys:
            rk = RowKey(key)  # hashes and compares as its string
            self._count_row(rk, self._widths_counted.remove)
            for column_key in self._data.get(rk, {}):
                self._updated_cells.discard(CellKey(rk, column_key))
            del self.rows[rk]
            del self._data[rk]
            self._row_versions.pop(key, None)
        self._row_locations = TwoWayDict({k: i for i, (_, k) in enumerate(kept)})
        self._require_update_dimensions = True
        self.check_idle()
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        if sized_by_content(self):
            self.refresh(layout=True)  # the scrollable size follows when next idle
        else:
            self._repaint()

    def _update_cells(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        self._pending_rows = set()  # repainted once at the end, not once per cell
        try:
            for key, cells in rows:
                old = self._cells.get(key)
                cells = tuple(cells)
                if old == cells:
                    continue
                for (_, col), new, was in zip(self._columns, cells, old or (), strict=False):
                    if new != was:
                        with contextlib.suppress(CellDoesNotExist, RowDoesNotExist):
                            self.update_cell(key, col, new, update_width=not self._counting)
                self._cells[key] = cells
        finally:
            changed, self._pending_rows = self._pending_rows, None
            self._repaint_rows(changed)

    def _repaint_rows(self, changed: set) -> None:
        """Repaint the rows whose cells were set (a region each; the whole table when many
        changed: each row's region costs a walk over the rows above it)."""
        if not changed:
            return
        self._update_count += 1
        if self._in_show:
            return
        if len(changed) > ROW_REPAINTS:
            self.refresh()
            return
        for rk in changed:
            at = self._row_locations.get(rk)
            if at is not None:
                self.refresh_row(at)

    def _rebuild(self, rows: Sequence[tuple[str, Sequence[Cell]]], keys: list[str]) -> None:
        keep = self.selected_key
        old_row = self.cursor_row
        self.clear(columns=False)
        self._keys = keys
        self._cells = {}
        for key, cells in rows:
            self._cells[key] = tuple(cells)
            self.add_row(*cells, key=key)
        self._restore_cursor(keep, old_row)

    def _restore_cursor(self, keep: str | None, old_row: int | None = None) -> None:
        if keep is not None and keep in self._cells:
            self.move_cursor(row=self._keys.index(keep), animate=False)
        elif self._keys:
            row = self.cursor_row if old_row is None else old_row
            self.move_cursor(row=min(max(row, 0), len(self._keys) - 1), animate=False)

    # Rendered cells, kept across updates (see the class docstring).

    def _bump(self, key) -> None:
        self._version += 1
        self._row_versions[key.value if hasattr(key, "value") else key] = self._version

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None):
        if label is not None or height != 1:
            self._counting = False  # DataTable measures such rows its own way from now on
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        self._bump(row_key)
        self._count_row(row_key, self._widths_counted.add)
        return row_key

    def remove_row(self, row_key) -> None:
        self._count_row(RowKey(row_key) if isinstance(row_key, str) else row_key, self._widths_counted.remove)
        super().remove_row(row_key)

    def _count_row(self, row_key, count) -> None:
        """`count` (ColumnWidths.add or remove) each cell of the row as DataTable holds it."""
        if self._counting:
            console = self.app.console
            for column_key, value in self._data.get(row_key, {}).items():
                if value is not None:
                    count(column_key, _cell_measure(console, value))

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        """DataTable.update_cell, repainting only the cell's row (DataTable repaints the table)."""
        if not _HAS_ROW_INTERNALS or not all(hasattr(self, a) for a in _UPDATE_ATTRS):
            super().update_cell(row_key, column_key, value, update_width=update_width)
            self._bump(row_key)
            return
        rk = RowKey(row_key) if isinstance(row_key, str) else row_key
        ck = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        if rk not in self._row_locations or ck not in self._column_locations:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
        if self._counting:
            console = self.app.console
            old = self._data[rk].get(ck)
            if old is not None:
                self._widths_counted.remove(ck, _cell_measure(console, old))
            self._widths_counted.add(ck, _cell_measure(console, value))
        self._data[rk][ck] = value
        if update_width:
            self._updated_cells.add(CellKey(rk, ck))
            self._require_update_dimensions = True
        self._bump(rk)
        if self._pending_rows is not None:  # within _update_cells: repainted when it ends
            self._pending_rows.add(rk)
        else:
            self._repaint_rows({rk})

    def add_column(self, *args, **kwargs):
        self._forget_rendered()
        return super().add_column(*args, **kwargs)

    def clear(self, columns: bool = False):
        self._row_versions.clear()
        self._widths_counted.clear()
        return super().clear(columns)  # which forgets the rendered cells

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._forget_rendered()

    def notify_style_update(self) -> None:
        self._forget_rendered()
        super().notify_style_update()

    def _update_dimensions(self, new_rows) -> None:
        # Textual measures new rows and widened cells when the table is next idle, but keeps the
        # lines it drew before at the old widths (its line cache is keyed by the update count,
        # which measuring does not bump): a frame drawn in between would stay on screen, cut,
        # until the next update.
        if self._counting:
            self._set_counted_widths()
        else:
            super()._update_dimensions(new_rows)
        widths = tuple(c.get_render_width(self) for c in self.columns.values())
        if widths != self._measured_widths:
            self._measured_widths = widths
            self._update_count += 1
            self._repaint()

    def _set_counted_widths(self) -> None:
        """DataTable._update_dimensions for rows of one line with no label: every column as wide
        as its header or its widest cell (from the counts, so a column narrows as soon as its
        widest cell goes, as in a table built afresh, without measuring it again; DataTable
        renders and measures every cell of every new row, and columns only ever widen), and the
        scrollable size."""
        console = self.app.console
        columns = self.ordered_columns
        for c in columns:
            c.content_width = max(_cell_measure(console, c.label), self._widths_counted.widest(c.key))
        header = self.header_height if self.show_header else 0
        set_virtual_size(self, Size(sum(c.get_render_width(self) for c in columns) + self._row_label_column_width,
                                    sum(r.height for r in self.rows.values()) + header))  # _total_row_height, unsorted

    def _forget_rendered(self) -> None:
        self._rendered.clear()
        if hasattr(self, "_lines"):
            self._lines.clear()

    def render_lines(self, crop):
        frame = self._frame()
        self._column_widths = frame[3]
        if frame != self._painted_frame:
            self._painted_frame = frame
            self._painted = {}
        # DataTable works out the widget's style, its background and its components' styles
        # again for every line (each walks the widget's ancestors): once per render is enough
        self._line_style = self.rich_style
        self._pass_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = self._pass_styles = None

    def get_component_styles(self, *names: str):
        styles = super().get_component_styles(*names)
        kept = self._pass_styles
        if kept is None:
            return styles
        got = kept.get(names)
        if got is None:
            got = kept[names] = _KeptRichStyle(styles)
        return got

    @property
    def background_colors(self):
        kept = self._pass_styles
        if kept is None:
            return super().background_colors
        got = kept.get("background")
        if got is None:
            got = kept["background"] = super().background_colors
        return got

    def render_line(self, y: int) -> Strip:
        """DataTable.render_line, with the widget's style worked out once per render_lines."""
        style = self._line_style
        if style is None or self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.header_height if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, style)

    def _render_line(self, y: int, x1: int, x2: int, base_style) -> Strip:
        if not _HAS_ROW_INTERNALS or self.cursor_type != "row" or self.fixed_columns:
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, line_in_row = self._get_offsets(y)
        except LookupError:
            self._painted[y] = ()
            return super()._render_line(y, x1, x2, base_style)
        if row_key is not self._header_row_key:
            self._painted[y] = self._line_state(y)
        version = self._row_versions.get(row_key.value) if row_key is not self._header_row_key else None
        if version is None or line_in_row:
            return super()._render_line(y, x1, x2, base_style)
        row = self._row_locations.get(row_key)
        if row is None:
            return super()._render_line(y, x1, x2, base_style)
        key = (version, row % 2, self.show_cursor and row == self.cursor_coordinate.row,
               self._show_hover_cursor and row == self.hover_coordinate.row, x1, x2, self.size.width,
               self._column_widths, base_style, self._pseudo_class_state, self.zebra_stripes)
        kept = self._lines.get(key)
        if kept is None:
            self._meta_free = True  # the cells' positions are dropped with the line's: no need to set them
            try:
                kept = super()._render_line(y, x1, x2, base_style).discard_meta()
            finally:
                self._meta_free = False
            self._lines[key] = kept
        # where the mouse finds the row (a row cursor needs no column: the whole row is selected)
        return kept.apply_meta({"row": row, "column": 0})

    def _render_cell(self, row_index: int, column_index: int, base_style, width: int,
                     cursor: bool = False, hover: bool = False):
        try:
            row_key = self._row_locations.get_key(row_index)
            column_key = self._column_locations.get_key(column_index)
            data = self._data.get(row_key) if row_key is not None else None
            value = _value_key(data.get(column_key) if data is not None and column_key is not None else None)
            row = self.rows.get(row_key) if row_key is not None else None
        except AttributeError:  # pragma: no cover - a Textual release moved DataTable's bookkeeping
            value = row = None
        if row_index < 0 or column_index < 0 or value is None or row is None or row.height != 1:
            # the header and row labels, a value that is not text, a row of more lines: as DataTable does
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # kept by what the cell shows, not by row: a row that moved or changed elsewhere, and every
        # row showing the same value in this column, reuse the rendering
        key = (value, base_style, width, cursor, hover, row_index < self.fixed_rows, column_index < self.fixed_columns,
               self._cell_settings())
        kept = self._rendered.get(key)
        if kept is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._rendered[key] = (row_index, column_index, lines)
            return lines
        if self._meta_free or (kept[0], kept[1]) == (row_index, column_index):
            return kept[2]
        # the same cells, pointing at this position (DataTable puts it in their style, for the mouse)
        return _at(kept[2], row_index, column_index)

    def _cell_settings(self) -> tuple:
        """The table's settings a rendered cell depends on (read once per render: each is a
        reactive attribute, slow to read for every cell)."""
        kept = self._pass_styles
        got = kept.get("cell settings") if kept is not None else None
        if got is None:
            got = (self._show_hover_cursor, self._pseudo_class_state, self.show_cursor, self.cell_padding,
                   self.cursor_foreground_priority, self.cursor_background_priority)
            if kept is not None:
                kept["cell settings"] = got
        return got

    def _render_line_in_row(self, row_key, line_no: int, base_style, cursor_location, hover_location):
        """DataTable._render_line_in_row for a data row of a table with a row cursor and neither
        row labels nor fixed columns (this table's rows), with the column widths and the table's
        settings read once per render instead of once per cell."""
        row_index = self._row_locations.get(row_key)
        if (self._pass_styles is None or row_index is None or self.fixed_columns or self.cursor_type != "row"
                or self._should_render_row_labels):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        row_style = self._get_row_style(row_index, base_style)
        cursor = row_index == cursor_location.row
        hover = row_index == hover_location.row
        render_cell = self._render_cell
        cells = [render_cell(row_index, i, row_style, w, cursor=cursor, hover=hover)[line_no]
                 for i, w in enumerate(self._column_widths)]
        show_hover, _, show_cursor = self._cell_settings()[:3]
        extend, _ = self._get_styles_to_render_cell(False, False, False, (row_index or 0) == hover_location.row, cursor,
                                                     show_cursor, show_hover, False, False)
        extend = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        cells.append([Segment(" " * max(0, self.size.width - sum(self._column_widths)), extend)])
        return [], cells

    def select_key(self, key: str) -> bool:
        if key in self._keys:
            self.move_cursor(row=self._keys.index(key), animate=False)
            return True
        return False


_HAS_ROW_INTERNALS = all(callable(getattr(DataTable, m, None)) for m in ("_get_offsets", "_render_line"))
_IDLE_ATTRS = ("_updated_cells", "_update_column_widths", "_require_update_dimensions", "_new_rows")  # DataTable._on_idle's
_HAS_DIMENSION_INTERNALS = isinstance(getattr(DataTable, "_total_row_height", None), property) and isinstance(
    getattr(DataTable, "_row_label_column_width", None), property)
_DIMENSION_ATTRS = ("_data", "_row_locations", "_require_update_dimensions", "_update_count")
_UPDATE_ATTRS = ("_data", "_row_locations", "_column_locations", "_updated_cells", "_require_update_dimensions",
                 "_update_count", "_header_row_key")


class _KeptRichStyle:
    """A component's styles, with its rich style worked out once (for one render of a table)."""

    __slots__ = ("_styles", "rich_style")

    def __init__(self, styles) -> None:
        self._styles = styles
        self.rich_style = styles.rich_style

    def __getattr__(self, name: str):
        return getattr(self._styles, name)


def _at(lines: list[list[Segment]], row: int, column: int) -> list[list[Segment]]:
    """Rendered cell `lines` with the position DataTable puts in their style (for the mouse)
    set to `row` and `column`."""
    meta = Style.from_meta({"row": row, "column": column})
    return [[Segment(text, meta if style is None else style + meta, control) for text, style, control in line]
            for line in lines]


def _value_key(value) -> tuple | None:
    """What a cell shows, hashable: a str (read as markup) or a rich Text with its spans and
    styles; None for any other value (rendered without keeping)."""
    if isinstance(value, str):
        return (True, value)
    if isinstance(value, Text):
        return (False, value.plain, tuple(value.spans), value.style, value.justify, value.overflow, value.no_wrap,
                value.end, value.tab_size)
    return None


def _has_value(c: Cell) -> bool:
    text = c.plain if isinstance(c, Text) else c
    return text.strip() not in ("", "—")


def _same(a: tuple, b: tuple) -> bool:
    return a is b or a == b


_MEASURED: LRUCache = LRUCache(8192)  # (is a str, its text) -> width: a screenful of distinct values, many times over


def _cell_measure(console, value) -> int:
    """The width DataTable gives a cell's value (its markup read, its first line), remembered
    by value: a rich Text's width is its plain text's, whatever its style."""
    if isinstance(value, str):
        key: tuple = (True, value)
    elif isinstance(value, Text):
        key = (False, value.plain)
    else:
        return measure(console, _renderable(value), 1)
    w = _MEASURED.get(key)
    if w is None:
        w = _MEASURED[key] = measure(console, _renderable(value), 1)
    return w


def _renderable(value: Cell):
    if _formatter is not None:
        return _formatter(value, wrap=False, height=1)
    return Text.from_markup(value) if isinstance(value, str) else value
