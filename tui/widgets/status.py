"""The status line (city, revision, tick, virtual time, run state, semantics) and the config
error banner."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from core.safetext import printable
from core.timefmt import format_time


@dataclass(frozen=True)
class RunState:
    """Whether the model is running, at what speed (ticks per second), and whether a model call is in progress."""
    running: bool
    speed: float  # ticks per second while running
    busy: bool = False

    def text(self) -> str:
        if not self.running:
            return "⏸ paused"
        rate = f"{self.speed:g}"
        return f"▶ running at {rate} ticks/s"


class StatusBar(Static):
    """One line (wrapped onto a second when the terminal is narrow): time travel first, then what
    is loaded, where the model is, and whether it is moving."""

    def show(self, *, city: str, revision: str, tick: int, now, run: RunState, semantics: str,
             travel: str = "", script: str = "", pending_reload: bool = False, last_error: str = "") -> None:
        t = Text()
        t.append(" citywatch ", style="bold reverse")
        if travel:  # first, so a narrow terminal never hides that this is the past
            t.append(f" {travel} ", style="bold reverse magenta")
        t.append(f" {printable(city)} ", style="bold")
        t.append(f"rev {revision[:8] or '—'}", style="dim")
        if pending_reload:
            t.append(" (reload queued)", style="cyan")
        t.append(f" · tick {tick} · {format_time(now).replace('T', ' ').rstrip('Z')} · ")
        t.append(run.text(), style="green" if run.running else "yellow")
        t.append(f" · semantics {semantics}")
        if script:
            t.append(f" · {printable(script)}", style="dim")
        if last_error:
            t.append(f"  last step failed: {printable(last_error)}", style="bold red")
        self.update(t)


class Banner(Static):
    """Shown while the config on disk is refused: every located reason, one per line, and that
    the model keeps running on the last good revision."""

    def show_error(self, reasons: list[str], revision: str) -> None:
        reasons = [printable(r) for r in reasons]
        tail = (f"  — still running on revision {revision[:8]}", "italic")
        if len(reasons) == 1:
            self.update(Text.assemble(("config error ", "bold"), reasons[0], tail))
        else:
            lines = [Text.assemble((f"config refused ({len(reasons)} reasons)", "bold"), tail)]
            lines += [Text.assemble("  ", r) for r in reasons]
            self.update(Text("\n").join(lines))
        self.display = True

    def clear_error(self) -> None:
        self.update("")
        self.display = False
