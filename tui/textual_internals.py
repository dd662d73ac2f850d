"""Every private Textual name citywatch relies on, in one place.

KeyedTable (tui/widgets/keyed_table.py) keeps rendered cells across updates and removes or
reorders many rows in one pass; both need DataTable's private bookkeeping. Each use has a slower
public fallback, so a Textual release that moves one of these names degrades speed, not
correctness; `missing()` names what moved, and tests/tui/test_textual_internals.py fails loudly
on it so the move is seen before a release.
"""

from __future__ import annotations

from textual.widgets import DataTable

try:
    from textual._two_way_dict import TwoWayDict  # the row-position mapping of DataTable
except ImportError:  # pragma: no cover - a Textual release moved it
    TwoWayDict = None  # type: ignore[assignment,misc]
try:
    from textual.widgets._data_table import default_cell_formatter  # a cell value as a renderable
except ImportError:  # pragma: no cover - a Textual release moved it
    default_cell_formatter = None  # type: ignore[assignment]

# Private DataTable attributes (set on every instance) and methods KeyedTable reads or overrides.
DATATABLE_ATTRIBUTES = ("_row_locations", "_column_locations", "_data", "_updated_cells",
                        "_require_update_dimensions", "_update_count", "_show_hover_cursor",
                        "_pseudo_class_state")
DATATABLE_METHODS = ("_render_cell", "_clear_caches")


def missing() -> list[str]:
    """The private names above that the installed Textual no longer has (empty when all are
    where citywatch expects them)."""
    out = []
    if TwoWayDict is None:
        out.append("textual._two_way_dict.TwoWayDict")
    if default_cell_formatter is None:
        out.append("textual.widgets._data_table.default_cell_formatter")
    table = DataTable()
    out += [f"DataTable.{a}" for a in DATATABLE_ATTRIBUTES if not hasattr(table, a)]
    out += [f"DataTable.{m}" for m in DATATABLE_METHODS if not callable(getattr(DataTable, m, None))]
    return out
