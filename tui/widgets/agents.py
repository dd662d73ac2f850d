"""Agents: every configured template with its identity shape, bounds and session counts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from core.board import Board
from tui.commands import bindings
from tui.filtering import matches
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel, counted

COLUMNS = [("agent", "agent"), ("shape", "shape"), ("min..max", "bounds"), ("scale", "scale_check"),
           ("desired", "desired"), ("open", "open"), ("running", "running")]

# narrow panels keep the template and its identity shape (a key column), its bounds and what its
# scale_check read, then its counts; the shape shrinks first
FIT = ColumnFit(priority=("agent", "shape", "bounds", "scale_check", "desired", "running", "open"),
                shrink_first=("shape",), mins={"agent": 12, "shape": 10, "scale_check": 9})

SIMULATED = "scale: simulated (n to set)"


class AgentsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("template")


class AgentsPanel(TablePanel):
    panel_id = "agents"
    HELP = ("Each [[agent]] template: its identity shape under the current semantics, min..max sessions, "
            "its scale_check result, and how many sessions are desired, open (beads) and running. The "
            "scale_check value is simulated (n sets it) unless citywatch runs with --run-scale-checks; then "
            "it is what the command printed, or \"partial !\" when the run failed (the Why panel says why).")

    def __init__(self) -> None:
        super().__init__("Agents")

    def compose(self) -> ComposeResult:
        yield AgentsTable(COLUMNS, fit=FIT, id="agents")

    @property
    def table(self) -> AgentsTable:
        return self.query_one(AgentsTable)

    def show(self, board: Board, live_scale_checks: bool = False) -> None:
        rows = []
        for a in board.agents:
            scale = Text(a.scale_check, style="bold red") if a.scale_source == "run" and a.scale_check.startswith(
                "partial") else a.scale_check
            cells = (a.key + (" (suspended)" if a.suspended else ""), a.shape, a.bounds, scale,
                     str(a.desired), str(a.open), str(a.running))
            if matches(self.filter_text, cells):
                rows.append((a.key, cells))
        self.table.show(rows)
        hidden = len(board.agents) - len(rows)
        notes = f"{counted(len(board.warnings), 'config note')} in Events" if board.warnings else ""
        if not board.agents:
            self.status("no agents in this config", notes)
        else:
            self.status(counted(len(board.agents), "agent"), f"{hidden} hidden" if hidden else "",
                        scale_status(board, live_scale_checks), notes)

    @property
    def selected(self) -> str | None:
        return self.table.selected_key


def scale_status(board: Board, live: bool) -> str:
    """Where the scale column's values come from: simulated, or run (and how many failed)."""
    checked = [a for a in board.agents if a.scale_source]
    if not checked:
        return ""
    if not live:
        return SIMULATED
    partial = sum(1 for a in checked if a.scale_source == "run" and a.scale_check.startswith("partial"))
    return "scale: run for real" + (f", {partial} partial" if partial else "")
