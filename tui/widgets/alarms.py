"""Alarms: the loop alarms of a live city (a city spinning instead of working)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from tui.attach_board import AlarmRow, AttachBoard
from tui.filtering import matches
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("alarm", "kind"), ("subject", "subject"), ("value", "value"), ("at", "threshold"),
           ("what", "message")]

FIT = ColumnFit(priority=("kind", "subject", "value", "threshold", "message"), shrink_first=("message",),
                mins={"kind": 14, "subject": 12, "message": 10})


class AlarmsPanel(TablePanel):
    panel_id = "alarms"
    HELP = ("Loop alarms: an identity that woke too often in the last hour (wakes), pool sessions woken without "
            "ever claiming work (idle_spawns), an alias-conflict counter at or climbing past its limit "
            "(alias_conflict), and a session stuck in start-pending (start_pending). `value` is what was seen, "
            "`at` the threshold (settings: [citywatch.alarms] in citywatch.toml, or --settings FILE).")

    def __init__(self) -> None:
        super().__init__("Alarms")
        self._rows: dict[str, AlarmRow] = {}

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, fit=FIT, id="alarms")

    def show(self, board: AttachBoard) -> None:
        self._rows = {r.key: r for r in board.alarms}
        shown = []
        for r in board.alarms:
            cells = r.cells()
            if matches(self.filter_text, cells):
                shown.append((r.key, (Text(cells[0], style="bold red"), *cells[1:])))
        self.table.show(shown)
        hidden = len(board.alarms) - len(shown)
        self.status(f"{len(board.alarms)} alarms" if board.alarms else "no alarms",
                    f"{hidden} hidden" if hidden else "")

    @property
    def selected(self) -> AlarmRow | None:
        key = self.table.selected_key
        return self._rows.get(key) if key else None
