"""The export dialog: where to save the scenario, and whether to pin the current state in it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label

from tui.faults import Guarded


@dataclass(frozen=True)
class ExportAnswer:
    """Where the operator wants the scenario, and whether to add expectations pinning the state."""
    path: str
    pin: bool


class ExportDialog(Guarded, ModalScreen[ExportAnswer | None]):
    """Dismisses with an ExportAnswer (Enter in the path) or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(self, default_path: str, steps: int, tick: int) -> None:
        super().__init__()
        self._default = default_path
        self._steps = steps
        self._tick = tick

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Save this session ({self._steps} steps, up to tick {self._tick}) as a scenario file; its "
                        "config is copied beside it, so the file replays anywhere.", id="dialog-prompt")
            yield Input(value=self._default, id="dialog-input")
            yield Checkbox("add expectations that pin this state (desired, sessions, deferrals)", True, id="pin")
            yield Label("enter: save · tab: the checkbox · esc: cancel", id="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Export scenario"
        inp = self.query_one(Input)
        inp.cursor_blink = False
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(ExportAnswer(event.value.strip(), self.query_one(Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
