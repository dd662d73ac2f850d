"""Sessions: desired against actual, one row per session, Terraform-style markers."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from core.views.board import Board
from core.views.plan import CHANGE, DEFER, HOLD, START, STOP, SessionRow
from tui.commands import bindings
from tui.layout import Want
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("", "marker"), ("session", "session"), ("identity", "identity"), ("alias", "alias"),
           ("template", "template"), ("state", "state"), ("runtime", "runtime"), ("slot", "slot"), ("bead", "bead"),
           ("source", "source"), ("why", "reason")]
# the names are key columns: they are never cut while another column can give way; what happens to
# the session (state, runtime) comes next, then the template, why, and the bookkeeping columns
FIT = ColumnFit(priority=("marker", "session", "identity", "alias", "state", "runtime", "template", "reason", "bead",
                          "slot", "source"),
                shrink_first=("reason", "source"), keys=("session", "identity", "alias", "template"),
                mins={"reason": 16, "state": 8})
MARKER_STYLE = {START: "bold green", STOP: "bold red", CHANGE: "bold yellow", DEFER: "bold magenta", HOLD: "bold red"}
CHANGED_STYLE = "bold yellow"  # a row that changed in the last step (for a moment)
ALARM_STYLE = "bold white on dark_red"  # a row a loop alarm is about


def row_cells(r: SessionRow, *, changed: bool = False, alarm: bool = False) -> tuple:
    """The sessions table's cells for a row: the marker styled, the name marked when the row
    changed in the last step or a loop alarm is about it."""
    marker = Text(r.marker, style=MARKER_STYLE.get(r.marker, ""))
    name: str | Text = r.key
    if alarm:
        name = Text(r.key, style=ALARM_STYLE)
    elif changed:
        name = Text(r.key, style=CHANGED_STYLE)
    return (marker, name, r.identity, r.alias, r.template, r.bead_state, r.runtime, r.slot, r.bead_id, r.source,
            r.reason)


def _empty_hint(board: Board, tick: int | None) -> str:
    """What an operator can do about an empty Sessions panel."""
    if not any(not a.inactive for a in board.agents):
        return "no sessions: the config defines no agents"
    if not tick:
        return "no sessions yet (s: step a tick)"
    return "no sessions: nothing is desired (w on a template adds work)"


class SessionsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("sessions", "template")


class SessionsPanel(TablePanel):
    panel_id = "sessions"
    EXTRA_LINES = 1  # the count line
    HELP = ("Desired against actual, every session. Markers: + to start, - to stop or close, ~ identity or alias "
            "change, ! alias deferred, × held down (quarantined after a crash loop, circuit breaker open, or an "
            "operator hold: the why column says until when); blank = in sync. A name in yellow changed in the last "
            "step; on red, a loop alarm is about it. The first line counts them. `c` narrows to changed rows (a "
            "marker, or changed in the last step) and back. Sort with `o` (next column), `O` (reverse) or a header "
            "click. The Why panel follows the cursor.")

    def __init__(self) -> None:
        super().__init__("Sessions")
        self.changed_only = False
        self._rows: dict[str, SessionRow] = {}
        self._made: dict[str, tuple[SessionRow, bool, bool, tuple]] = {}  # the cells last made for each row
        self._summary: str | None = None  # the count line shown

    def compose(self) -> ComposeResult:
        yield Static("", id="sessions-summary")
        yield SessionsTable(COLUMNS, key_column="session", fit=FIT, id="sessions")

    @property
    def table(self) -> KeyedTable:  # the attach panel shows an attach-mode table instead
        return self.query_one(SessionsTable)

    def show_sessions(self, rows: list[SessionRow], summary: str, *, changed: Collection[str] = (),
                      highlight: Collection[str] = (), alarmed: Collection[str] = ()) -> int:
        """Render `rows` (every row, or with `c` only the changed ones: a marker, or in `changed`,
        the keys of rows the last step changed); rows in `highlight` are marked for a moment,
        rows whose bead is in `alarmed` carry a loop alarm. Returns how many rows are hidden."""
        self._rows = {r.key: r for r in rows}
        made, self._made = self._made, {}
        shown = []
        for r in rows:
            if self.changed_only and not (r.changed or r.key in changed):
                continue
            moved = r.key in highlight
            alarm = bool(r.bead_id) and r.bead_id in alarmed
            was = made.get(r.key)
            if was is not None and was[0] == r and was[1] == moved and was[2] == alarm:
                cells = was[3]  # an unchanged row: the same cells
            else:
                cells = row_cells(r, changed=moved, alarm=alarm)
            self._made[r.key] = (r, moved, alarm, cells)
            shown.append((r.key, cells))
        hidden = len(rows) - len(shown) + self.show_rows(shown, lambda k, c: (c[0].plain, *c[1:]))
        if summary != self._summary:
            # a layout only when the line wraps to another number of lines
            width = max(self.size.width - 2, 20)
            layout = self._summary is None or _wraps(summary, width) != _wraps(self._summary, width)
            self._summary = summary
            self.query_one("#sessions-summary", Static).update(summary, layout=layout)
        return hidden

    def show(self, board: Board, tick: int | None = None, *, changed: Collection[str] = (),
             highlight: Collection[str] = (), alarmed: Collection[str] = ()) -> None:
        """Render `board`; `tick` (the viewed frame's) picks the hint shown when nothing is there."""
        hidden = self.show_sessions(board.sessions, board.summary.line(), changed=changed, highlight=highlight,
                                    alarmed=alarmed)
        self.show_status(board, tick, hidden)

    def show_status(self, board: Board, tick: int | None, hidden: int) -> None:
        """The subtitle: all or changed rows, how many are hidden, or what to do when there are none."""
        self._status(hidden, "" if board.sessions else _empty_hint(board, tick))

    def _status(self, hidden: int, empty: str = "", *extra: str) -> None:
        mode = "changed rows" if self.changed_only else "all rows"
        hint = f"{hidden} hidden" + (" (c: show all)" if self.changed_only else "") if hidden else ""
        self.status(mode, empty or hint, *extra)

    def all_keys(self) -> list[str]:
        """Every row's key, shown or hidden by `c` or the filter."""
        return list(self._rows)

    def wanted_height(self) -> Want:
        """As any table, plus the count line (two lines when it wraps)."""
        want = super().wanted_height()
        summary = self.query_one("#sessions-summary", Static)
        width = max(self.size.width - 2, 20)
        extra = _wraps(str(summary.content), width)  # lines past the one EXTRA_LINES counts
        return Want(want.least + extra, want.whole + extra, want.fill)

    @property
    def selected(self) -> SessionRow | None:
        key = self.table.selected_key
        return self._rows.get(key) if key else None

    def row(self, key: str) -> SessionRow | None:
        return self._rows.get(key)


def _wraps(line: str, width: int) -> int:
    """The lines `line` takes beyond its first at `width` cells."""
    return max(len(line) - 1, 0) // width
