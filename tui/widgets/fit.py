"""Table columns that fit their panel, in every mode (one mechanism for every KeyedTable).

A table is given its rows whole. When its columns do not fit the width it has, the columns of
lowest priority are dropped (until the minimum widths of the others fit), then the columns that
remain shrink (those named `shrink_first` first, then the widest of the others) and a value cut
short ends in "…". The most important columns therefore always show without scrolling sideways;
a zoomed panel (`z`) keeps every column and only shrinks them (scrolling when even that is too
wide). The Why panel shows the selected row whole.

The functions here are pure: `plan_columns` decides, `clip_cell` cuts; `KeyedTable` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text

from core.safetext import is_printable, printable

Cell = str | Text

MIN_WIDTH = 6  # a shrunk column keeps at least this many cells (or its label's width)


@dataclass(frozen=True)
class ColumnFit:
    """How a table's columns give way. `priority`: column keys, most important first (keys not
    named follow in table order, so an empty priority drops columns from the right);
    `shrink_first`: keys of the columns that shrink before the others; `mins`: the width (in
    cells) a column keeps before it is dropped instead (default: its label, at least MIN_WIDTH)."""

    priority: tuple[str, ...] = ()
    shrink_first: tuple[str, ...] = ()
    mins: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnPlan:
    """Which table columns fit and how wide each visible one is."""
    visible: tuple[int, ...]  # indices of the columns shown, in table order
    widths: tuple[int, ...]  # content width of each visible column

    def hidden(self, total: int) -> int:
        return total - len(self.visible)


def shown(c: Cell) -> Cell:
    """`c` as a terminal may show it: control and bidirectional-formatting characters (from a
    config or a live city) escaped, so they are seen, not obeyed (core.safetext). A cell with
    none comes back as the same object."""
    if isinstance(c, Text):
        return c if is_printable(c.plain) else Text(printable(c.plain), style=c.style)
    return c if is_printable(c) else printable(c)


def cell_width(c: Cell) -> int:
    """The terminal cell width of a plain or rich cell, as shown."""
    c = shown(c)
    return c.cell_len if isinstance(c, Text) else cell_len(c)


def clip_cell(c: Cell, width: int) -> Cell:
    """`c` as shown, cut to `width` cells, ending in "…" when cut (a str stays a str)."""
    c = shown(c)
    if cell_width(c) <= width:
        return c
    t = c.copy() if isinstance(c, Text) else Text(c)
    t.truncate(max(width, 1), overflow="ellipsis")
    return t if isinstance(c, Text) else t.plain


def plan_columns(keys: Sequence[str], labels: Sequence[int], natural: Sequence[int], available: int,
                 fit: ColumnFit, padding: int = 2, keep_all: bool = False) -> ColumnPlan:
    """Which columns show and how wide, in `available` cells. `labels` and `natural` are each
    column's label width and widest value (label included); `padding` the cells a column adds
    around its content. With `keep_all` no column is dropped."""
    n = len(keys)
    if sum(natural) + padding * n <= available:
        return ColumnPlan(tuple(range(n)), tuple(natural))
    lows = [min(max(fit.mins.get(k, MIN_WIDTH), label), nat) for k, label, nat in zip(keys, labels, natural)]
    if keep_all:
        visible = list(range(n))
    else:
        order = [keys.index(k) for k in fit.priority if k in keys]
        order += [i for i in range(n) if i not in order]
        visible, used = [], 0
        for i in order:
            used += lows[i] + padding
            if used > available and visible:
                break
            visible.append(i)
        visible.sort()
    first = [visible.index(keys.index(k)) for k in fit.shrink_first if k in keys and keys.index(k) in visible]
    widths = fit_widths([natural[i] for i in visible], available - padding * len(visible),
                        [lows[i] for i in visible], first)
    return ColumnPlan(tuple(visible), tuple(widths))


def fit_widths(natural: Sequence[int], available: int, mins: Sequence[int],
               shrink_first: Sequence[int] = ()) -> list[int]:
    """Column widths (content only, without padding) that fit `available` cells: each column's
    natural width when they all fit; else the columns in `shrink_first` give way first (down to
    their minimum, in that order), then the widest of the others shrink to a common level, never
    below their minimum. A column's minimum is at most its natural width. When even the minimums
    do not fit, the minimums are returned (the table scrolls)."""
    widths = list(natural)
    lows = [min(m, n) for m, n in zip(mins, natural)]
    excess = sum(widths) - available
    if excess <= 0:
        return widths
    for i in shrink_first:
        give = min(excess, widths[i] - lows[i])
        widths[i] -= give
        excess -= give
        if excess <= 0:
            return widths
    rest = [i for i in range(len(widths)) if i not in set(shrink_first)]
    budget = available - sum(widths[i] for i in shrink_first)
    if not rest:
        return widths
    if budget <= sum(lows[i] for i in rest):
        return [lows[i] if i in rest else widths[i] for i in range(len(widths))]
    # the highest level L with sum(max(low, min(natural, L))) <= budget
    lo, hi = 0, max(widths[i] for i in rest)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(max(lows[i], min(widths[i], mid)) for i in rest) <= budget:
            lo = mid
        else:
            hi = mid - 1
    for i in rest:
        widths[i] = max(lows[i], min(widths[i], lo))
    spare = budget - sum(widths[i] for i in rest)
    for i in sorted(rest, key=lambda i: -natural[i]):  # hand out what rounding left
        if spare <= 0:
            break
        if widths[i] < natural[i]:
            widths[i] += 1
            spare -= 1
    return widths
