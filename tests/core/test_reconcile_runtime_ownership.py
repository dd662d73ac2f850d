"""runningSessionMatchesPendingCreateInfo (session_lifecycle_parallel.go): whether a live runtime
found at a pending create's session name is that bead's own start. The runtime's GC_SESSION_ID
decides when it has one; a foreign GC_INSTANCE_TOKEN of another GC_RUNTIME_EPOCH, or with no
session id to vouch for it, is not ours; without a session id the tokens must match."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import runtime_is_ours
from core.world.runtime import RuntimeSession
from core.world.world import World

CASES = [
    # (bead token, runtime session id, runtime token, runtime epoch, ours)
    # TestRunningSessionMatchesPendingCreateAcceptsTokenOnlyRuntime
    ("tok-worker", "", "tok-worker", "", True),
    # TestRunningSessionMatchesPendingCreateAcceptsIDOnlyRuntime
    ("", "gc-worker", "", "", True),
    # another bead's session id, whatever the token says
    ("tok-worker", "gc-other", "tok-worker", "", False),
    # a foreign token from another runtime epoch, even under our session id
    ("tok-worker", "gc-worker", "tok-other", "1", False),
    # a foreign token of our epoch, or with no epoch, under our session id: ours
    ("tok-worker", "gc-worker", "tok-other", "2", True),
    ("tok-worker", "gc-worker", "tok-other", "", True),
    # a foreign token with no session id to vouch for it
    ("tok-worker", "", "tok-other", "2", False),
    # our session id with no token, from another epoch: the id decides
    ("tok-worker", "gc-worker", "", "1", True),
    # no session id: a bead without a token never matches, nor does a runtime without one
    ("", "", "", "", False),
    ("tok-worker", "", "", "", False),
]


@pytest.mark.parametrize(("token", "live_id", "live_token", "epoch", "ours"), CASES)
def test_a_live_runtime_is_the_pending_creates_own(token, live_id, live_token, epoch, ours):
    world = World()
    meta = {"GC_RUNTIME_EPOCH": epoch} if epoch else {}
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id=live_id, instance_token=live_token, meta=meta))
    ctx = TickContext(make_city(), world, "current", Outcome())
    b = session_bead("gc-worker", session_name="worker", generation="2", instance_token=token)
    assert runtime_is_ours(ctx, b) is ours
