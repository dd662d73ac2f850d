"""One layout engine for every terminal size (pure: no widgets here).

The screen is rows of columns of stacked panels (`Grid`). Each panel says what it wants along
each axis (`Want`: the least that shows its key content whole, and what shows everything); the
engine gives every panel its least first, then lets the compact tables (Agents, Deferrals,
Trackers...) grow to show everything, and hands the rest to the panels that fill (Sessions, Why,
Events). Panels therefore size to their content, and a key column is cut only when the screen
has no room left.

Below `COMPACT` the grid no longer leaves every panel room for rows: the screen shows one panel
at a time (or Sessions with the Why panel under it, when tall enough), with a tab bar to reach
the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COMPACT_WIDTH = 100  # narrower than this, panels take turns (tabs)
COMPACT_HEIGHT = 26  # lower than this too
PAIR_HEIGHT = 30  # in the compact layout, at least this tall: the Why panel shows under Sessions


@dataclass(frozen=True)
class Want:
    """One panel's claim along one axis, in cells: `least` shows its key content whole, `whole`
    shows everything; a `fill` panel takes what the others leave."""

    least: int
    whole: int
    fill: bool = False


# A grid: rows, each a tuple of columns, each a tuple of panel ids stacked top to bottom.
Grid = tuple[tuple[tuple[str, ...], ...], ...]


def compact(width: int, height: int) -> bool:
    """Does a screen of this size take the one-panel-at-a-time layout?"""
    return width < COMPACT_WIDTH or height < COMPACT_HEIGHT


def allocate(total: int, wants: Sequence[Want]) -> list[int]:
    """Split `total` cells among `wants`: each its `least` (scaled down together when even that
    does not fit); then the panels that do not fill grow toward `whole` (in proportion to what
    each still wants when there is not enough for all), then the fill panels do; what is left
    goes to the fill panels (else the last). The sizes always add up to `total`."""
    n = len(wants)
    if n == 0:
        return []
    total = max(total, 0)
    least = [max(w.least, 1) for w in wants]
    if sum(least) >= total:
        return _scaled(total, least)
    sizes = list(least)
    rest = total - sum(sizes)
    for group in ([i for i, w in enumerate(wants) if not w.fill], [i for i, w in enumerate(wants) if w.fill]):
        need = {i: max(wants[i].whole - sizes[i], 0) for i in group}
        if sum(need.values()) <= rest:
            for i, d in need.items():
                sizes[i] += d
            rest -= sum(need.values())
            continue
        shares = _scaled(rest, [need[i] for i in group])
        for i, d in zip(group, shares, strict=True):
            sizes[i] += d
        return sizes
    fills = [i for i, w in enumerate(wants) if w.fill] or [n - 1]
    for j, i in enumerate(fills):
        sizes[i] += rest // len(fills) + (1 if j < rest % len(fills) else 0)
    return sizes


def _scaled(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders get the odd cells)."""
    whole = sum(weights)
    if whole <= 0:
        base = [total // len(weights)] * len(weights)
        for i in range(total - sum(base)):
            base[i] += 1
        return base
    exact = [total * w / whole for w in weights]
    out = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: out[i] - exact[i])[: total - sum(out)]:
        out[i] += 1
    return out


def panels(grid: Grid) -> list[str]:
    """Every panel id of the grid, row by row, left to right, top to bottom."""
    return [p for row in grid for col in row for p in col]


def shown_in_compact(active: str, height: int, present: Sequence[str]) -> list[str]:
    """The panels the compact layout shows with `active` selected: it alone, or with the Why
    panel under it when it is Sessions (or another table Why explains) and the screen is tall."""
    if height >= PAIR_HEIGHT and active in ("sessions", "agents", "drift", "alarms") and "why" in present:
        return [active, "why"]
    return [active]
