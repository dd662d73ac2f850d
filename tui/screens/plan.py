"""The what-if of a config edit: the plan of what it would do to the model, before it lands."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.faults import Guarded


class PlanScreen(Guarded, ModalScreen[None]):
    """The plan as `citywatch plan` prints it (core.change_plan.render), scrollable."""

    BINDINGS = [Binding("escape,q,P", "close", "Close", id="plan_close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="plan"):
            yield Static(Text(self._text), id="plan-text")

    def on_mount(self) -> None:
        box = self.query_one("#plan")
        box.border_title = self._title
        box.border_subtitle = "esc: close · the same plan: citywatch plan CITY --config NEW"

    def action_close(self) -> None:
        self.dismiss(None)
