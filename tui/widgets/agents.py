"""Agents: every configured template with its identity shape, bounds and session counts."""

from __future__ import annotations

from textual.app import ComposeResult

from core.board import Board
from tui.commands import bindings
from tui.filtering import matches
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import Panel, counted

COLUMNS = [("agent", "agent"), ("shape", "shape"), ("min..max", "bounds"), ("scale", "scale_check"),
           ("desired", "desired"), ("open", "open"), ("running", "running")]

# narrow panels keep the template and its counts; its shape shrinks first
FIT = ColumnFit(priority=("agent", "desired", "running", "open", "bounds", "shape", "scale_check"),
                shrink_first=("shape",), mins={"agent": 12, "shape": 10})


class AgentsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("template")


class AgentsPanel(Panel):
    panel_id = "agents"
    HELP = ("Each [[agent]] template: its identity shape under the current semantics, min..max sessions, "
            "the simulated scale_check result, and how many sessions are desired, open (beads) and running.")

    def __init__(self) -> None:
        super().__init__("Agents")

    def compose(self) -> ComposeResult:
        yield AgentsTable(COLUMNS, fit=FIT, id="agents")

    @property
    def table(self) -> AgentsTable:
        return self.query_one(AgentsTable)

    def focus_target(self):
        return self.table

    def show(self, board: Board) -> None:
        rows = []
        for a in board.agents:
            cells = (a.key + (" (suspended)" if a.suspended else ""), a.shape, a.bounds, a.scale_check,
                     str(a.desired), str(a.open), str(a.running))
            if matches(self.filter_text, cells):
                rows.append((a.key, cells))
        self.table.show(rows)
        hidden = len(board.agents) - len(rows)
        notes = f"{counted(len(board.warnings), 'config note')} in Events" if board.warnings else ""
        if not board.agents:
            self.status("no agents in this config", notes)
        else:
            self.status(counted(len(board.agents), "agent"), f"{hidden} hidden" if hidden else "", notes)

    @property
    def selected(self) -> str | None:
        return self.table.selected_key
