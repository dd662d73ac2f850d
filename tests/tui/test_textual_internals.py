"""The private Textual names citywatch relies on are still where it expects them: when a Textual
release moves one, this fails and names it (the app would still run, on slower fallbacks)."""

from __future__ import annotations

from textual.widgets import DataTable

from tui import textual_internals
from tui.widgets.keyed_table import KeyedTable


def test_every_private_textual_name_is_still_there():
    assert textual_internals.missing() == [], "Textual moved these; update tui/textual_internals.py"


def test_missing_notices_a_moved_name(monkeypatch):
    monkeypatch.setattr(textual_internals, "DATATABLE_ATTRIBUTES", ("_row_locations", "_no_such_thing"))
    monkeypatch.setattr(textual_internals, "TwoWayDict", None)
    assert textual_internals.missing() == ["textual._two_way_dict.TwoWayDict", "DataTable._no_such_thing"]


def test_keyed_table_overrides_only_names_that_exist():
    for name in ("_render_cell", "_clear_caches"):
        assert name in vars(KeyedTable) and callable(getattr(DataTable, name))


def test_missing_notices_moved_reactive_and_close_flags(monkeypatch):
    monkeypatch.setattr(textual_internals, "REACTIVE_WATCHERS", "__no_watchers_here")
    monkeypatch.setattr(textual_internals, "NODE_CLOSE_FLAGS", ("_closing", "_no_flag"))
    assert textual_internals.missing() == ["MessagePump._no_flag", "textual.reactive __no_watchers_here"]
