"""Agents: every configured template with its identity shape, bounds and session counts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from core.views.board import Board
from core.views.roster import AgentRow
from tui.commands import bindings
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel, counted

COLUMNS = [("agent", "agent"), ("shape", "shape"), ("min..max", "bounds"), ("scale", "scale_check"),
           ("desired", "desired"), ("open", "open"), ("running", "running"), ("note", "note")]

# the template and its identity shape are key columns (never cut while another column can give
# way); then its bounds and what its scale_check read, then its counts; the note says why a
# greyed template produces no session (the Why panel says it too)
FIT = ColumnFit(priority=("agent", "shape", "bounds", "scale_check", "desired", "running", "open", "note"),
                shrink_first=("note",), keys=("agent", "shape"), mins={"scale_check": 9, "note": 12})

SIMULATED = "scale: simulated (n to set)"
INACTIVE_STYLE = "dim italic"


def agent_cells(a: AgentRow, scale: str | Text | None = None) -> tuple:
    """The Agents table's cells for one template; a template that produces no session is greyed."""
    cells = (a.key + (" (suspended)" if a.suspended else ""), a.shape, a.bounds,
             a.scale_check if scale is None else scale, str(a.desired), str(a.open), str(a.running), a.note)
    if a.inactive:
        return tuple(Text(str(c), style=INACTIVE_STYLE) for c in cells)
    return cells


class AgentsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("template")


class AgentsPanel(TablePanel):
    panel_id = "agents"
    HELP = ("Each [[agent]] template: its identity shape under the current semantics, min..max sessions, "
            "its scale_check result, and how many sessions are desired, open (beads) and running. Templates "
            "the config declares but that produce no session (rig-scope templates no rig receives, rig defaults "
            "not yet stamped) are greyed, with the reason in the note column and the Why panel. The "
            "scale_check value is simulated (n sets it) unless citywatch runs with --run-scale-checks; then "
            "it is what the command printed, or \"partial !\" when the run failed (the Why panel says why).")

    def __init__(self) -> None:
        super().__init__("Agents")

    def compose(self) -> ComposeResult:
        yield AgentsTable(COLUMNS, fit=FIT, id="agents")

    @property
    def table(self) -> KeyedTable:  # the attach panel shows an attach-mode table instead
        return self.query_one(AgentsTable)

    def show(self, board: Board, live_scale_checks: bool = False) -> None:
        rows = []
        for a in board.agents:
            scale = Text(a.scale_check, style="bold red") if a.scale_source == "run" and a.scale_check.startswith(
                "partial") else a.scale_check
            rows.append((a.key, agent_cells(a, scale)))
        hidden = self.show_rows(rows)
        if not board.agents:
            self.status("no agents in this config", notes_status(board))
        else:
            self.status(agents_status(board), f"{hidden} hidden" if hidden else "",
                        scale_status(board, live_scale_checks), notes_status(board))

    @property
    def selected(self) -> str | None:
        return self.table.selected_key


def agents_status(board: Board) -> str:
    """`6 agents`, or `8 agents (2 produce no session)`."""
    idle = sum(1 for a in board.agents if a.inactive)
    return counted(len(board.agents), "agent") + (f" ({idle} produce no session)" if idle else "")


def notes_status(board: Board) -> str:
    """How many config notes there are (they are in Events, as `config show` lists them)."""
    return f"{counted(len(board.warnings), 'config note')} in Events" if board.warnings else ""


def scale_status(board: Board, live: bool) -> str:
    """Where the scale column's values come from: simulated, or run (and how many failed)."""
    checked = [a for a in board.agents if a.scale_source]
    if not checked:
        return ""
    if not live:
        return SIMULATED
    partial = sum(1 for a in checked if a.scale_source == "run" and a.scale_check.startswith("partial"))
    return "scale: run for real" + (f", {partial} partial" if partial else "")
