"""sweepUndesiredPoolSessionBeads (cmd/gc/session_reconciler.go): every open ephemeral pool bead
that left the desired set is closed gc_swept unless something still protects it: a manual or
named session, a live pending-create lease, a creating state younger than
staleCreatingStateTimeout (60 s), a start confirmed less than 2 minutes ago, an unknown agent, a
running runtime or assigned work. Each bead is judged on its own (one protected bead does not end
the sweep), the sweep reports how many it closed, and it does nothing on a boot reconcile or over
a partial store read."""

from __future__ import annotations

from dataclasses import replace

import pytest
from factories import scenario_model

from core.desired.build import build_desired
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sweep import sweep_undesired_pool

NOW = "2026-03-08T12:00:00Z"
# (bead id, metadata beyond a plain undesired ephemeral worker bead): the protected ones first,
# in creation order, so a sweep that stopped at the first of them would close nothing
BEADS = [
    ("p-manual", {"session_origin": "manual"}),
    ("p-named", {"session_origin": "named"}),
    ("p-lease", {"pending_create_claim": "true", "last_woke_at": "2026-03-08T11:59:50Z", "state": "creating",
                 "pending_create_started_at": "2026-03-08T11:59:50Z"}),
    ("p-creating", {"state": "creating", "pending_create_started_at": "2026-03-08T11:59:30Z"}),
    ("p-confirmed", {"state": "active", "state_reason": "creation_complete",
                     "creation_complete_at": "2026-03-08T11:59:00Z"}),
    ("p-awake", {"state": "awake", "state_reason": " creation_complete ",
                 "creation_complete_at": "2026-03-08T11:58:30Z"}),
    ("p-ghost", {"template": "ghost", "agent_name": "ghost"}),
    ("p-durable", {"session_origin": "durable"}),
    ("p-running", {"session_name": "p-running"}),
    ("p-work", {}),
    ("s-asleep", {"state": "asleep"}),
    ("s-stale-creating", {"state": "creating", "pending_create_started_at": "2026-03-08T11:58:59Z"}),
    # stale from exactly 60 s on (!now.Before(started + staleCreatingStateTimeout))
    ("s-creating-60s", {"state": "creating", "pending_create_started_at": "2026-03-08T11:59:00Z"}),
    ("s-old-confirm", {"state": "active", "state_reason": "creation_complete",
                       "creation_complete_at": "2026-03-08T11:57:59Z"}),
    ("s-unstamped", {"state": "active", "state_reason": "creation_complete"}),
    ("s-other-reason", {"state": "active", "state_reason": "reopened", "creation_complete_at": NOW}),
]
SWEPT = [bid for bid, _ in BEADS if bid.startswith("s-")]


def city() -> str:
    text = (f'name = "sweep"\nstart = "{NOW}"\n[city.workspace]\nname = "test-city"\n'
            '[[city.agent]]\nname = "worker"\nmax_active_sessions = 20\nscale_check = "printf 0"\n'
            '[scale_check]\nworker = 0\n')
    for bid, md in BEADS:
        meta = {"session_name": bid, "template": "worker", "agent_name": "worker", "pool_managed": "true",
                "session_origin": "ephemeral", "state": "asleep", **md}
        text += f'[[session]]\nid = "{bid}"\n[session.metadata]\n' + "".join(
            f'{k} = "{v}"\n' for k, v in meta.items())
    text += '[[runtime]]\nname = "p-running"\nsession_id = "p-running"\n'
    text += '[[work]]\nid = "w-1"\nstatus = "in_progress"\nassignee = "p-work"\n'
    return text


def ctx_for(tmp_path) -> TickContext:
    m = scenario_model(tmp_path, city())
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    # the desired set without these beads (as after a scale-down): only its entries are read
    built = build_desired(m.city, m.world, m.semantics, [], [])
    ctx.desired = replace(built, entries={})
    return ctx


def test_only_unprotected_undesired_pool_beads_are_swept(tmp_path):
    ctx = ctx_for(tmp_path)
    assert sweep_undesired_pool(ctx) == len(SWEPT)
    closed = {b.id: b.get("state") for b in ctx.store.all_sessions() if not b.open}
    assert closed == dict.fromkeys(SWEPT, "gc_swept")


def test_a_desired_bead_is_kept(tmp_path):
    ctx = ctx_for(tmp_path)
    ctx.desired.entries["s-asleep"] = build_desired(ctx.city, ctx.world, ctx.semantics, [], []).entries["s-asleep"]
    assert sweep_undesired_pool(ctx) == len(SWEPT) - 1
    assert ctx.store.session("s-asleep").open


@pytest.mark.parametrize("guard", ["boot", "no_desired", "partial"])
def test_nothing_is_swept_on_boot_without_a_desired_state_or_over_a_partial_read(tmp_path, guard, monkeypatch):
    ctx = ctx_for(tmp_path)
    if guard == "boot":
        ctx.boot = True
    elif guard == "no_desired":
        ctx.desired = None
    else:
        monkeypatch.setattr(type(ctx), "store_partial", property(lambda _self: True))
    assert sweep_undesired_pool(ctx) == 0
    assert all(b.open for b in ctx.store.all_sessions())
