"""Alarms: the loop alarms (a city spinning instead of working), over a live city or the model."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult

from core.alarms import Alarm
from core.formats.durations import format_duration
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel, counted

COLUMNS = [("alarm", "kind"), ("subject", "subject"), ("value", "value"), ("at", "threshold"),
           ("until", "until"), ("what", "message")]

FIT = ColumnFit(priority=("kind", "subject", "until", "value", "threshold", "message"), shrink_first=("message",),
                keys=("subject",), mins={"kind": 12, "message": 10})


def amount(kind: str, v: float) -> str:
    """An alarm's value or threshold: a duration for start_pending (seconds), else a count."""
    if kind == "start_pending":
        return format_duration(v)
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def alarm_cells(a: Alarm) -> tuple:
    """One alarm's cells: kind (red), subject, value, threshold, when it ends, message."""
    return (Text(a.kind, style="bold red"), a.subject, amount(a.kind, a.value),
            amount(a.kind, a.threshold) if a.threshold else "—", a.until[11:19] if a.until else "—", a.message)


class AlarmsPanel(TablePanel):
    panel_id = "alarms"
    HELP = ("Loop alarms: an identity that woke too often in the last hour (wakes), pool sessions woken without "
            "ever claiming work (idle_spawns), an alias-conflict counter at or climbing past its limit "
            "(alias_conflict), a session stuck in start-pending (start_pending), a session that keeps dying young "
            "after a wake (churn) or is quarantined for it (quarantine, until when), a named session whose "
            "circuit breaker is open (circuit_open, until when). `value` is what was seen, `at` the threshold "
            "(settings: [citywatch.alarms] in citywatch.toml, or --settings FILE). A new alarm also shows as a "
            "notification, a line in Events and a marked row in Sessions; `bell = true` in [citywatch] rings too.")

    def __init__(self) -> None:
        super().__init__("Alarms")
        self._rows: dict[str, Alarm] = {}

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, fit=FIT, id="alarms")

    def show_alarms(self, alarms: Sequence[Alarm]) -> None:
        self._rows = {a.key: a for a in alarms}
        hidden = self.show_rows([(a.key, alarm_cells(a)) for a in alarms])
        self.status(counted(len(alarms), "alarm") if alarms else "no alarms", f"{hidden} hidden" if hidden else "")

    @property
    def selected(self) -> Alarm | None:
        key = self.table.selected_key
        return self._rows.get(key) if key else None
