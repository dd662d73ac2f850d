"""Trackers: each open session's lifecycle trackers (idle, max age, defer backstop, wake
failures and quarantine, circuit breaker)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.cache import LRUCache

from core.trackers.view import TrackerRow
from core.views.board import Board
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel, counted

COLUMNS = [("bead", "bead"), ("session", "session"), ("idle", "idle"), ("max age", "max_age"),
           ("defer", "defer"), ("wake fail/quar.", "wake_failures"), ("circuit", "circuit")]

ROWS_KEPT = 4096  # rows whose cells are kept: a few frames' worth of a large city's open sessions

FIT = ColumnFit(priority=("session", "bead", "wake_failures", "circuit", "idle", "max_age", "defer"),
                keys=("session",), mins={"session": 12})


def compact(d: Any) -> str:
    """A tracker's state in one cell: its status, then what is due and when (`—` = no state).

    Trackers that are not configured read `off`; times show as HH:MM:SS of virtual time."""
    if not d:
        return "—"
    if not isinstance(d, dict):
        return str(d)
    status = str(d.get("status", "") or "")
    parts = ["off" if status == "disabled" else status] if status else []
    if d.get("limit") not in (None, "") and "count" in d:
        parts.append(f"{d.get('count', 0)}/{d['limit']}")
    for k in ("wake_attempts", "churn_count", "restarts"):
        if d.get(k):
            parts.append(f"{k.split('_')[0]}={d[k]}")
    for k, word in (("deadline", "due"), ("quarantined_until", "until"), ("opened_at", "opened")):
        v = d.get(k)
        if v:
            parts.append(f"{word} {str(v)[11:19] or v}")
    if not parts:
        parts = [f"{k}={v}" for k, v in d.items() if v not in ("", None, False, 0)]
    return " ".join(parts) or "—"


class TrackersPanel(TablePanel):
    panel_id = "trackers"
    HELP = ("Lifecycle trackers per open session, as the controller holds them: idle timeout, max session age, "
            "the assigned-work defer backstop, wake failures and quarantine, and the named-session circuit breaker.")

    def __init__(self) -> None:
        super().__init__("Trackers")
        # a row's cells by the row's trackers (frozen records): a step or a travel step leaves
        # most sessions' trackers as they were, and making the cells reads every field
        self._made: LRUCache = LRUCache(ROWS_KEPT)

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, key_column="bead", fit=FIT, id="trackers")

    def show(self, board: Board) -> None:
        rows = []
        any_state = False
        for t in board.trackers:
            cells, has_state = self._row(t)
            any_state = any_state or has_state
            rows.append((t.bead_id, cells))
        hidden = self.show_rows(rows)
        extra = f"{hidden} hidden" if hidden else ""
        if not board.trackers:
            self.status("no open sessions")
        elif not any_state:
            self.status("no tracker state yet", extra)
        else:
            self.status(counted(len(board.trackers), "session"), extra)

    def _row(self, t: TrackerRow) -> tuple[tuple, bool]:
        kept = self._made.get(t)
        if kept is None:
            kept = self._made[t] = row_cells(t)
        return kept


def row_cells(t: TrackerRow) -> tuple[tuple, bool]:
    """The table's cells for a session's trackers, and whether any tracker holds state."""
    vals = [compact(x.to_json()) for x in t.trackers().values()]
    cells: tuple = (t.bead_id, t.session_name, *vals)
    if "quarantined" in vals[3] or vals[4].startswith("open"):  # a crash loop, or an open circuit
        cells = (Text(cells[0], style="bold red"), *cells[1:])
    return cells, any(v not in ("—", "off") for v in vals)
