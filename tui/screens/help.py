"""Help for the focused panel: what it shows, then its keys and the global keys."""

from __future__ import annotations

from dataclasses import replace

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.commands import MODEL, key_display, panel_controls
from tui.faults import Guarded


def help_table(panel: str, mode: str = MODEL, keymap: dict[str, str] | None = None) -> Table:
    """A key / what it does / id table of the controls offered with `panel` focused in `mode`;
    `keymap` (binding id -> keys, from the settings file) replaces a control's keys."""
    t = Table(box=None, show_header=True, header_style="bold", expand=True)
    t.add_column("key", no_wrap=True, style="bold cyan")
    t.add_column("what it does")
    t.add_column("id (for a keymap)", style="dim", no_wrap=True)
    for c in panel_controls(panel, mode):
        keys = key_display(replace(c, keys=keymap[c.id])) if keymap and c.id in keymap else key_display(c)
        t.add_row(keys, c.help, c.id)
    return t


class HelpScreen(Guarded, ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help_close")]

    def __init__(self, panel: str, title: str, about: str, mode: str = MODEL, *, status: str = "",
                 keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.panel = panel
        self.mode = mode
        self._title = title
        self._about = about
        self._status = status
        self._keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            if self._status:
                yield Static(Text(self._status, style="dim"), id="help-status")
            yield Static(Text(self._about), id="help-about")
            yield Static(help_table(self.panel, self.mode, self._keymap), id="help-keys")
            yield Static(Text("Keys can be remapped by id in the settings file (~/.config/citywatch/citywatch.toml, "
                              "[citywatch.keymap], e.g. step = \"n\"); the theme chosen in the palette (ctrl+p) is "
                              "kept there too.", style="dim"), id="help-settings")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = f"Help: {self._title}"
        self.query_one("#help").border_subtitle = "esc: close · ctrl+p: every command"

    def action_close(self) -> None:
        self.dismiss(None)
