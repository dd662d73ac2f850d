"""A one-field dialog: a question, a default answer, Enter to accept, Escape to cancel."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tui.faults import Guarded


class AskDialog(Guarded, ModalScreen[str | None]):
    """Dismisses with the typed text (Enter) or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(self, title: str, prompt: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._prompt = prompt
        self._value = value
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._prompt, id="dialog-prompt")
            yield Input(value=self._value, placeholder=self._placeholder, id="dialog-input")
            yield Label("enter: ok · esc: cancel", id="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self._title
        inp = self.query_one(Input)
        inp.cursor_blink = False
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
