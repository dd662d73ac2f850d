"""Checks: a scenario's [[expect]] blocks, each evaluated as soon as the step it follows runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult

from core.scenario.file import CheckResult, check_summary
from tui.widgets.fit import ColumnFit
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import TablePanel

COLUMNS = [("expect", "expect"), ("after", "after"), ("result", "result"), ("what failed", "failure")]
FIT = ColumnFit(priority=("expect", "result", "after", "failure"), shrink_first=("failure",),
                keys=("expect",), mins={"failure": 16})
RESULT_STYLE = {"pass": "bold green", "FAIL": "bold red", "to come": "dim"}


class ChecksPanel(TablePanel):
    panel_id = "checks"
    HELP = ("The scenario's expectations ([[expect]] blocks): each is evaluated the moment the step it follows "
            "has run, and its result stays here and in Events (kind check). `result` is pass, FAIL (the first "
            "failure shows; the Why panel is not involved: Events has every line) or \"to come\". The subtitle "
            "sums them up; travelling back shows the results as they stood then.")

    def __init__(self) -> None:
        super().__init__("Checks")
        self._results: dict[int, CheckResult] = {}

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, fit=FIT, id="checks")

    def show_checks(self, expects: Sequence[dict[str, Any]], results: Sequence[CheckResult]) -> None:
        latest = {r.index: r for r in results}
        self._results = latest
        rows = []
        for e in expects:
            r = latest.get(e["_index"])
            word = "to come" if r is None else ("pass" if r.passed else "FAIL")
            failure = "" if r is None or r.passed else "; ".join(r.failures)
            rows.append((str(e["_index"]), (f"expect[{e['_index']}]", str(e["after"]),
                                            Text(word, style=RESULT_STYLE[word]), failure)))
        hidden = self.show_rows(rows)
        self.status(check_summary(list(expects), list(results)), f"{hidden} hidden" if hidden else "")
