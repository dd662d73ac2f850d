"""Runtime and bead hygiene at the start of a tick (cleanupDeadRuntimeSessionCorpses,
reapRuntimesBoundToClosedBeads, reapStaleSessionBeads): reap what is dead or stuck before
the desired state is built, so stale names never block it. Process-table orphans are not
modeled (no processes run)."""

from __future__ import annotations

from core.formats.goduration import go_quote
from core.formats.timefmt import parse_time
from core.reconcile.context import TickContext
from core.reconcile.lease import STALE_CREATING, STALE_PENDING_CREATE, never_started_lease_expired
from core.world import beads as B
from core.world.runtime import META_SESSION_ID


def run_hygiene(ctx: TickContext) -> int:
    """Returns how many beads or runtimes were reaped."""
    n = close_dead_runtime_corpses(ctx)
    n += stop_runtimes_of_closed_beads(ctx)
    n += reap_stale_creating(ctx)
    return n


def close_dead_runtime_corpses(ctx: TickContext) -> int:
    """A visible runtime whose pane is a dead corpse, bound to an open bead that is not
    pending-create, draining or named: stop it and close the bead `dead-runtime`. A stop that
    fails is logged and the bead stays open."""
    visible = set(ctx.rt.running_names())
    done = 0
    seen: set[str] = set()
    for b in ctx.open_beads():
        name = b.session_name.strip()
        if b.pending_claim or b.id in ctx.mem.drains or b.is_named or not name or name in seen or name not in visible:
            continue
        seen.add(name)
        rs = ctx.rt.get(name)
        if rs is None or not rs.corpse:
            continue
        err = ctx.stop_error(name, "dead-runtime", b)
        if err:  # a failed stop leaves the corpse and its bead for the next tick
            ctx.log(f"session reconciler: cleaning dead runtime session {name}: {err}")
            continue
        ctx.log(f"session reconciler: cleaned dead runtime session {name}")
        ctx.close(b.id, "dead-runtime")
        done += 1
    return done


def stop_runtimes_of_closed_beads(ctx: TickContext) -> int:
    """A runtime carrying GC_SESSION_ID of a closed bead (and no active drain) is stopped; a
    stop that fails is logged and not counted."""
    done = 0
    for name in ctx.rt.running_names():
        live_id = ctx.rt.get_meta(name, META_SESSION_ID).strip()
        if not live_id:
            continue
        b = ctx.store.session(live_id)
        if b is None or b.open or live_id in ctx.mem.drains:
            continue
        err = ctx.stop_error(name, "closed-bead", b)
        if err:
            ctx.log(f"session reconciler: reaping runtime {go_quote(name)} bound to closed bead {live_id}: {err}")
            continue
        ctx.log(f"session reconciler: reaped runtime {go_quote(name)} bound to closed session bead {live_id}")
        done += 1
    return done


def reap_stale_creating(ctx: TickContext) -> int:
    """Close `creating` beads with no runtime past 60s (5m with a started claim, 10m with a
    never-started claim) as `stale-session`; named and draining beads are left alone."""
    done = 0
    for b in ctx.open_beads():
        name = b.session_name
        if not name or b.state.strip() != "creating" or b.id in ctx.mem.drains or b.is_named:
            continue
        if ctx.running(name):
            continue
        started = b.created_at  # staleReapStartBoundary: the later of created_at and last_woke_at
        woke = parse_time(b.get(B.LAST_WOKE_AT))
        if woke is not None and woke > started:
            started = woke
        if b.pending_claim and not b.get(B.LAST_WOKE_AT).strip():
            if not never_started_lease_expired(b, ctx.now):
                continue
        else:
            grace = STALE_PENDING_CREATE if b.pending_claim else STALE_CREATING
            if (ctx.now - started).total_seconds() < grace:
                continue
        if ctx.close(b.id, "stale-session"):
            ctx.log(f"WARN: reconciler: reaped stuck-creating session bead {b.id} — tmux session {go_quote(name)} not found")
            done += 1
    return done
