"""An undesired pending create whose claim lease expired with no live runtime
(reconcileSessionBeads in cmd/gc/session_reconciler.go): Gas City rolls the claim back
(rollbackPendingCreate), unless checkRateLimitStability finds the dead pane of a woken session
showing a provider rate-limit screen; then the bead is held (quarantined 30 minutes) instead and
nothing is rolled back."""

from __future__ import annotations

from factories import scenario_model

SCENARIO = """name = "lease"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 3
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker-gc-1"
agent_name = "worker-1"
alias = "worker-1"
template = "worker"
pool_managed = "true"
pool_slot = "1"
state = "start-pending"
pending_create_claim = "true"
pending_create_started_at = "2026-05-16T10:00:00Z"
last_woke_at = "2026-05-16T10:00:00Z"
generation = "1"
instance_token = "tok-1"
[[runtime]]
name = "worker-gc-1"
session_id = "gc-1"
corpse = true
alive = false
peek = "{peek}"
"""


def handle(tmp_path, peek: str):
    """handle_undesired alone on the bead (a tick's hygiene would sweep the dead pane first)."""
    from core.outcome import Outcome
    from core.reconcile.context import TickContext
    from core.reconcile.undesired import handle_undesired

    m = scenario_model(tmp_path, SCENARIO.format(peek=peek))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    assert handle_undesired(ctx, ctx.store.session("gc-1"), set()) is None
    return ctx.store.session("gc-1"), [(a.kind, a.reason) for a in ctx.out.actions if a.bead_id == "gc-1"]


def test_a_rate_limit_screen_holds_the_expired_create_instead_of_rolling_it_back(tmp_path):
    b, actions = handle(tmp_path, "You have hit your limit, Pro plan /rate-limit-options")
    assert ("quarantine", "rate_limit") in actions
    assert b.open and b.get("sleep_reason") == "rate_limit"


def test_without_one_the_expired_create_is_rolled_back(tmp_path):
    b, actions = handle(tmp_path, "bye")
    assert ("quarantine", "rate_limit") not in actions
    assert b.get("pending_create_claim") == ""
