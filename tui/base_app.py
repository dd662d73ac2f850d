"""What both citywatch screens are made of: the model app (tui.app) and the attach apps
(tui.attach_app, tui.api_attach_app) are each a `BaseApp`.

The base holds what does not depend on where the picture comes from: the fault net (a handler
that raises is reported and the app goes on, tui/faults.py), the grid of panels and its layout
for any terminal size (tui.layout), zoom, focus and the compact tabs, the read-only controls of
the control table (filter, sort, jump, copy, help, follow, the changed/all toggle), the palette,
and the settings' keymap and theme. Each app says which panels it has and how to make them, how
to render and explain what it shows, where its pictures come from (`start_sources`), where a
line no step produced goes (`note_event`), and why a control it does not offer is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, CSSPathType, SystemCommand
from textual.command import CommandListItem
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

from core.explain.records import Explanation
from core.settings import Settings
from core.views.roster import AgentDetail
from tui import layout
from tui.commands import CONTROLS, MODEL, PANEL_KEYS, by_id, controls
from tui.faults import FaultBook, Guarded, append_fault_log, guard
from tui.layout import Grid, Want
from tui.screens.dialog import AskDialog
from tui.screens.help import HelpScreen
from tui.textual_internals import tidy_toast_racks
from tui.widgets.agents import AgentsPanel
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.events import EventsPanel
from tui.widgets.footer import Footer
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import Panel, TablePanel
from tui.widgets.sessions import SessionsPanel
from tui.widgets.status import Banner, HeaderLine, TabBar
from tui.widgets.why import WhyPanel

FILL_PANELS = frozenset({"sessions", "events"})  # they take the room the others leave


class BaseApp(Guarded, App):
    """One screen of panels in a grid, with the controls that only read (see the module doc)."""

    CSS_PATH: ClassVar[CSSPathType | None] = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    MODE = MODEL  # which controls are offered (tui.commands)
    GRID: Grid = ()
    # A fault in a handler is reported and the app goes on (tui/faults.py); the test suite sets
    # this so that a fault fails the test that set it off.
    reraise_faults = False

    def __init__(self, settings: Settings | None = None) -> None:
        tidy_toast_racks()  # a watch notifies for hours: expired toasts must not pile up
        super().__init__()
        self.settings = settings or Settings()
        self.renders = 0  # frames drawn (tests count them: held keys must not queue renders)
        self.active_panel = "sessions"  # the panel the compact layout shows
        self._render_pending = False
        self._placed: dict[int, tuple] = {}  # the sizes the layout last gave each widget
        # One explanation (or a template's detail), by what it explains.
        self._why_cache: dict[tuple[int | str, ...], Explanation | AgentDetail] = {}
        self.fault_book = FaultBook()
        self._reporting_fault = False

    # ------------------------------------------------------------------ what each app says
    def present_panels(self) -> list[str]:
        """The ids of the panels this screen has, in grid order."""
        raise NotImplementedError

    def make_panel(self, panel_id: str) -> Panel:
        """A new panel for `panel_id`."""
        raise NotImplementedError

    def make_header(self) -> Widget:
        """The status line at the top (its id is "status")."""
        raise NotImplementedError

    def start_sources(self) -> None:
        """Start what brings new pictures (timers, watchers), once the screen is mounted."""
        raise NotImplementedError

    def refresh_view(self) -> None:
        """Render every panel from the picture shown now."""
        raise NotImplementedError

    def update_why(self) -> None:
        """Show in the Why panel the explanation of the selection it follows."""
        raise NotImplementedError

    def note_event(self, kind: str, text: str) -> None:
        """A line in Events that no step or poll produced."""
        raise NotImplementedError

    def refusal(self, control_id: str) -> str:
        """Why a control is not offered on this screen."""
        raise NotImplementedError

    # ------------------------------------------------------------------ faults
    def report_fault(self, where: str, error: Exception) -> None:
        """A handler raised: say so once (a notification and an `error` line in Events, the
        traceback in the fault log) and carry on from the state the app had. Repeats of the same
        fault are counted, not announced again."""
        if self.reraise_faults:
            raise error
        fault, new = self.fault_book.record(where, error)
        if not new or self._reporting_fault:
            return
        self._reporting_fault = True
        try:
            path = append_fault_log(fault)
            tail = f"; its traceback is in {path}" if path else ""
            self.notify(f"{fault.summary}{tail}", title="internal error: the app goes on", severity="error",
                        timeout=10)
            self.note_event("error", f"internal error: {fault.summary}{tail}")
            self.request_render()
        except Exception:  # reporting must never be what ends the app
            pass
        finally:
            self._reporting_fault = False

    def _handle_exception(self, error: Exception) -> None:
        # The last resort, for a fault outside any guarded handler (drawing, say): end with one
        # line and the fault log's path instead of a screen of traceback.
        if self.reraise_faults or not isinstance(error, Exception):
            super()._handle_exception(error)
            return
        fault, _ = self.fault_book.record("the screen", error)
        path = append_fault_log(fault)
        self._return_code = 1
        tail = f"\nIts traceback is in {path}" if path else ""
        self.panic(Text(f"citywatch stopped on an internal error: {fault.summary}{tail}"))

    def call_from_thread(self, callback: Callable, *args: Any, **kwargs: Any) -> Any:
        return super().call_from_thread(guard(callback, self), *args, **kwargs)

    # One signature for Textual's two overloads: only the callback changes (guarded), the rest is passed on.
    def push_screen(self, screen: Any, callback: Callable | None = None,  # type: ignore[override]
                    wait_for_dismiss: bool = False) -> Any:
        return super().push_screen(screen, callback and guard(callback, self),  # type: ignore[call-overload]
                                   wait_for_dismiss=wait_for_dismiss)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Banner(id="banner")
        yield TabBar(id="tabs")
        yield from self.compose_grid()
        yield Footer(compact=True, show_command_palette=False)

    def compose_grid(self) -> ComposeResult:
        present = set(self.present_panels())
        with Vertical(id="body"):
            for r, row in enumerate(self.GRID):
                with Horizontal(id=f"row-{r}", classes="grid-row"):
                    for c, column in enumerate(row):
                        ids = [p for p in column if p in present]
                        if not ids:
                            continue
                        with Vertical(id=f"col-{r}-{c}", classes="grid-col"):
                            for pid in ids:
                                yield self.make_panel(pid)

    def pin_console_size(self) -> None:
        """Give Rich's console the screen's size. Unset, every measure of a cell (thousands a
        table refresh) asks the operating system for the terminal's size, three system calls
        each; set, a measure reads two numbers. The values are the ones the terminal reports."""
        width, height = self.size
        if width > 0 and height > 0:
            self.console.size = (width, height)

    def on_mount(self) -> None:
        self.pin_console_size()
        self.query_one(Banner).clear_error()
        self.apply_settings()
        self.sessions.focus_target().focus()
        self.refresh_view()
        self.start_sources()
        self.call_after_refresh(self.relayout)

    def on_resize(self, event) -> None:
        self.pin_console_size()
        for p in self.query(TablePanel):
            p.forget_wants()
        self.call_after_refresh(self.relayout)

    def relayout(self) -> bool:
        """Place the panels for the screen's size (tui.layout): sized to their content in a
        grid, or, on a small screen, the active panel alone (with Why under Sessions when there
        is height for both) and a tab bar to reach the others. True when a size changed."""
        width, height = self.size
        if width <= 0 or height <= 0:
            return False
        before = dict(self._placed)
        present = self.present_panels()
        compact = layout.compact(width, height)
        tabs = self.query_one(TabBar)
        tabs.display = compact
        header_lines = sum(w.outer_size.height for w in (self.query_one("#status"), self.query_one(Banner))
                           if w.display) or 1
        body = max(height - header_lines - (1 if compact else 0) - 1, 3)
        if self.active_panel not in present:
            self.active_panel = "sessions"
        shown = layout.shown_in_compact(self.active_panel, body, present) if compact else present
        with self.batch_update():
            if compact:
                order = sorted(present, key=lambda p: PANEL_KEYS.get(p, "9"))
                tabs.show_tabs([(p, PANEL_KEYS.get(p, ""), self.panel(p).title) for p in order], self.active_panel)
            for r, _row in enumerate(self.GRID):
                row_node = self.query_one(f"#row-{r}")
                columns = [col for col in row_node.children]
                row_node.display = any(_panel_ids(col) & set(shown) for col in columns)
                for col in columns:
                    col.display = bool(_panel_ids(col) & set(shown))
            for p in present:
                self.panel(p).display = p in shown
            if compact:
                self._size_compact(shown, body, width)
            else:
                self._size_grid(body, width)
            zoomed = self.screen.maximized
            if isinstance(zoomed, Panel):  # a zoomed panel fills the screen whatever its share was
                self._place(zoomed, "1fr", "1fr")
        changed = self._placed != before
        if changed:  # the tables fit their new sizes once the layout has been applied
            self.call_after_refresh(self._refit_tables)
        return changed

    def _place(self, widget: Widget, width: int | str | None = None, height: int | str | None = None) -> None:
        """Set a widget's size only when it changes (every change costs a layout pass)."""
        last = self._placed.get(id(widget), (None, None))
        width = last[0] if width is None else width
        height = last[1] if height is None else height
        if (width, height) == last:
            return
        self._placed[id(widget)] = (width, height)
        if width is not None:
            widget.styles.width = width
        if height is not None:
            widget.styles.height = height

    def _size_compact(self, shown: list[str], body: int, width: int) -> None:
        heights = [body] if len(shown) == 1 else layout.allocate(body, [Want(body * 3 // 5, body, True),
                                                                        Want(body * 2 // 5, body, True)])
        height_of = dict(zip(shown, heights, strict=False))
        for r, row in enumerate(self.GRID):
            row_node = self.query_one(f"#row-{r}")
            self._place(row_node, None, sum(height_of.get(p, 0) for p in _panel_ids_of(row)) or 1)
            for col in row_node.children:
                self._place(col, width, "1fr")
        for p, h in height_of.items():
            self._place(self.panel(p), width, h)

    def _size_grid(self, body: int, width: int) -> None:
        """Rows share the height by what their panels want; within a row, columns share the width.
        A row whose panels cannot all show their key columns side by side stacks them instead."""
        rows = [self.query_one(f"#row-{r}") for r in range(len(self.GRID))]
        stacked, row_wants = [], []
        for row_node in rows:
            cols = list(row_node.children)
            stack = len(cols) > 1 and sum(_column_width(c).least for c in cols) > width
            stacked.append(stack)
            heights = [_column_height(col) for col in cols]
            if stack:
                row_wants.append(Want(sum(w.least for w in heights), sum(w.whole for w in heights),
                                      fill=any(w.fill for w in heights)))
            else:
                row_wants.append(Want(max((w.least for w in heights), default=3),
                                      max((w.whole for w in heights), default=3), fill=any(w.fill for w in heights)))
        for row_node, h, stack in zip(rows, layout.allocate(body, row_wants), stacked, strict=True):
            self._place(row_node, None, h)
            direction = "vertical" if stack else "horizontal"
            if row_node.styles.layout is None or row_node.styles.layout.name != direction:
                row_node.styles.layout = direction
            cols = list(row_node.children)
            if stack:
                sizes = [(width, ch) for ch in layout.allocate(h, [_column_height(c) for c in cols])]
            else:
                sizes = [(cw, h) for cw in layout.allocate(width, [_column_width(c) for c in cols])]
            for col, (w, ch) in zip(cols, sizes, strict=True):
                self._place(col, w, ch)
                panels = [c for c in col.children if isinstance(c, Panel)]
                panel_heights = layout.allocate(ch, [p.wanted_height() for p in panels]) if len(panels) > 1 else [ch]
                for p, ph in zip(panels, panel_heights, strict=False):
                    self._place(p, w, ph)

    def action_show_panel(self, panel_id: str) -> None:
        """Show and focus a panel (a tab click, or its number key)."""
        self.action_focus_panel(panel_id)

    # ------------------------------------------------------------------ panels
    @property
    def sessions(self) -> SessionsPanel:
        return self.query_one(SessionsPanel)

    @property
    def agents(self) -> AgentsPanel:
        return self.query_one(AgentsPanel)

    @property
    def events_panel(self) -> EventsPanel:
        return self.query_one(EventsPanel)

    def panel(self, panel_id: str) -> Panel:
        return self.query_one(f"#{panel_id}-panel", Panel)

    def has_panel(self, panel_id: str) -> bool:
        return bool(self.query(f"#{panel_id}-panel"))

    def focused_panel(self) -> Panel:
        node: DOMNode | None = self.focused
        while node is not None:
            if isinstance(node, Panel):
                return node
            node = node.parent
        return self.sessions

    # ------------------------------------------------------------------ rendering
    def request_render(self) -> None:
        """Render once the keys already waiting have been handled: a held key moves the view
        as fast as it repeats and the screen shows where it stopped (renders never queue)."""
        if not self._render_pending:
            self._render_pending = True
            self.call_later(self._render_requested)

    def _render_requested(self) -> None:
        self._render_pending = False
        self.refresh_view()

    def follow_focus(self, panel: Panel) -> None:
        """The focused panel is the active one (the one a small screen shows); focusing the Why
        panel shown under Sessions keeps the pair."""
        pid = panel.panel_id
        if pid and pid != self.active_panel:
            paired = layout.shown_in_compact(self.active_panel, self.size.height, self.present_panels())
            if pid not in paired or pid != "why":
                self.active_panel = pid
            self.call_after_refresh(self.relayout)

    def announce_alarms(self, raised) -> None:
        """A notification per new alarm (one for all when there are many), and the bell when the
        settings ask for it."""
        if not raised:
            return
        if len(raised) > 3:
            kinds = ", ".join(sorted({a.kind for a in raised}))
            self.notify(f"{len(raised)} new loop alarms ({kinds}): see the Alarms panel and Events",
                        title="loop alarms", severity="error", timeout=10)
        else:
            for a in raised:
                until = f" (until {a.until[11:19]})" if a.until and a.until[11:19] not in a.message else ""
                self.notify(f"{a.subject}: {a.message}{until}", title=f"loop alarm: {a.kind}", severity="error",
                            timeout=10)
        if self.settings.bell:
            self.bell()

    def action_refuse(self, control_id: str) -> None:
        """A key this mode does not offer: say why instead of doing nothing."""
        c = by_id(control_id)
        self.notify(f"{c.title} ({c.help.rstrip('.')}): {self.refusal(c.id)}", title="not offered here",
                    severity="warning")

    # ------------------------------------------------------------------ panels, filter, sort, jump, help
    def action_focus_panel(self, panel_id: str) -> None:
        if not self.has_panel(panel_id):
            self.notify(f"no {panel_id} panel here" + (": a scenario with [[expect]] blocks has one"
                                                       if panel_id == "checks" else ""), severity="warning")
            return
        self.active_panel = panel_id
        self.panel(panel_id).focus_target().focus()
        self.relayout()

    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.maximize(self.focused_panel(), container=False)
        self.relayout()
        self.call_after_refresh(self._refit_tables)  # a zoomed table shows every column, even at the same size

    def _refit_tables(self) -> None:
        for t in self.query(KeyedTable):
            t.refit()

    def action_toggle_changed(self) -> None:
        s = self.sessions
        s.changed_only = not s.changed_only
        self.refresh_view()

    def action_follow(self) -> None:
        self.events_panel.set_follow(True)

    def _table_panel(self) -> TablePanel | None:
        panel = self.focused_panel()
        return panel if isinstance(panel, TablePanel) else None

    def action_sort_next(self) -> None:
        panel = self._table_panel()
        if panel is None:
            self.notify("sort: focus a table first", severity="warning")
            return
        column = panel.next_sort()
        label = next((lb for lb, k in panel.table.all_columns if k == column), column)
        self.notify(f"{panel.title} sorted by {label or 'marker'}" if column else f"{panel.title}: its own order")
        self.refresh_view()

    def action_sort_reverse(self) -> None:
        panel = self._table_panel()
        if panel is None or panel.sort_column is None:
            self.notify("reverse: sort a table first (o, or click a column's header)", severity="warning")
            return
        panel.sort_by(panel.sort_column, not panel.sort_reverse)
        self.refresh_view()

    def action_filter(self) -> None:
        panel = self.focused_panel()
        if isinstance(panel, WhyPanel):
            panel = self.sessions

        def done(value: str | None) -> None:
            if value is None:
                return
            panel.set_filter(value)
            self.refresh_view()

        self.push_screen(AskDialog(f"Filter {panel.title}", "show rows containing (!text hides them)",
                                   panel.filter_text), done)

    def action_clear_filter(self) -> None:
        panel = self.focused_panel()
        if panel.filter_text:
            panel.set_filter("")
            self.refresh_view()

    def jump_targets(self) -> list[tuple[str, str, str]]:
        """(panel id, row key, what it shows) of every row a jump can land on."""
        out = [("sessions", k, f"session {k}") for k in self.sessions.all_keys()]
        out += [("agents", k, f"template {k}") for k in self.agents.all_keys()]
        return out

    def action_jump(self) -> None:
        items: list[CommandListItem] = [(label, partial(self.jump_to, pid, key)) for pid, key, label in
                                        self.jump_targets()]
        self.search_commands(items, placeholder="Jump to a session or template (fuzzy)…")

    def jump_to(self, panel_id: str, key: str) -> bool:
        """Put the cursor on row `key` of `panel_id` (showing it: the filter and `c` that hid it
        are cleared) and focus that panel."""
        panel = self.panel(panel_id)
        if not isinstance(panel, TablePanel):
            return False
        if key not in panel.table.row_keys:
            panel.set_filter("")
            if isinstance(panel, SessionsPanel):
                panel.changed_only = False
            self.refresh_view()
        self.action_focus_panel(panel_id)
        return panel.table.select_key(key)

    def selected_name(self) -> str:
        """The name the operator has selected in the focused panel ("" when none)."""
        panel = self.focused_panel()
        if isinstance(panel, WhyPanel):
            return panel.shown_key or ""
        if isinstance(panel, AlarmsPanel):
            a = panel.selected
            return a.subject if a else ""
        if isinstance(panel, TablePanel):
            return panel.selected_name()
        return ""

    def action_copy(self) -> None:
        name = self.selected_name()
        if not name:
            self.notify("copy: select a row first", severity="warning")
            return
        self.copy_to_clipboard(name)
        self.notify(f"copied {name}", title="clipboard")

    def action_help(self) -> None:
        panel = self.focused_panel()
        self.push_screen(HelpScreen(panel.panel_id, str(panel.title), panel.HELP, self.MODE,
                                    status=self.query_one("#status", HeaderLine).full_text, keymap=dict(self._keymap)))

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        for c in controls(self.MODE):
            if c.id in ("quit", "help", "palette") or c.action.startswith("focus_panel("):
                continue
            yield SystemCommand(c.title, c.help, partial(self.run_action, c.action))

    # ------------------------------------------------------------------ settings: keymap, theme
    def apply_settings(self) -> None:
        """Use the settings file's keymap (by binding id) and theme; keep the theme there when the
        operator changes it."""
        s = self.settings
        if s.keymap:
            known = {c.id for c in CONTROLS}
            unknown = sorted(k for k in s.keymap if k not in known)
            if unknown:
                msg = (f"{s.path}: citywatch.keymap: unknown binding id(s) {', '.join(unknown)} (the ids are in "
                       "the help screen, ?)")
                self.notify(msg, title="keymap", severity="warning", timeout=8)
                self.note_event("warning", msg)
            self.set_keymap({k: v for k, v in s.keymap.items() if k in known})
        if s.theme:
            if s.theme in self.available_themes:
                self.theme = s.theme
            else:
                self.notify(f"{s.path}: citywatch.theme: no theme named {s.theme!r}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme) -> None:
        from core.settings import save_theme

        s = self.settings
        if not s.path or theme.name == s.theme:
            return
        try:
            save_theme(s.path, theme.name)
        except OSError as e:
            self.notify(f"the theme could not be kept in {s.path}: {e.strerror or e}", severity="warning")
            return
        self.settings = Settings(s.path, theme.name, s.bell, s.export_dir, s.keymap, s.thresholds)


def _panel_ids(node: Widget) -> set[str]:
    return {p.panel_id for p in node.query(Panel)} | ({node.panel_id} if isinstance(node, Panel) else set())


def _panel_ids_of(row: tuple[tuple[str, ...], ...]) -> list[str]:
    return [p for col in row for p in col]


def _column_width(col: Widget) -> Want:
    """A column's width claim: the widest of its visible panels; it fills if one of them does."""
    panels = [p for p in col.children if isinstance(p, Panel)]
    if not panels:
        return Want(1, 1)
    wants = [p.wanted_width() for p in panels]
    fill = any(p.panel_id in FILL_PANELS for p in panels)
    return Want(max(w.least for w in wants), max(w.whole for w in wants), fill)


def _column_height(col: Widget) -> Want:
    """A column's height claim: its panels stacked."""
    panels = [p for p in col.children if isinstance(p, Panel)]
    wants = [p.wanted_height() for p in panels]
    return Want(sum(w.least for w in wants), sum(w.whole for w in wants),
                any(p.panel_id == "events" for p in panels))
