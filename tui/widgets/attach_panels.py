"""The shared panels as attach mode shows them: the live city, read-only.

Each is the model-mode panel with what differs when attached: tables that bind only the
controls offered in attach mode (tui.commands), texts that talk about the live controller, and
`show_attached(board)` reading an `AttachBoard` (tui.attach_board), which computed every cell.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from core.formats.timefmt import format_time
from core.guards.safetext import printable
from core.views.event_line import EventLine
from tui.attach_board import LIFECYCLE_COLUMNS, AttachBoard, Header, TableRow, short_tick
from tui.commands import ATTACH, bindings
from tui.widgets.agents import COLUMNS as AGENT_COLUMNS
from tui.widgets.agents import FIT as AGENT_FIT
from tui.widgets.agents import AgentsPanel, agent_cells, agents_status, notes_status
from tui.widgets.deferrals import FIT as DEFERRAL_FIT
from tui.widgets.deferrals import DeferralsPanel, deferral_cells
from tui.widgets.events import KIND_STYLE, EventsPanel
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel
from tui.widgets.sessions import COLUMNS as SESSION_COLUMNS
from tui.widgets.sessions import FIT as SESSION_FIT
from tui.widgets.sessions import SessionsPanel
from tui.widgets.status import HeaderLine, Segment, fit_segments
from tui.widgets.why import WhyPanel

ATTACH_KIND_STYLE = dict(KIND_STYLE, trace="", cycle="blue", event="magenta")


class AttachStatusBar(HeaderLine):
    """The attached header: one line that never wraps (ATTACHED (read-only), the city, its
    alarms, drift and when it was computed, warnings, the revision, the last traced tick; the
    least important parts are left out when the line is too wide), and, when the screen has room
    for the full layout, a second line saying how fresh each source is."""

    _header: Header | None = None

    def show_attached(self, h: Header) -> None:
        self._header = h
        self.show_segments(_header_segments(h))

    def _draw(self) -> None:
        width = self.size.width or 200
        first = fit_segments(self._segments, width)
        if self._header is None or not self._two_lines():
            self.styles.height = 1
            self.update(first)
            return
        second = Text(f" as of {format_time(self._header.as_of)[11:19]} · ", style="dim", no_wrap=True,
                      overflow="ellipsis")
        second.append(printable(" · ".join(self._header.sources)), style="dim")
        second.truncate(max(width, 1), overflow="ellipsis")
        self.styles.height = 2
        self.update(Text("\n").join([first, second]))

    def _two_lines(self) -> bool:
        from tui.layout import compact

        w, h = self.app.size
        return not compact(w, h)

    @property
    def full_text(self) -> str:
        head = super().full_text
        if self._header is None:
            return head
        return head + "\n" + " · ".join(self._header.sources)


def _header_segments(h: Header) -> list[Segment]:
    segs = [Segment(Text(" citywatch ", style="bold reverse"), 3, Text("cw", style="bold reverse")),
            Segment(Text(" ATTACHED (read-only) ", style="bold black on yellow"), 0,
                    Text(" ATTACHED ", style="bold black on yellow"), glue=True),
            Segment(Text(printable(h.city), style="bold"), 1, glue=True)]
    if h.alarms:
        segs.append(Segment(Text(f" {h.alarms} alarm{'s' if h.alarms != 1 else ''} ", style="bold white on red"), 0,
                            Text(f" ⚑{h.alarms} ", style="bold white on red")))
    else:
        segs.append(Segment(Text("no alarms", style="green"), 4))
    if h.drift is None:
        drift = Text("drift ?", style="dim")
    else:
        drift = Text(f"drift {h.drift}", style="yellow" if h.drift else "green")
    short = drift.copy()
    if h.drift is not None and h.drift_at is not None:
        drift.append(f" @{format_time(h.drift_at)[11:19]}", style="dim")
    if h.drift_stale:
        drift.append(" (updating)", style="cyan")
    segs.append(Segment(drift, 2, short))
    if h.warnings:
        segs.append(Segment(Text(f"{h.warnings} warning{'s' if h.warnings != 1 else ''}", style="yellow"), 3))
    segs.append(Segment(Text(f"rev {h.revision[:8]}" if h.config_loaded else "config not loaded",
                             style="dim" if h.config_loaded else "bold red"), 5 if h.config_loaded else 1))
    if h.last_tick_id:
        t = Text("last tick ")
        t.append(h.last_tick_id, style="bold")
        t.append(f" {h.last_tick_completion} {h.last_tick_at[11:19]}", style="dim")
        segs.append(Segment(t, 6, Text.assemble("last tick ", ("…" + short_tick(h.last_tick_id), "bold"),
                                                (f" {h.last_tick_completion}", "dim"))))
    else:
        segs.append(Segment(Text("no traced tick yet", style="yellow"), 6))
    return segs


class AttachSessionsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("sessions", "template", mode=ATTACH)


class AttachSessionsPanel(SessionsPanel):
    HELP = ("The live sessions: every open session bead and tmux session, joined by session name, with what one "
            "model tick on the live world would do to each. Markers: + the model would start it, - stop or close "
            "it, ~ change its identity or alias, ! its alias is deferred, × held down (quarantined or circuit "
            "open, until when); blank = in sync. A name on red: a loop alarm is about it. `?` runtime: tmux "
            "cannot be listed. `c` narrows to changed rows and back. The Why panel follows the cursor.")

    def compose(self) -> ComposeResult:
        yield Static("", id="sessions-summary")
        yield AttachSessionsTable(SESSION_COLUMNS, key_column="session", fit=SESSION_FIT, id="sessions")

    @property
    def table(self) -> AttachSessionsTable:
        return self.query_one(AttachSessionsTable)

    def show_attached(self, ab: AttachBoard) -> None:
        rows = ab.board.sessions
        hidden = self.show_sessions(rows, ab.sessions_summary, alarmed=ab.alarmed)
        empty = "" if rows else "no open session beads and no tmux sessions"
        self._status(hidden, empty, "" if ab.runtime_observable else "runtime unobservable")


class AttachAgentsTable(KeyedTable):
    BINDINGS = KeyedTable.BINDINGS + bindings("template", mode=ATTACH)


class AttachAgentsPanel(AgentsPanel):
    HELP = ("Each [[agent]] template of the live city.toml: its identity shape, min..max sessions, the scale_check "
            "count of the controller's last traced cycle (attach never runs scale_check commands), and how many "
            "sessions the model desires, how many beads are open and how many tmux sessions run. Templates that "
            "produce no session (rig-scope templates no rig receives, rig defaults not yet stamped) are greyed, "
            "with the reason.")

    def compose(self) -> ComposeResult:
        yield AttachAgentsTable(AGENT_COLUMNS, fit=AGENT_FIT, id="agents")

    @property
    def table(self) -> AttachAgentsTable:
        return self.query_one(AttachAgentsTable)

    def show_attached(self, ab: AttachBoard) -> None:
        agents = ab.board.agents
        hidden = self.show_rows([(a.key, agent_cells(a)) for a in agents])
        notes = notes_status(ab.board)
        if not ab.header.config_loaded:
            self.status("city.toml is not loaded")
        elif not agents:
            self.status("no agents in this config", notes)
        else:
            self.status(agents_status(ab.board), f"{hidden} hidden" if hidden else "", notes)


DEFERRAL_COLUMNS = [("bead", "bead"), ("session", "session"), ("alias", "alias"), ("holder", "holder"),
                    ("its state", "holder_state"), ("tries", "count"), ("retry at", "next")]
LIFECYCLE_FIT = ColumnFit(priority=("session", "bead", "state", "quarantine", "hold", "conflict", "wakes", "pending",
                                    "circuit"), keys=("session",), mins={"session": 12})


class AttachDeferralsPanel(DeferralsPanel):
    """Deferrals, attached: the shared panel with shorter labels and columns that fit."""

    HELP = ("A bead whose alias is deferred: the alias it wants, the bead holding it now (holder) and that "
            "bead's state, how many claims failed (tries), and when the backoff (30s doubling to 30m) allows "
            "the next try (retry at).")

    def compose(self) -> ComposeResult:
        yield KeyedTable(DEFERRAL_COLUMNS, key_column="bead", fit=DEFERRAL_FIT, id="deferrals")

    def show(self, board) -> None:
        hidden = self.show_rows([(d.bead_id, deferral_cells(d)) for d in board.deferrals])
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
        self.show_rows([(r.key, _styled_cells(r)) for r in ab.trackers])
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
