"""The city picker of an API attach: the supervisor's cities (`/v0/cities`), one a row with
whether it runs, the supervisor's status for it and its error; Enter attaches to the highlighted
city, `r` reads the list again, Escape goes back to the city shown (or leaves when none is).

The list is read on a worker thread through a callable the app gives (it never blocks the
screen); every name and text from the supervisor is shown with control characters escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from core.guards.safetext import printable
from tui.faults import Guarded

COLUMNS = ("city", "running", "status", "error")


class CityPickerScreen(Guarded, ModalScreen[str | None]):
    """Dismisses with the chosen city's name, or None (Escape with a city still shown)."""

    DEFAULT_CSS = """
    CityPickerScreen { align: center middle; }
    #picker { width: 90%; height: 70%; border: thick $accent; background: $surface; padding: 1 2; }
    #picker-about { margin-bottom: 1; }
    #picker-table { height: 1fr; }
    #picker-hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Back", id="picker_cancel"),
                Binding("r", "reload", "Reload", id="picker_reload"),
                Binding("q", "quit_app", "Quit", id="picker_quit")]

    def __init__(self, lister: Callable[[], tuple], *, supervisor: str, current: str | None = None) -> None:
        """`lister()` returns (health or None, cities, problems) or raises an ApiError."""
        super().__init__()
        self.lister = lister
        self.supervisor = supervisor
        self.current = current
        self.loaded = 0  # lists shown (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("reading the supervisor's cities …", id="picker-about")
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
            yield Label("enter: attach · r: reload · esc: back · q: quit", id="picker-hint")

    def on_mount(self) -> None:
        box = self.query_one("#picker")
        box.border_title = f"Cities of {printable(self.supervisor)}"
        table = self.query_one(DataTable)
        for c in COLUMNS:
            table.add_column(c, key=c)
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one("#picker-about", Label).update("reading the supervisor's cities …")
        self._load()

    @work(thread=True, exclusive=True, group="city-picker", exit_on_error=False)
    def _load(self) -> None:
        from core.attach.api.client import ApiError

        try:
            result = self.lister()
        except ApiError as e:
            self.app.call_from_thread(self._failed, str(e))
            return
        self.app.call_from_thread(self._show, *result)

    def _failed(self, message: str) -> None:
        self.query_one("#picker-about", Label).update(Text(f"the supervisor did not answer: {printable(message)} "
                                                            "(r: try again)", style="bold red"))
        self.loaded += 1

    def _show(self, health, cities, problems) -> None:
        about = (f"{printable(health.version)} · {health.cities_running} of {health.cities_total} cities running"
                 if health is not None else "no /health answer")
        if problems:
            about += f" · {len(problems)} field(s) of the wrong type read as empty"
        self.query_one("#picker-about", Label).update(about)
        table = self.query_one(DataTable)
        table.clear()
        for c in cities:
            run = Text("running", style="green") if c.running else Text("stopped", style="yellow")
            name = Text(printable(c.name), style="bold" if c.name == self.current else "")
            table.add_row(name, run, printable(c.status), Text(printable(c.error), style="red"), key=c.name)
        if self.current and any(c.name == self.current for c in cities):
            table.move_cursor(row=table.get_row_index(self.current))
        if not cities:
            self.query_one("#picker-about", Label).update(about + " · the supervisor runs no city")
        self.loaded += 1

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.dismiss(str(event.row_key.value))

    def action_cancel(self) -> None:
        if self.current is None:
            self.app.exit()
        else:
            self.dismiss(None)

    def action_quit_app(self) -> None:
        self.app.exit()
