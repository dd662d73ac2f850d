"""The pending-create lease (cmd/gc/session_reconcile.go): pendingCreateAttemptStale, the
never-started lease, and when a claim may be rolled back, one case per rule and edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import session_bead

from core.formats.timefmt import format_time
from core.reconcile.lease import (
    attempt_stale,
    lease_active,
    lease_expired_for_rollback,
    never_started_lease_expired,
    start_requested,
)
from core.world.beads import SessionBead

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)


def bead(created=T0, **md) -> SessionBead:
    return session_bead("gc-1", created, **md)


def at(seconds: float) -> str:
    return format_time(T0 + timedelta(seconds=seconds))


def test_an_attempt_is_stale_sixty_seconds_after_its_start_or_the_beads_creation():
    started = bead(pending_create_started_at=at(0))
    assert not attempt_stale(started, T0 + timedelta(seconds=59.999))
    assert attempt_stale(started, T0 + timedelta(seconds=60))
    assert not attempt_stale(bead(pending_create_started_at=f" {at(30)} "), T0 + timedelta(seconds=89))
    assert attempt_stale(bead(created=T0 - timedelta(seconds=60)), T0)
    assert not attempt_stale(bead(created=T0 - timedelta(seconds=59)), T0)


def test_a_never_started_claim_lives_ten_minutes():
    claim = bead(pending_create_claim="true", pending_create_started_at=at(0))
    assert not never_started_lease_expired(claim, T0 + timedelta(seconds=600))
    assert never_started_lease_expired(claim, T0 + timedelta(seconds=600.001))
    assert not never_started_lease_expired(bead(pending_create_started_at=at(0)), T0 + timedelta(hours=1))
    woke = bead(pending_create_claim="true", pending_create_started_at=at(0), last_woke_at=at(1))
    assert not never_started_lease_expired(woke, T0 + timedelta(hours=1))
    assert never_started_lease_expired(bead(created=T0 - timedelta(seconds=601), pending_create_claim="true"), T0)


@pytest.mark.parametrize("md, seconds, active", [
    ({}, 0, False),
    ({"pending_create_claim": "true", "state": "creating", "last_woke_at": at(0)}, 66, True),     # in flight
    ({"pending_create_claim": "true", "state": "asleep", "pending_create_started_at": at(0)}, 599, True),
    ({"pending_create_claim": "true", "state": "asleep", "pending_create_started_at": at(0)}, 601, False),
    ({"pending_create_claim": "true", "state": "asleep", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 59, True),
    ({"pending_create_claim": "true", "state": "asleep", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 66, True),                                              # still in flight
    ({"pending_create_claim": "true", "state": "asleep", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 67, False),
    ({"pending_create_claim": "true", "state": "asleep", "last_woke_at": at(0),
      "pending_create_started_at": at(30)}, 67, True),                                             # a recent attempt
])
def test_the_lease_is_active(md, seconds, active):
    assert lease_active(bead(**md), T0 + timedelta(seconds=seconds), 60.0) is active


@pytest.mark.parametrize("md, seconds, expired", [
    ({"state": "creating", "pending_create_started_at": at(0)}, 3600, False),                    # no claim
    ({"pending_create_claim": "true", "state": "active", "pending_create_started_at": at(0)}, 3600, False),
    ({"pending_create_claim": "true", "state": "creating", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 66, False),                                            # in flight
    ({"pending_create_claim": "true", "state": "creating", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 68, True),
    ({"pending_create_claim": "true", "state": "asleep", "last_woke_at": at(0),
      "pending_create_started_at": at(0)}, 60, True),                                             # asleep ignores flight
    ({"pending_create_claim": "true", "state": " start-pending ", "pending_create_started_at": at(0)}, 600, False),
    ({"pending_create_claim": "true", "state": " start-pending ", "pending_create_started_at": at(0)}, 601, True),
])
def test_the_lease_expires_for_rollback(md, seconds, expired):
    assert lease_expired_for_rollback(bead(**md), T0 + timedelta(seconds=seconds), 60.0) is expired


@pytest.mark.parametrize(("md", "want"), [
    ({"state": "start-pending"}, True),
    ({"state": "asleep", "pending_create_claim": "true"}, True),
    ({"state": "creating", "pending_create_started_at": at(-30)}, True),  # a fresh attempt
    ({"state": "creating", "pending_create_started_at": at(-60)}, False),  # staleCreatingState
    ({"state": "asleep"}, False),
    ({"state": "active"}, False),
])
def test_a_start_is_requested(md, want):
    """sessionStartRequestedInfo: start-pending, a pending-create claim, or a creating bead whose
    attempt is not stale."""
    assert start_requested(bead(**md), T0) is want
