"""Drift: every difference between one model tick on the live world and what the controller has."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from tui.attach_board import AttachBoard, DriftRow
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("", "marker"), ("kind", "kind"), ("subject", "subject"), ("bead", "bead"),
           ("model expects", "model"), ("controller has", "controller")]
FIT = ColumnFit(priority=("marker", "subject", "model", "controller", "kind", "bead"), keys=("subject",),
                shrink_first=("model", "controller"), mins={"subject": 12, "model": 16, "controller": 16})
MARKER_STYLE = {"+": "bold green", "-": "bold red", "~": "bold yellow", "≠": "bold magenta"}


class DriftPanel(TablePanel):
    """The two sides are cut to fit the panel (the Why panel shows the selected row whole)."""

    panel_id = "drift"
    HELP = ("Where the model and the live controller disagree: one model tick runs on a copy of the live world and "
            "each difference reads \"model expects X, controller has Y\". + a session the model would start or a "
            "desired session without a bead, - one it would stop or does not desire, ~ an alias or bead state it "
            "would change, ≠ a count that differs from the controller's last traced cycle (its tick id is in the "
            "panel's footer). The Why panel shows the whole difference and the model's why chain for the selected "
            "row. Differences are facts to explain, not verdicts: the controller's beads can trail its runtime by a "
            "tick.")

    def __init__(self) -> None:
        super().__init__("Drift")
        self._rows: dict[str, DriftRow] = {}

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, fit=FIT, id="drift")

    def show(self, board: AttachBoard) -> None:
        self._rows = {r.key: r for r in board.drift}
        hidden = self.show_rows([(r.key, (Text(r.marker, style=MARKER_STYLE.get(r.marker, "")), *r.cells()[1:]))
                                 for r in board.drift])
        if board.drift_error:
            self.status(f"unavailable: {board.drift_error}")
            return
        tick = next((r.tick_id for r in board.drift if r.tick_id), "")
        head = f"{len(board.drift)} differences" if board.drift else "the model agrees with the controller"
        self.status(head, f"vs tick {tick}" if tick else "", f"{hidden} hidden" if hidden else "",
                    *board.drift_notes)

    def selected_name(self) -> str:
        row = self.selected
        return row.subject if row is not None else ""

    @property
    def selected(self) -> DriftRow | None:
        key = self.table.selected_key
        return self._rows.get(key) if key else None
