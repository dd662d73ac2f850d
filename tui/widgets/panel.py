"""A titled panel (`border_title` is the panel's name) with a per-panel filter.

The subtitle carries the panel's status: the filter in force and how many rows it hides.
"""

from __future__ import annotations

from textual.containers import Vertical

from tui.widgets.keyed_table import KeyedTable


def counted(n: int, word: str, plural: str = "") -> str:
    """`1 agent`, `2 agents` (`plural` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


class Panel(Vertical):
    """Base of every panel. `panel_id` names it for focus keys, help and filtering."""

    panel_id = ""
    HELP = ""
    can_focus = False
    ALLOW_MAXIMIZE = True

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(id=f"{self.panel_id}-panel", classes="panel", **kwargs)
        self.border_title = title
        self.filter_text = ""

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()

    def status(self, *parts: str) -> None:
        bits = [p for p in parts if p]
        if self.filter_text:
            bits.insert(0, f"/{self.filter_text}")
        self.border_subtitle = " · ".join(bits)

    def focus_target(self):
        """The widget that takes focus for this panel."""
        return self


class TablePanel(Panel):
    """A panel around one KeyedTable, which is what its focus key focuses."""

    @property
    def table(self) -> KeyedTable:
        """The panel's table (subclasses of KeyedTable included)."""
        return self.query_one(KeyedTable)

    def focus_target(self) -> KeyedTable:
        return self.table
