"""A plan as text for people, laid out like `terraform plan`: the changes grouped by agent, one
symbol per kind of change, the rule behind each, then the summary line."""

from __future__ import annotations

from itertools import groupby

from core.change_plan import Plan
from core.guards.safetext import printable

_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m", "!": "\x1b[35m"}
_RESET = "\x1b[0m"


def render_plan(plan: Plan, *, colour: bool = False) -> str:
    """The plan as text; `colour` adds ANSI colours to the symbols (only for a terminal). Every
    name and value from the configs is shown escaped (core.guards.safetext)."""
    s = plan.start
    lines = [f"citywatch plan: {printable(plan.new_path)} against {s.kind} {printable(s.path)}",
             f"  config revision {s.city.revision} → {plan.new_city.revision}; {plan.ticks} tick(s) compared; "
             f"semantics {s.semantics}; scale_checks {plan.scale_checks}", ""]
    if plan.empty:
        lines.append("No changes: the new config does nothing to this city that the current one would not.")
    for agent, group in groupby(plan.changes, key=lambda c: c.agent):
        lines.append(f"agent {printable(agent) or '(no template)'}")
        for c in group:
            sym = f"{_COLOURS[c.symbol]}{c.symbol}{_RESET}" if colour else c.symbol
            lines.append(f"  {sym} {c.kind:<11} {printable(c.session)}: {printable(c.detail)}")
            if c.rule:
                lines.append(f"      because {printable(c.rule)}")
            if c.scale_check_note:
                lines.append(f"      note: {c.scale_check_note}")
        lines.append("")
    if plan.warnings:
        lines.append(f"Warnings of the new config ({len(plan.warnings)}):")
        lines += [f"  {printable(w)}" for w in plan.warnings]
        lines.append("")
    lines.append(plan.summary_line() + ".")
    return "\n".join(lines)
