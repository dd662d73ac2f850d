"""The header (one line at every width), the tab bar of the compact layout, and the config
error banner.

The header is made of segments, each with a rank; when the line is wider than the screen the
segments of lowest rank are left out (never wrapped), so what matters most (that this is the
past or a what-if fork, the city, the tick, whether it runs, alarms) is always there. What was
left out is in the help screen (`?`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from core.formats.timefmt import format_time
from core.guards.safetext import printable
from core.identity import semantics_label
from tui.faults import Guarded


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

    def short(self) -> str:
        return "⏸" if not self.running else f"▶ {self.speed:g}/s"


@dataclass(frozen=True)
class Segment:
    """A piece of the header: its text, its rank (0 shows first), and a shorter form."""

    text: Text
    rank: int
    short: Text | None = None
    glue: bool = False  # no separator before it (it belongs to the segment before)


SEP = Text(" · ", style="dim")


def fit_segments(segments: Sequence[Segment], width: int) -> Text:
    """The segments, in their order, that fit `width` cells on one line: the lowest ranks first
    (in their short form when the long one does not fit), then the others by rank."""
    chosen: dict[int, Text] = {}

    def used() -> int:
        picked = sorted(chosen)
        return sum(chosen[i].cell_len for i in picked) + sum(
            SEP.cell_len if not segments[i].glue else 1 for i in picked[1:])

    for i in sorted(range(len(segments)), key=lambda i: segments[i].rank):
        for form in (segments[i].text, segments[i].short):
            if form is None:
                continue
            chosen[i] = form
            if used() <= width:
                break
            del chosen[i]
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    for n, i in enumerate(sorted(chosen)):
        if n:
            out.append_text(Text(" ") if segments[i].glue else SEP)
        out.append_text(chosen[i])
    out.truncate(max(width, 1), overflow="ellipsis")
    return out


class HeaderLine(Guarded, Static):
    """A one-line header fitted to the screen's width, re-fitted on every resize."""

    DEFAULT_CSS = "HeaderLine { height: 1; }"
    _segments: Sequence[Segment] = ()
    _drawn: Text | None = None

    def show_segments(self, segments: Sequence[Segment]) -> None:
        self._segments = list(segments)
        self._draw()

    def _draw(self) -> None:
        line = fit_segments(self._segments, self.size.width or 200)
        if line != self._drawn:  # one line whatever it says: a new text needs no layout
            self._drawn = line
            self.update(line, layout=False)

    def on_resize(self, event) -> None:
        self._draw()

    @property
    def full_text(self) -> str:
        """Every segment, whether it fits or not (the help screen shows this)."""
        return " · ".join(s.text.plain for s in self._segments)


class StatusBar(HeaderLine):
    """The model's header: the past or a what-if fork first, then the city, the tick, the run
    state, alarms and failed checks, the scenario, the revision, semantics and the script."""

    def show(self, *, city: str, revision: str, tick: int, now, run: RunState, semantics: str,
             travel: str = "", script: str = "", pending_reload: bool = False, last_error: str = "",
             alarms: int = 0, scenario: str = "", checks: str = "", checks_failed: bool = False,
             fork: str = "", reload_touches: int | None = None, suspended: str = "") -> None:
        segs = [Segment(Text(" citywatch ", style="bold reverse"), 2, Text("cw", style="bold reverse"))]
        if fork:
            segs.append(Segment(Text(f" {fork} ", style="bold black on cyan"), 0, Text(" WHAT-IF ", style="bold black on cyan")))
        if travel:
            segs.append(Segment(Text(f" {travel} ", style="bold reverse magenta"), 0,
                                Text(f" ⏪ {travel.split(' · ')[0].split('(')[0].strip()} ", style="bold reverse magenta")))
        segs.append(Segment(Text(printable(city), style="bold"), 1, glue=True))
        if suspended:  # a suspended city sleeps every session: as loud as the tick
            segs.append(Segment(Text(f"⏸ {printable(suspended)}", style="bold yellow"), 0,
                                Text("⏸ suspended", style="bold yellow")))
        if scenario:
            scenario = printable(scenario)
            segs.append(Segment(Text(f"scenario: {scenario}", style="italic"), 4,
                                Text(f"“{scenario[:24]}…”" if len(scenario) > 25 else f"“{scenario}”", style="italic")))
        segs.append(Segment(Text(f"tick {tick}"), 0))
        segs.append(Segment(Text(format_time(now).replace("T", " ").rstrip("Z")), 5,
                            Text(format_time(now)[11:19])))
        segs.append(Segment(Text(run.text(), style="green" if run.running else "yellow"), 1,
                            Text(run.short(), style="green" if run.running else "yellow")))
        if alarms:
            segs.append(Segment(Text(f" {alarms} alarm{'s' if alarms != 1 else ''} ", style="bold white on red"), 0,
                                Text(f" ⚑{alarms} ", style="bold white on red")))
        if checks:
            segs.append(Segment(Text(checks, style="bold red" if checks_failed else "green"), 1))
        if last_error:
            segs.append(Segment(Text(f"last step failed: {printable(last_error)}", style="bold red"), 1,
                                Text("last step failed", style="bold red")))
        rev = Text(f"rev {revision[:8] or '—'}", style="dim")
        if pending_reload:
            touches = "" if reload_touches is None else f": touches {reload_touches} session" + (
                "s" if reload_touches != 1 else "")
            rev.append(f" (reload queued{touches})", style="cyan")
        segs.append(Segment(rev, 6 if not pending_reload else 3))
        if semantics != "current":
            segs.append(Segment(Text(semantics_label(semantics), style="bold yellow"), 2))
        else:
            segs.append(Segment(Text(semantics_label(semantics), style="dim"), 8))
        if script:
            segs.append(Segment(Text(printable(script), style="dim"), 9))
        self.show_segments(segs)


SHORT_TITLES = {"Deferrals": "Defer", "Trackers": "Track"}  # when the tabs do not fit with the full titles


class TabBar(Guarded, Static):
    """The compact layout's tabs: each panel's focus key and title; the one shown is marked.
    Clicking a tab shows it."""

    DEFAULT_CSS = "TabBar { height: 1; background: $panel; }"

    def show_tabs(self, tabs: Sequence[tuple[str, str, str]], active: str) -> None:
        """`tabs`: (panel id, key, title) in order; `active`: the panel shown. Titles shorten
        to fit the width."""
        self._tabs, self._active = list(tabs), active
        self._draw()

    _tabs: list[tuple[str, str, str]] = []
    _active = ""

    def _draw(self) -> None:
        from textual.content import Content

        width = self.size.width or 200
        for form in ("title", "short", "key"):
            labels = [(pid, f" {key} " if form == "key" else
                       f" {key} {SHORT_TITLES.get(title, title) if form == 'short' else title} ")
                      for pid, key, title in self._tabs]
            if sum(len(lb) for _, lb in labels) <= width:
                break
        parts = []
        for pid, label in labels:
            c = Content.from_markup(f"[@click=app.show_panel('{pid}')]{label}[/]")
            parts.append(c.stylize("bold reverse") if pid == self._active else c)
        self.update(Content("").join(parts))

    def on_resize(self, event) -> None:
        self._draw()


class Banner(Guarded, Static):
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
