"""Whether a finished slow start still belongs to its bead (asyncStartSessionStillCurrentInfo and
PendingCreateLease.CommitVerdict, cmd/gc/session_lifecycle_parallel.go and
internal/session/pending_create_lease.go): a closed or missing bead never commits; the instance
token decides when the start carried one (a generation bump alone does not make it stale), the
generation only when it did not; a bead already active or awake commits whatever its claim; a
claimed start whose claim was cleared does not; otherwise only the pending-start states commit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.reconcile.starts import async_start_still_current
from core.world.beads import SessionBead
from core.world.runtime import PendingStart

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)


def pending(token: str = "tok", gen: str = "4", claim: bool = True) -> PendingStart:
    return PendingStart("worker", "gc-1", token, "worker", {}, T0, T0, claim, "", 0, "worker", gen)


def bead(open_: bool = True, **md: str) -> SessionBead:
    base = {"instance_token": "tok", "generation": "4", "state": "creating", "pending_create_claim": "true"}
    return SessionBead("gc-1", T0, {**base, **md}, open_)


@pytest.mark.parametrize(("p", "b", "current"), [
    (pending(), bead(), True),
    (pending(), None, False),
    (pending(), bead(open_=False), False),
    (pending(), bead(open_=False, state="active"), False),
    # the token decides when the start carried one
    (pending(), bead(instance_token="other"), False),
    (pending(" tok "), bead(instance_token="tok "), True),
    (pending(), bead(generation="5"), True),
    (pending(), bead(instance_token="other", state="active"), False),
    # no token: the generation decides
    (pending(token=""), bead(instance_token="x"), True),
    (pending(token=""), bead(instance_token="x", generation="5"), False),
    (pending(token="", gen=" 4 "), bead(generation="4"), True),
    (pending(token="", gen=""), bead(instance_token="x", generation="9"), True),
    # an active or awake bead commits whatever its claim
    (pending(), bead(state="active", pending_create_claim=""), True),
    (pending(), bead(state=" awake ", pending_create_claim=""), True),
    # a claimed start whose claim was cleared from a bead still mid-create
    (pending(), bead(pending_create_claim=""), False),
    (pending(claim=False), bead(pending_create_claim=""), True),
    (pending(claim=False), bead(), True),
    # the pending-start states commit, others do not
    (pending(claim=False), bead(state=""), True),
    (pending(claim=False), bead(state="start-pending"), True),
    (pending(claim=False), bead(state="asleep"), True),
    (pending(claim=False), bead(state="drained"), True),
    (pending(claim=False), bead(state="draining"), False),
    (pending(claim=False), bead(state="archived"), False),
    (pending(claim=False), bead(state="XXXX"), False),
])
def test_a_finished_start_commits_only_to_its_own_incarnation(p, b, current):
    assert async_start_still_current(p, b) is current
