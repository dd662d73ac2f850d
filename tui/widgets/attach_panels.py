"""The shared panels as attach mode shows them: the live city, read-only.

Each is the model-mode panel with what differs when attached: tables that bind only the
controls offered in attach mode (tui.commands), texts that talk about the live controller, and
`show_attached(board)` reading an `AttachBoard` (tui.attach_board), which computed every cell.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from core.history import EventLine
from core.timefmt import format_time
from core.safetext import printable
from tui.attach_board import LIFECYCLE_COLUMNS, AttachBoard, Header, TableRow, short_tick
from tui.commands import ATTACH, bindings
from tui.filtering import matches
from tui.widgets.agents import COLUMNS as AGENT_COLUMNS
from tui.widgets.agents import FIT as AGENT_FIT
from tui.widgets.agents import AgentsPanel
from tui.widgets.deferrals import FIT as DEFERRAL_FIT
from tui.widgets.deferrals import DeferralsPanel
from tui.widgets.events import KIND_STYLE, EventsPanel
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel
from tui.widgets.fit import ColumnFit
from tui.widgets.sessions import COLUMNS as SESSION_COLUMNS
from tui.widgets.sessions import FIT as SESSION_FIT
from tui.widgets.sessions import SessionsPanel, row_cells
from tui.widgets.status import StatusBar
from tui.widgets.why import WhyPanel

ATTACH_KIND_STYLE = dict(KIND_STYLE, trace="", cycle="blue", event="magenta")


class AttachStatusBar(StatusBar):
    """Two lines that never wrap: ATTACHED (read-only), the city, its alarms, drift (and when it
    was computed), warnings, the last traced tick; then how fresh each source is. When a line is
    wider than the screen the tick id shortens to its counter, then the line ends in an ellipsis."""

    _header: Header | None = None

    def show_attached(self, h: Header) -> None:
        self._header = h
        width = self.size.width or 10_000
        first = _header_line(h, full_tick=True)
        if first.cell_len > width:
            first = _header_line(h, full_tick=False)
        second = Text(f" as of {format_time(h.as_of)[11:19]} · ", style="dim")
        second.append(printable(" · ".join(h.sources)), style="dim")
        for line in (first, second):
            line.no_wrap = True
            line.overflow = "ellipsis"
            line.truncate(max(width, 1), overflow="ellipsis")
        self.update(Text("\n").join([first, second]))

    def on_resize(self, event) -> None:
        if self._header is not None:
            self.show_attached(self._header)


def _header_line(h: Header, *, full_tick: bool) -> Text:
    t = Text()
    t.append(" citywatch ", style="bold reverse")
    t.append(" ATTACHED (read-only) ", style="bold black on yellow")
    t.append(f" {printable(h.city)} ", style="bold")
    if h.alarms:
        t.append(f" {h.alarms} alarm{'s' if h.alarms != 1 else ''} ", style="bold white on red")
    else:
        t.append("no alarms", style="green")
    t.append(" · ")
    if h.drift is None:
        t.append("drift ?", style="dim")
    else:
        t.append(f"drift {h.drift}", style="yellow" if h.drift else "green")
        if h.drift_at is not None:
            t.append(f" @{format_time(h.drift_at)[11:19]}", style="dim")
        if h.drift_stale:
            t.append(" (updating)", style="cyan")
    if h.warnings:
        t.append(f" · {h.warnings} warning{'s' if h.warnings != 1 else ''}", style="yellow")
    t.append(" · ")
    t.append(f"rev {h.revision[:8]}" if h.config_loaded else "config not loaded",
             style="dim" if h.config_loaded else "bold red")
    if h.last_tick_id:
        t.append(" · last tick ")
        t.append(h.last_tick_id if full_tick else "…" + short_tick(h.last_tick_id), style="bold")
        t.append(f" {h.last_tick_completion} {h.last_tick_at[11:19]}", style="dim")
    else:
        t.append(" · no traced tick yet", style="yellow")
    return t


class AttachSessionsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("sessions", "template", mode=ATTACH)


class AttachSessionsPanel(SessionsPanel):
    HELP = ("The live sessions: every open session bead and tmux session, joined by session name, with what one "
            "model tick on the live world would do to each. Markers: + the model would start it, - stop or close "
            "it, ~ change its identity or alias, ! its alias is deferred; blank = in sync. `?` runtime: tmux "
            "cannot be listed. `c` switches between all rows and changed rows. The Why panel follows the cursor.")

    def __init__(self) -> None:
        super().__init__()
        self.changed_only = False  # attached, the operator first wants to see every live session

    def compose(self) -> ComposeResult:
        yield Static("", id="sessions-summary")
        yield AttachSessionsTable(SESSION_COLUMNS, key_column="session", fit=SESSION_FIT, id="sessions")

    @property
    def table(self) -> AttachSessionsTable:
        return self.query_one(AttachSessionsTable)

    def show_attached(self, ab: AttachBoard) -> None:
        rows = ab.board.sessions
        self._rows = {r.key: r for r in rows}
        shown = []
        for r in rows:
            if self.changed_only and not r.changed:
                continue
            cells = row_cells(r)
            if matches(self.filter_text, (r.marker, *cells[1:])):
                shown.append((r.key, cells))
        self.table.show(shown)
        self.query_one("#sessions-summary", Static).update(ab.sessions_summary)
        hidden = len(rows) - len(shown)
        mode = "changed rows" if self.changed_only else "all rows"
        hint = f"{hidden} hidden" + (" (c: show all)" if self.changed_only else "") if hidden else ""
        if not rows:
            hint = "no open session beads and no tmux sessions"
        self.status(mode, hint, "" if ab.runtime_observable else "runtime unobservable")


class AttachAgentsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("template", mode=ATTACH)


class AttachAgentsPanel(AgentsPanel):
    HELP = ("Each [[agent]] template of the live city.toml: its identity shape, min..max sessions, the scale_check "
            "count of the controller's last traced cycle (attach never runs scale_check commands), and how many "
            "sessions the model desires, how many beads are open and how many tmux sessions run.")

    def compose(self) -> ComposeResult:
        yield AttachAgentsTable(AGENT_COLUMNS, fit=AGENT_FIT, id="agents")

    @property
    def table(self) -> AttachAgentsTable:
        return self.query_one(AttachAgentsTable)

    def show_attached(self, ab: AttachBoard) -> None:
        agents = ab.board.agents
        rows = []
        for a in agents:
            cells = (a.key + (" (suspended)" if a.suspended else ""), a.shape, a.bounds, a.scale_check,
                     str(a.desired), str(a.open), str(a.running))
            if matches(self.filter_text, cells):
                rows.append((a.key, cells))
        self.table.show(rows)
        hidden = len(agents) - len(rows)
        notes = f"{len(ab.board.warnings)} config notes in Events" if ab.board.warnings else ""
        if not ab.header.config_loaded:
            self.status("city.toml is not loaded")
        elif not agents:
            self.status("no agents in this config", notes)
        else:
            self.status(f"{len(agents)} agents", f"{hidden} hidden" if hidden else "", notes)


DEFERRAL_COLUMNS = [("bead", "bead"), ("session", "session"), ("alias", "alias"), ("holder", "holder"),
                    ("its state", "holder_state"), ("tries", "count"), ("retry at", "next")]
LIFECYCLE_FIT = ColumnFit(priority=("session", "bead", "state", "quarantine", "hold", "conflict", "wakes", "pending",
                                    "circuit"), mins={"session": 12})


class AttachDeferralsPanel(DeferralsPanel):
    """Deferrals, attached: the shared panel with shorter labels and columns that fit."""

    HELP = ("A bead whose alias is deferred: the alias it wants, the bead holding it now (holder) and that "
            "bead's state, how many claims failed (tries), and when the backoff (30s doubling to 30m) allows "
            "the next try (retry at).")

    def compose(self) -> ComposeResult:
        yield KeyedTable(DEFERRAL_COLUMNS, key_column="bead", fit=DEFERRAL_FIT, id="deferrals")

    def show(self, board) -> None:
        rows = []
        for d in board.deferrals:
            cells = (d["bead_id"], d.get("session_name", ""), d["alias"], d["holder"] or "nobody now",
                     d.get("holder_state", "") or "—", str(d["count"]), (d["next_retry_at"] or "now")[11:19] or "now")
            if matches(self.filter_text, cells):
                rows.append((d["bead_id"], cells))
        self.table.show(rows)
        hidden = len(board.deferrals) - len(rows)
        self.status("no deferred aliases" if not board.deferrals else f"{len(board.deferrals)} deferred",
                    f"{hidden} hidden" if hidden else "")


class LifecyclePanel(TablePanel):
    """Trackers, attached: what the controller persists about each session's lifecycle."""

    panel_id = "trackers"
    HELP = ("Each open session's lifecycle as the controller persists it in the bead: state and sleep reason, "
            "failed wakes and context churn, quarantine and hold (with wait_hold / pin_awake), when a pending "
            "create started, the named-session circuit, and the alias it keeps losing with its conflict count. "
            "The controller's in-memory trackers cannot be seen from outside.")

    def __init__(self) -> None:
        super().__init__("Trackers")

    def compose(self) -> ComposeResult:
        yield KeyedTable(LIFECYCLE_COLUMNS, key_column="bead", fit=LIFECYCLE_FIT, id="trackers")

    def show_attached(self, ab: AttachBoard) -> None:
        rows = []
        for r in ab.trackers:
            if matches(self.filter_text, r.cells):
                rows.append((r.key, _styled_cells(r)))
        self.table.show(rows)
        busy = sum(1 for r in ab.trackers if r.level)
        if not ab.trackers:
            self.status("no open sessions")
        else:
            self.status(f"{len(ab.trackers)} sessions", f"{busy} held, quarantined or conflicting" if busy else "")


def _styled_cells(r: TableRow) -> tuple:
    style = {"alarm": "red", "warn": "yellow"}.get(r.level, "")
    return (Text(r.cells[0], style=style), *r.cells[1:]) if style else r.cells


class AttachWhyPanel(WhyPanel):
    HELP = ("Why, for the row selected in Sessions, Drift or Alarms (the table focused last): the whole "
            "difference or alarm, the model's why chain over the live world (the desired entry's rules, the actions "
            "its tick would take, or why a request was rejected), then the identity, alias, slot, demand and "
            "lifecycle fields of the session's bead.")

    def show(self, key, explanation) -> None:
        if key is None or explanation is None:
            self.query_one("#why", Static).update(Text("select a row in the Sessions, Drift or Alarms panel",
                                                       style="dim"))
            self.status("")
            return
        super().show(key, explanation)


def attach_line(line: EventLine) -> Text:
    """An attach event-log line styled by kind: time, kind, text."""
    t = Text(f"{format_time(line.at)[11:19]} ", style="dim")
    t.append(f"{line.kind:<7} ", style=ATTACH_KIND_STYLE.get(line.kind, ""))
    t.append(printable(line.text), style="red" if line.kind == "error" else ("yellow" if line.kind == "warning" else ""))
    return t


def attach_plain(line: EventLine) -> str:
    """An attach event-log line as plain text: time, kind, text."""
    return f"{format_time(line.at)[11:19]} {line.kind:<7} {line.text}"


class AttachEventsPanel(EventsPanel):
    HELP = ("The live city as it happens: Gas City's events (.gc/events.jsonl), the controller's trace decisions "
            "and finished cycles with their real tick ids, and every problem met while reading (a batch whose CRC "
            "does not match, a torn line, an unreadable file, an unknown code) as a warning; reading goes on. New "
            "lines follow at the bottom; scrolling up stops following, `f` or End resumes.")

    def plain(self, ln: EventLine) -> str:
        return attach_plain(ln)

    def styled(self, ln: EventLine) -> Text:
        return attach_line(ln)
