"""Events: the actions, decisions and log lines of recent steps, filterable, following new
lines until the operator scrolls up."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import RichLog

from core.history import EventLine
from core.safetext import printable
from tui.commands import bindings
from tui.filtering import matches
from tui.widgets.hanging import Hanging
from tui.widgets.panel import Panel

KIND_STYLE = {"action": "bold", "error": "bold red", "warning": "yellow", "config": "cyan", "trace": "dim",
              "event": "magenta", "step": "blue", "log": ""}


def styled(line: EventLine) -> Text:
    """A model event-log line styled by kind: tick, time, kind, text."""
    t = Text(f"{line.tick:>4} {line.render()[5:14]} ", style="dim")
    t.append(f"{line.kind:<7} ", style=KIND_STYLE.get(line.kind, ""))
    t.append(printable(line.text), style="red" if line.kind == "error" else "")
    return t


def hanging(t: Text, message: str) -> Hanging:
    """An event line whose message, when it wraps, continues under itself (past time and kind)."""
    return Hanging([(t, len(t.plain) - len(message))])


class EventLog(RichLog):
    BINDINGS = [
        Binding("up,k", "scroll_back('up')", "Up", show=False),
        Binding("pageup", "scroll_back('page_up')", "Page up", show=False),
        Binding("home,g", "scroll_back('home')", "Top", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("end,G", "app.follow", "Follow", show=False),
    ] + bindings("events")

    def action_scroll_back(self, how: str) -> None:
        panel = self.panel
        if panel is not None:
            panel.set_follow(False)
        {"up": self.scroll_up, "page_up": self.scroll_page_up, "home": self.scroll_home}[how](animate=False)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        panel = self.panel
        if panel is not None:
            panel.set_follow(False)

    @property
    def panel(self) -> "EventsPanel | None":
        p = self.parent
        return p if isinstance(p, EventsPanel) else None


class EventsPanel(Panel):
    panel_id = "events"
    HELP = ("What each step did: the step itself, actions (create, start, stop, close, defer...), Gas City "
            "events, trace decisions, config reloads and errors. New lines follow at the bottom; scrolling up "
            "stops following, `f` or End resumes.")

    def __init__(self) -> None:
        super().__init__("Events")
        self.follow = True
        self._shown: list[EventLine] = []
        self._pending = 0

    def compose(self) -> ComposeResult:
        yield EventLog(max_lines=5000, wrap=True, markup=False, auto_scroll=False, id="events")

    @property
    def log_widget(self) -> EventLog:
        return self.query_one(EventLog)

    def focus_target(self):
        return self.log_widget

    def set_follow(self, on: bool) -> None:
        self.follow = on
        if on:
            self._pending = 0
            self.log_widget.scroll_end(animate=False)
        self._status()

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self._shown = []  # re-render everything under the new filter

    @property
    def shown_text(self) -> list[str]:
        """The plain text of the lines on screen (the filter applied)."""
        return [self.plain(ln) for ln in self._shown if matches(self.filter_text, (ln.kind, ln.text))]

    def plain(self, ln: EventLine) -> str:
        """One line as plain text."""
        return ln.render()

    def styled(self, ln: EventLine) -> Text:
        """One line as it is drawn."""
        return styled(ln)

    def show(self, lines: list[EventLine]) -> None:
        log = self.log_widget
        start = 0
        if self._shown and lines:
            last = self._shown[-1]
            pos = _last_index(lines, last)
            if pos is None:
                self._shown = []
            else:
                start = pos + 1
        if not self._shown:
            log.clear()
            start = 0
        new = [ln for ln in lines[start:] if matches(self.filter_text, (ln.kind, ln.text))]
        for ln in new:
            log.write(hanging(self.styled(ln), ln.text), scroll_end=self.follow, animate=False)
        if not self.follow:
            self._pending += len(new)
        self._shown = list(lines)
        self._status()

    def _status(self) -> None:
        if self.follow:
            self.status("following")
        else:
            self.status(f"paused: {self._pending} new below (f: follow)")


def _last_index(lines: list[EventLine], target: EventLine) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] is target:
            return i
    return None
