"""Table columns that fit their panel, in every mode (one mechanism for every KeyedTable).

A table is given its rows whole. When its columns do not fit the width it has, the columns of
lowest priority are dropped (empty ones first), until the key columns fit whole beside the
minimum widths of the others; then the columns that are not keys shrink (those named
`shrink_first` first, then the widest of the others) and a value cut short ends in "…". Key
columns (names, identities, shapes) are cut only when nothing else can give way. The most
important columns therefore always show without scrolling sideways;
a zoomed panel (`z`) keeps every column and only shrinks them (scrolling when even that is too
wide). The Why panel shows the selected row whole.

The functions here are pure: `plan_columns` decides, `wanted_width` says how wide a panel would
like to be, `clip_cell` cuts; `KeyedTable` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text

from core.guards.safetext import is_printable, printable

Cell = str | Text

MIN_WIDTH = 6  # a shrunk column keeps at least this many cells (or its label's width)
TEXT_WIDTH = 32  # what a shrink-first text column asks for when a panel says how wide it would like to be


@dataclass(frozen=True)
class ColumnFit:
    """How a table's columns give way. `priority`: column keys, most important first (keys not
    named follow in table order, so an empty priority drops columns from the right); `keys`:
    the key columns (a name, an identity, a shape), which keep their whole width as long as
    any other column can give way; `shrink_first`: columns that shrink before the others;
    `mins`: the width (in cells) a column keeps before it is dropped instead (default: its
    label, at least MIN_WIDTH). A column with no value in any row is dropped before any other."""

    priority: tuple[str, ...] = ()
    shrink_first: tuple[str, ...] = ()
    mins: Mapping[str, int] = field(default_factory=dict)
    keys: tuple[str, ...] = ()


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


def _lows(keys: Sequence[str], labels: Sequence[int], natural: Sequence[int], fit: ColumnFit) -> list[int]:
    return [min(max(fit.mins.get(k, MIN_WIDTH), label), nat) for k, label, nat in zip(keys, labels, natural, strict=True)]


def _order(keys: Sequence[str], filled: Sequence[bool], fit: ColumnFit) -> list[int]:
    """Column indices, most important first: by `priority`, the columns with no value last."""
    n = len(keys)
    order = [keys.index(k) for k in fit.priority if k in keys]
    order += [i for i in range(n) if i not in order]
    return [i for i in order if filled[i]] + [i for i in order if not filled[i]]


def wanted_width(keys: Sequence[str], labels: Sequence[int], natural: Sequence[int], fit: ColumnFit,
                 padding: int = 2, filled: Sequence[bool] | None = None) -> tuple[int, int]:
    """(least, whole): the cells a table needs to show its key columns whole (with the columns
    ranked above them at their minimum), and to show every column whole."""
    n = len(keys)
    filled = filled if filled is not None else [True] * n
    lows = _lows(keys, labels, natural, fit)
    # long free text (a reason, a message) shrinks first: showing all of it is not worth a panel's width
    whole = sum(min(nat, max(low, TEXT_WIDTH)) if k in fit.shrink_first else nat
                for k, nat, low in zip(keys, natural, lows, strict=True)) + padding * n
    ranked = _order(keys, filled, fit)
    key_cols = [i for i in ranked if keys[i] in fit.keys and filled[i]]
    if not key_cols:
        first = ranked[:1]
        return (sum(lows[i] + padding for i in first), whole)
    last = max(ranked.index(i) for i in key_cols)
    least = sum((natural[i] if keys[i] in fit.keys else lows[i]) + padding for i in ranked[:last + 1])
    return least, whole


def plan_columns(keys: Sequence[str], labels: Sequence[int], natural: Sequence[int], available: int,
                 fit: ColumnFit, padding: int = 2, keep_all: bool = False,
                 filled: Sequence[bool] | None = None) -> ColumnPlan:
    """Which columns show and how wide, in `available` cells. `labels` and `natural` are each
    column's label width and widest value (label included); `padding` the cells a column adds
    around its content; `filled` whether any row has a value in it. With `keep_all` no column
    is dropped.

    Columns are taken in rank order (`_order`), a key column at its whole width and any other at
    its minimum, until the next one does not fit; then the columns that are not keys shrink
    (those in `shrink_first` first) and only when they are all at their minimum do key columns
    shrink too."""
    n = len(keys)
    if sum(natural) + padding * n <= available:
        return ColumnPlan(tuple(range(n)), tuple(natural))
    filled = filled if filled is not None else [True] * n
    lows = _lows(keys, labels, natural, fit)
    is_key = [k in fit.keys for k in keys]
    cut_last = None  # a key column let in cut short, to the room the columns above it leave
    if keep_all:
        visible = list(range(n))
    else:
        visible, used = [], 0
        for i in _order(keys, filled, fit):
            need = (natural[i] if is_key[i] else lows[i]) + padding
            if used + need > available and visible:
                if is_key[i] and used + lows[i] + padding <= available:
                    visible.append(i)  # a key column cut to the room left beats dropping it
                    cut_last = i
                break
            visible.append(i)
            used += need
        visible.sort()
    room = available - padding * len(visible)
    widths = {i: natural[i] for i in visible}
    others = [i for i in visible if not is_key[i]]
    firsts = [keys.index(k) for k in fit.shrink_first if k in keys and keys.index(k) in others]
    excess = sum(widths.values()) - room
    if excess > 0 and others:
        budget = room - sum(widths[i] for i in visible if is_key[i])
        got = fit_widths([natural[i] for i in others], max(budget, 0), [lows[i] for i in others],
                         [others.index(i) for i in firsts])
        widths.update(zip(others, got, strict=True))
        excess = sum(widths.values()) - room
    if excess > 0 and cut_last is not None:  # the key column let in cut gives way before the ones above it
        widths[cut_last] = max(lows[cut_last], widths[cut_last] - excess)
        excess = sum(widths.values()) - room
    if excess > 0:
        key_cols = [i for i in visible if is_key[i]]
        budget = room - sum(widths[i] for i in others)
        got = fit_widths([natural[i] for i in key_cols], max(budget, 0), [lows[i] for i in key_cols])
        widths.update(zip(key_cols, got, strict=True))
    return ColumnPlan(tuple(visible), tuple(widths[i] for i in visible))


def fit_widths(natural: Sequence[int], available: int, mins: Sequence[int],
               shrink_first: Sequence[int] = ()) -> list[int]:
    """Column widths (content only, without padding) that fit `available` cells: each column's
    natural width when they all fit; else the columns in `shrink_first` give way first (down to
    their minimum, in that order), then the widest of the others shrink to a common level, never
    below their minimum. A column's minimum is at most its natural width. When even the minimums
    do not fit, the minimums are returned (the table scrolls)."""
    widths = list(natural)
    lows = [min(m, n) for m, n in zip(mins, natural, strict=True)]
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
