"""A question with a few answers (buttons, or their underlined key); Escape cancels."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tui.faults import Guarded


class ChoiceDialog(Guarded, ModalScreen[str | None]):
    """Dismisses with the id of the answer chosen (a button, or its key), or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(self, title: str, question: str, answers: Sequence[tuple[str, str, str]]) -> None:
        """`answers`: (id, key, label) each; the first is the default (Enter)."""
        super().__init__()
        self._title = title
        self._question = question
        self._answers = list(answers)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._question, id="dialog-prompt")
            with Horizontal(id="dialog-buttons"):
                for i, (aid, key, label) in enumerate(self._answers):
                    yield Button(f"{label} ({key})", id=f"answer-{aid}", variant="primary" if i == 0 else "default")
            yield Label("esc: cancel", id="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self._title
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(str(event.button.id).removeprefix("answer-"))

    def on_key(self, event) -> None:
        for aid, key, _ in self._answers:
            if event.key == key:
                event.stop()
                self.dismiss(aid)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)
