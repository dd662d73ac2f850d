"""Why: the explain chain of the selected session, updated as the cursor moves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.guards.safetext import printable
from tui.layout import Want
from tui.widgets.hanging import Hanging
from tui.widgets.panel import Panel

if TYPE_CHECKING:
    from core.explain.records import Explanation
    from core.views.roster import AgentDetail


def render_explanation(x: Explanation | AgentDetail) -> Hanging:
    """An explanation (or a template's detail) as lines an operator reads top to bottom: summary,
    rules, sections, each section's non-empty fields as its JSON form names them. A wrapped line
    continues under its own text (a rule's name, a detail, a field's value)."""
    out = Hanging()

    def line(prefix: str, text: str, style: str = "", prefix_style: str = "dim", hang: int | None = None) -> None:
        t = Text(printable(prefix), style=prefix_style)
        t.append(printable(text), style=style)
        out.add(t, len(prefix) if hang is None else hang)

    line("", x.summary, "bold", hang=2)
    if x.rules:
        out.add(Text(""), 0)
        line("", "rules", "underline")
        for i, r in enumerate(x.rules, 1):
            line(f"{i:>2}. ", r.rule, "cyan")
            if r.detail:
                line("    ", r.detail)
    elif x.found:
        out.add(Text(""), 0)
        line("", "no rule chain: the session is not in the desired set", "dim", hang=2)
    for section, body in x.sections():
        fields = body.to_json() if body is not None else {}
        items = [(k, v) for k, v in fields.items() if v not in ("", None, [], {}, False)]
        if not items:
            continue
        out.add(Text(""), 0)
        line("", section, "underline")
        for k, v in items:
            line(f"  {k}: ", _value(v))
    return out


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
            "then identity, alias, slot, demand and lifecycle fields of its bead, including what its template's "
            "scale_check read and why a real run failed. With the Agents panel focused: the selected template.")

    def __init__(self) -> None:
        super().__init__("Why")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why-scroll"):
            yield Static("select a session", id="why")

    def focus_target(self):
        return self.query_one("#why-scroll")

    def wanted_width(self) -> Want:
        return Want(40, 80)

    def wanted_height(self) -> Want:
        return Want(6, 14)

    shown_key: str | None = None  # what the panel explains now
    _drawn: tuple[str | None, Explanation | AgentDetail | None] | None = None  # the key and explanation on screen

    def show(self, key: str | None, explanation: Explanation | AgentDetail | None) -> None:
        self.shown_key = key if explanation is not None else None
        drawn = (key, explanation) if key is not None and explanation is not None else (None, None)
        if self._drawn is not None and self._drawn[0] == drawn[0] and self._drawn[1] is drawn[1]:
            return  # the very explanation on screen already
        self._drawn = drawn
        body = self.query_one("#why", Static)
        if key is None or explanation is None:
            body.update(Text("select a session in the Sessions panel (or a template in Agents)", style="dim"))
            self.status("")
            return
        rendered = render_explanation(explanation)
        body.update(rendered, layout=not _same_height(body, rendered))
        self.status(printable(key))


def _same_height(body: Static, content: Hanging) -> bool:
    """Does `content` take as many lines in `body` as what it shows now? Then it can replace it
    without laying the screen out again (a layout redraws every panel: most of a travel step)."""
    width, height = body.content_size
    styles = body.styles
    if width <= 0 or (styles.width is not None and styles.width.is_auto) or not (styles.height and styles.height.is_auto):
        return False
    return content.height(body.app.console, width) == height
