"""The per-tick fresh-create budget (`[daemon] max_wakes_per_tick`), fair-shared across pool
templates the way Gas City's poolplan.CreateBudget shares it.

Only fresh creates spend tokens: reusing a bead, an in-flight create and a dependency floor are
free, and a failed create refunds its token as spare capacity.
"""

from __future__ import annotations

from core.desired.entries import Request


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


def _fair_shares(demands: list[tuple[str, int, bool]], limit: int, seed: int) -> tuple[dict[str, int] | None, int]:
    """configurePoolSessionCreateFairShare: each template's share of `limit` fresh creates and
    the spare left over; (None, 0) when one template or none has demand (no sharing needed).
    The ring starts at `seed`; floor templates get one token each first, then elastic templates
    a quarter of the limit at most, then everyone round-robin up to their demand."""
    if limit <= 0:
        return None, 0
    active = [d for d in demands if d[1] > 0]
    if len(active) <= 1:
        return None, 0
    shares = {t: 0 for t, _, _ in active}
    start = seed % len(active)
    ring = [active[(start + i) % len(active)] for i in range(len(active))]
    elastic_demand = sum(n for _, n, floor in active if not floor)
    elastic_reserve = min(limit // 4, elastic_demand)
    remaining = limit - _deal_floors(ring, shares, limit - elastic_reserve)
    remaining -= _deal(ring, shares, min(elastic_reserve, remaining), floors=False)
    remaining -= _deal(ring, shares, remaining, floors=True)
    return shares, remaining


def _deal_floors(ring: list[tuple[str, int, bool]], shares: dict[str, int], budget: int) -> int:
    """One token to each floor template round the ring while `budget` lasts; how many went."""
    used = 0
    for t, _, floor in ring:
        if used >= budget:
            break
        if floor:
            shares[t] += 1
            used += 1
    return used


def _deal(ring: list[tuple[str, int, bool]], shares: dict[str, int], tokens: int, *, floors: bool) -> int:
    """Deal up to `tokens` one at a time round the ring to templates still short of their demand
    (floor templates too only with `floors`), until none can take more; how many went."""
    given = 0
    while given < tokens:
        progressed = False
        for t, n, floor in ring:
            if given >= tokens:
                break
            if (floor and not floors) or shares[t] >= n:
                continue
            shares[t] += 1
            given += 1
            progressed = True
        if not progressed:
            break
    return given
