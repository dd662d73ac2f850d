"""Deferrals: beads waiting for an alias another bead holds, with their retry backoff."""

from __future__ import annotations

from textual.app import ComposeResult

from core.views.board import Board
from core.views.state_json import AliasDeferral
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("bead", "bead"), ("session", "session"), ("wants alias", "alias"), ("held by", "holder"),
           ("holder state", "holder_state"), ("attempts", "count"), ("next retry", "next")]

FIT = ColumnFit(priority=("bead", "session", "alias", "holder", "next", "count", "holder_state"),
                keys=("session", "alias"), mins={"alias": 12})


def deferral_cells(d: AliasDeferral) -> tuple:
    """One deferral's cells: bead, session, alias, holder, its state, attempts, next retry."""
    return (d.bead_id, d.session_name, d.alias, d.holder or "nobody now",
            d.holder_state or "—", str(d.count), (d.next_retry_at or "now")[11:19] or "now")


class DeferralsPanel(TablePanel):
    panel_id = "deferrals"
    HELP = ("A bead whose alias is deferred: the alias it wants, the bead holding it now and that bead's "
            "state, how many claims failed, and when the backoff (30s doubling to 30m) allows the next try.")

    def __init__(self) -> None:
        super().__init__("Deferrals")

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, key_column="bead", fit=FIT, id="deferrals")

    def show(self, board: Board) -> None:
        hidden = self.show_rows([(d.bead_id, deferral_cells(d)) for d in board.deferrals])
        self.status("no deferred aliases" if not board.deferrals else f"{len(board.deferrals)} deferred",
                    f"{hidden} hidden" if hidden else "")
