"""Phase 0.5 of reconcileSessionBeads: restore named-session circuit breakers from bead
metadata and observe each identity's progress signature (a change in the status of its
assigned work keeps the breaker closed)."""

from __future__ import annotations

from core.reconcile.context import TickContext
from core.trackers import circuit
from core.world import beads as B


def observe_circuits(ctx: TickContext, ordered: list[str]) -> None:
    """Restore and advance each named session's circuit breaker from its bead and open work,
    patching the bead's circuit metadata when it changes, then prune idle breakers."""
    cfg = circuit.circuit_config(ctx.city)
    if cfg is None:
        return
    bead_by_identity: dict[str, str] = {}
    for bid in ordered:
        b = ctx.store.session(bid)
        if b is None:
            continue
        identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
        if not identity:
            continue
        bead_by_identity[identity] = bid
        try:
            ctx.mem, reset = circuit.restore(ctx.mem, cfg, identity, b, ctx.now)
        except circuit.RestoreError as e:
            ctx.log(f"session reconciler: loading session circuit breaker state for {identity}: {e}")
            continue
        if reset:
            ctx.patch(bid, circuit.metadata(ctx.mem, cfg, identity, ctx.now))
    for identity in sorted(bead_by_identity):
        b = ctx.store.reread(bead_by_identity[identity])
        sig = circuit.progress_signature([w for w in ctx.work_of(b) if w.status != "closed"])
        ctx.mem, changed = circuit.observe_progress(ctx.mem, identity, sig, ctx.now)
        if changed:
            ctx.patch(b.id, circuit.metadata(ctx.mem, cfg, identity, ctx.now))
    ctx.mem = circuit.prune_idle(ctx.mem, cfg, ctx.now)


def log_open_once(ctx: TickContext, cfg: circuit.CircuitConfig, identity: str) -> None:
    """LogOpenOnce at a refused respawn: the breaker's ERROR line, the first time only."""
    ctx.mem, line = circuit.log_open_once(ctx.mem, cfg, identity)
    if line:
        ctx.log(line)
