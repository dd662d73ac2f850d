"""Sessions: desired against actual, one row per session, Terraform-style markers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from core.board import Board
from core.plan import CHANGE, DEFER, START, STOP, SessionRow
from tui.commands import bindings
from tui.filtering import matches
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("", "marker"), ("session", "session"), ("source", "source"), ("identity", "identity"),
           ("alias", "alias"), ("slot", "slot"), ("bead", "bead"), ("state", "state"), ("runtime", "runtime"),
           ("why", "reason")]
# narrow panels drop from the end of `priority`: what happens to the session and why come before
# how it is named; the source, then the long why text, shrink first
FIT = ColumnFit(priority=("marker", "session", "state", "runtime", "reason", "identity", "alias", "bead", "slot",
                          "source"),
                shrink_first=("source", "reason"), mins={"session": 12, "reason": 16, "identity": 12, "alias": 10})
MARKER_STYLE = {START: "bold green", STOP: "bold red", CHANGE: "bold yellow", DEFER: "bold magenta"}


def row_cells(r: SessionRow) -> tuple:
    """The sessions table's cells for a row, the marker styled."""
    marker = Text(r.marker, style=MARKER_STYLE.get(r.marker, ""))
    return (marker, r.key, r.source, r.identity, r.alias, r.slot, r.bead_id, r.bead_state, r.runtime, r.reason)


def _empty_hint(board: Board, tick: int | None) -> str:
    """What an operator can do about an empty Sessions panel."""
    if not board.agents:
        return "no sessions: the config defines no agents"
    if not tick:
        return "no sessions yet (s: step a tick)"
    return "no sessions: nothing is desired (w on a template adds work)"


class SessionsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("sessions", "template")


class SessionsPanel(TablePanel):
    panel_id = "sessions"
    HELP = ("Desired against actual. Markers: + to start, - to stop or close, ~ identity or alias change, "
            "! alias deferred; blank = in sync. The first line counts them. `c` switches between changed rows "
            "and all rows. The Why panel follows the cursor.")

    def __init__(self) -> None:
        super().__init__("Sessions")
        self.changed_only = True
        self._rows: dict[str, SessionRow] = {}
        self._made: dict[str, tuple[SessionRow, tuple]] = {}  # the cells last made for each row

    def compose(self) -> ComposeResult:
        yield Static("", id="sessions-summary")
        yield SessionsTable(COLUMNS, key_column="session", fit=FIT, id="sessions")

    @property
    def table(self) -> SessionsTable:
        return self.query_one(SessionsTable)

    def show(self, board: Board, tick: int | None = None) -> None:
        """Render `board`; `tick` (the viewed frame's) picks the hint shown when nothing is there."""
        self._rows = {r.key: r for r in board.sessions}
        made, self._made = self._made, {}
        shown = []
        for r in board.sessions:
            if self.changed_only and not r.changed:
                continue
            was = made.get(r.key)
            cells = was[1] if was is not None and was[0] == r else row_cells(r)  # an unchanged row: the same cells
            self._made[r.key] = (r, cells)
            if matches(self.filter_text, (r.marker, *cells[1:])):
                shown.append((r.key, cells))
        self.table.show(shown)
        self.query_one("#sessions-summary", Static).update(board.summary.line())
        hidden = len(board.sessions) - len(shown)
        mode = "changed rows" if self.changed_only else "all rows"
        hint = f"{hidden} hidden (c: show all)" if hidden and self.changed_only else (f"{hidden} hidden" if hidden else "")
        if not board.sessions:
            hint = _empty_hint(board, tick)
        self.status(mode, hint)

    @property
    def selected(self) -> SessionRow | None:
        key = self.table.selected_key
        return self._rows.get(key) if key else None
