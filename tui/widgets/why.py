"""Why: the explain chain of the selected session, updated as the cursor moves."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.widgets.panel import Panel


def render_explanation(x: dict[str, Any]) -> Text:
    """The explain dict as lines an operator reads top to bottom: summary, rules, sections."""
    t = Text()
    t.append(x.get("summary", ""), style="bold")
    t.append("\n")
    rules = x.get("rules") or []
    if rules:
        t.append("\nrules\n", style="underline")
        for i, r in enumerate(rules, 1):
            t.append(f"{i:>2}. ", style="dim")
            t.append(r.get("rule", ""), style="cyan")
            t.append("\n")
            if r.get("detail"):
                t.append(f"    {r['detail']}\n")
    elif x.get("found"):
        t.append("\nno rule chain: the session is not in the desired set\n", style="dim")
    for section in ("identity", "alias", "slot", "demand", "lifecycle"):
        body = x.get(section) or {}
        items = [(k, v) for k, v in body.items() if v not in ("", None, [], {}, False)]
        if not items:
            continue
        t.append(f"\n{section}\n", style="underline")
        for k, v in items:
            t.append(f"  {k}: ", style="dim")
            t.append(_value(v))
            t.append("\n")
    return t


def _value(v: Any) -> str:
    if isinstance(v, dict):
        parts = [f"{k}={_value(x)}" for k, x in v.items() if x not in ("", None, [], {}, False)]
        return ", ".join(parts) or "—"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


class WhyPanel(Panel):
    panel_id = "why"
    HELP = ("Why the selected session has its identity: the desired entry's rules (shape, demand, slot, alias), "
            "then identity, alias, slot, demand and lifecycle fields of its bead.")

    def __init__(self) -> None:
        super().__init__("Why")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why-scroll"):
            yield Static("select a session", id="why")

    def focus_target(self):
        return self.query_one("#why-scroll")

    def show(self, key: str | None, explanation: dict[str, Any] | None) -> None:
        body = self.query_one("#why", Static)
        if key is None or explanation is None:
            body.update(Text("select a session in the Sessions panel", style="dim"))
            self.status("")
            return
        body.update(render_explanation(explanation))
        self.status(key)
