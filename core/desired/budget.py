"""The per-tick fresh-create budget (`[daemon] max_wakes_per_tick`), fair-shared across pool
templates the way Gas City's poolplan.CreateBudget shares it.

Only fresh creates spend tokens: reusing a bead, an in-flight create and a dependency floor are
free, and a failed create refunds its token as spare capacity.
"""

from __future__ import annotations

from core.desired.model import Request


class CreateBudget:
    """Fresh-create tokens for one build; a limit <= 0 means unlimited."""

    def __init__(self, limit: int) -> None:
        self.remaining = max(limit, 0)
        self.unlimited = limit <= 0
        self.shares: dict[str, int] | None = None
        self.spare = 0

    def configure_fair_share(self, requests: dict[str, list[Request]], seed: int = 0) -> None:
        """Reserve tokens per template with fresh-create demand (anonymous `new` requests):
        one per floor-bearing template first, a quarter of the limit for elastic demand, the
        rest round-robin from a seed-rotated start. With one contending template there is no
        reservation at all."""
        demands: list[tuple[str, int, bool]] = []
        for template in sorted(requests):
            fresh = [r for r in requests[template] if r.tier == "new" and not r.session_bead_id]
            if fresh:
                demands.append((template, len(fresh), any(r.floor for r in fresh)))
        self.shares, self.spare = _fair_shares(demands, self.remaining, seed)

    def try_claim(self, template: str) -> bool:
        """Take a token for `template` (its reserved share, else a spare one); False when none is left."""
        if self.unlimited:
            return True
        if self.remaining <= 0:
            return False
        if self.shares is not None:
            if self.shares.get(template, 0) > 0:
                self.shares[template] -= 1
            elif self.spare > 0:
                self.spare -= 1
            else:
                return False
        self.remaining -= 1
        return True

    def release(self) -> None:
        """Refund one claimed token (a failed create) as capacity any template may use."""
        if self.unlimited:
            return
        self.remaining += 1
        if self.shares is not None:
            self.spare += 1


def _fair_shares(demands: list[tuple[str, int, bool]], limit: int, seed: int) -> tuple[dict[str, int] | None, int]:  # noqa: C901 - a long function issue 13 item 5 splits into named passes
    if limit <= 0:
        return None, 0
    active = [d for d in demands if d[1] > 0]
    if len(active) <= 1:
        return None, 0
    shares = {t: 0 for t, _, _ in active}
    remaining = limit
    start = seed % len(active)
    ring = [active[(start + i) % len(active)] for i in range(len(active))]
    elastic_demand = sum(n for _, n, floor in active if not floor)
    elastic_reserve = min(limit // 4, elastic_demand)
    floor_budget = limit - elastic_reserve
    floor_used = 0
    for t, _, floor in ring:
        if floor_used >= floor_budget:
            break
        if floor:
            shares[t] += 1
            remaining -= 1
            floor_used += 1
    given = 0
    while given < elastic_reserve and remaining > 0:
        progressed = False
        for t, n, floor in ring:
            if remaining <= 0 or given >= elastic_reserve:
                break
            if floor or shares[t] >= n:
                continue
            shares[t] += 1
            remaining -= 1
            given += 1
            progressed = True
        if not progressed:
            break
    while remaining > 0:
        progressed = False
        for t, n, _ in ring:
            if remaining <= 0:
                break
            if shares[t] >= n:
                continue
            shares[t] += 1
            remaining -= 1
            progressed = True
        if not progressed:
            break
    return shares, remaining
