"""Every private Textual name citywatch relies on, in one place.

KeyedTable (tui/widgets/keyed_table.py) keeps rendered cells across updates and removes or
reorders many rows in one pass; both need DataTable's private bookkeeping. Each use has a slower
public fallback, so a Textual release that moves one of these names degrades speed, not
correctness; `missing()` names what moved, and tests/tui/test_textual_internals.py fails loudly
on it so the move is seen before a release.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

try:
    from textual._two_way_dict import TwoWayDict  # the row-position mapping of DataTable
except ImportError:  # pragma: no cover - a Textual release moved it
    TwoWayDict = None  # type: ignore[assignment,misc]
try:
    from textual.widgets._data_table import default_cell_formatter  # a cell value as a renderable
except ImportError:  # pragma: no cover - a Textual release moved it
    default_cell_formatter = None  # type: ignore[assignment]
try:
    from textual._compositor import CompositorUpdate  # a screen update, as the terminal gets it
except ImportError:  # pragma: no cover - a Textual release moved it
    CompositorUpdate = None  # type: ignore[assignment,misc]
try:
    from textual.widgets._toast import ToastHolder, ToastRack  # the notification toasts' containers
except ImportError:  # pragma: no cover - a Textual release moved them
    ToastHolder = ToastRack = None  # type: ignore[assignment,misc]

# The App method that hands each screen update to the driver: `citywatch bench` (tui/bench_keys.py)
# has a headless app turn every update into terminal bytes there, as a terminal's driver would.
APP_METHODS = ("_display", "_handle_exception")
# The safety net for faults (tui/faults.py) takes over the App's last-resort handler, which is
# private, and sets the exit code it would have set.
APP_ATTRIBUTES = ("_return_code",)

# Private DataTable attributes (set on every instance) and methods KeyedTable reads or overrides.
DATATABLE_ATTRIBUTES = ("_row_locations", "_column_locations", "_data", "_updated_cells",
                        "_require_update_dimensions", "_update_count", "_show_hover_cursor",
                        "_pseudo_class_state", "_header_row_key", "_total_row_height", "_row_label_column_width",
                        "_new_rows")
# (_scroll_update is any scrolling widget's: set_virtual_size below uses it for the event log too)
DATATABLE_METHODS = ("_render_cell", "_clear_caches", "_update_dimensions", "_render_line", "_get_offsets",
                     "_update_column_widths", "_scroll_update")

# ToastRack.show drops the toast of a notification that expired before its own timer fired, but
# keeps the ToastHolder around it: an app that notifies every few seconds gathers empty holders
# (each with its render caches) for as long as it runs. `tidy_toast_racks` removes them too.
TOAST_RACK_METHODS = ("show", "_toast_id")

# The attribute textual.reactive keeps an object's data-bound watchers in (`_watch` creates it),
# and the flags a message pump sets as it closes: the Footer (tui/widgets/footer.py) drops the
# watchers of keys that closed, which Textual's Footer keeps for ever.
REACTIVE_WATCHERS = "__watchers"
NODE_CLOSE_FLAGS = ("_closing", "_closed")


def sized_by_content(widget: Any) -> bool:
    """Does the widget's own size follow its content (an `auto` width or height)? Unset means
    it fills the room it is given."""
    styles = widget.styles
    return any(d is not None and d.is_auto for d in (styles.width, styles.height))


def set_virtual_size(widget: Any, size: Any) -> None:
    """Set a scrolling widget's scrollable size. Setting `virtual_size` lays the whole screen out
    again (every panel redrawn), which a widget whose own size does not follow its content (a
    `1fr` height) does not need: its scrollbars are updated in place instead, as Textual does
    when it resizes a widget without a layout (`Widget._size_updated`). A scrollbar that appears
    or goes still lays the screen out (Textual does that itself)."""
    if size == widget.virtual_size:
        return
    if sized_by_content(widget) or not callable(getattr(widget, "_scroll_update", None)):
        widget.virtual_size = size
        return
    from textual.widget import Widget

    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)


def missing() -> list[str]:
    """The private names above that the installed Textual no longer has (empty when all are
    where citywatch expects them)."""
    out = []
    if TwoWayDict is None:
        out.append("textual._two_way_dict.TwoWayDict")
    if default_cell_formatter is None:
        out.append("textual.widgets._data_table.default_cell_formatter")
    if CompositorUpdate is None:
        out.append("textual._compositor.CompositorUpdate")
    if ToastRack is None:
        out.append("textual.widgets._toast.ToastRack, ToastHolder")
    else:
        out += [f"ToastRack.{m}" for m in TOAST_RACK_METHODS if not callable(getattr(ToastRack, m, None))]
    from textual.app import App

    out += [f"App.{m}" for m in APP_METHODS if not callable(getattr(App, m, None))]
    app: App[None] = App()
    out += [f"App.{a}" for a in APP_ATTRIBUTES if not hasattr(app, a)]
    table: DataTable[Any] = DataTable()
    out += [f"DataTable.{a}" for a in DATATABLE_ATTRIBUTES if not hasattr(table, a)]
    out += [f"DataTable.{m}" for m in DATATABLE_METHODS if not callable(getattr(DataTable, m, None))]
    out += [f"MessagePump.{f}" for f in NODE_CLOSE_FLAGS if not isinstance(getattr(table, f, None), bool)]
    if not _reactive_keeps_watchers_in(REACTIVE_WATCHERS):
        out.append(f"textual.reactive {REACTIVE_WATCHERS}")
    return out


def _reactive_keeps_watchers_in(attr: str) -> bool:
    """Whether textual.reactive still registers watchers under `attr` (read from its source, as
    the attribute only exists once a watcher is registered)."""
    import inspect

    from textual import reactive

    try:
        return repr(attr) in inspect.getsource(reactive) or f'"{attr}"' in inspect.getsource(reactive)
    except (OSError, TypeError):  # pragma: no cover - no source shipped
        return False


def tidy_toast_racks() -> None:
    """Make every ToastRack remove a stale toast's holder with it (see TOAST_RACK_METHODS), so
    the toasts on screen are only those of live notifications. Idempotent; without the private
    names (a Textual release moved them) it changes nothing."""
    if ToastRack is None or ToastHolder is None or getattr(ToastRack.show, "_tidies_holders", False):
        return
    if not all(callable(getattr(ToastRack, m, None)) for m in TOAST_RACK_METHODS):
        return  # pragma: no cover - a Textual release changed the rack
    show = ToastRack.show

    def show_and_tidy(rack: Any, notifications: Any) -> None:
        show(rack, notifications)
        live = {rack._toast_id(n) for n in notifications}
        for holder in list(rack.children):
            if isinstance(holder, ToastHolder) and holder.id not in live:
                holder.remove()

    show_and_tidy._tidies_holders = True  # type: ignore[attr-defined]
    show_and_tidy.__wrapped__ = show  # type: ignore[attr-defined]
    ToastRack.show = show_and_tidy  # type: ignore[method-assign,assignment]
