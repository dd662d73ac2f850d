"""CommitStartedPatch (internal/session lifecycle_transition_test.go): the keys a start commit writes.
The hashes and the cleared reset markers always; a confirmed start the active state, its reason
and a cleared create start time; the claim only when asked; a new awake interval only for a start
that opens one; the sleep reason cleared only when set."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import scenario_model, session_bead

from core.outcome import Outcome
from core.reconcile.commit import commit_patch
from core.reconcile.context import TickContext

R29 = Path(__file__).parent.parent / "scenarios" / "reconcile" / "R29-live-pending-create-healed.toml"
NOW = "2026-03-08T12:00:00Z"
HASHES = {"started_config_hash", "live_hash", "started_live_hash", "core_hash_breakdown", "started_provision_hash",
          "started_launch_hash"}
ALWAYS = {"continuation_reset_pending": "", "reset_committed_at": "", "creation_complete_at": NOW}
CONFIRMED = {"state": "active", "state_reason": "creation_complete", "pending_create_started_at": ""}


def patch(tmp_path, confirm: bool, clear_claim: bool, starts_interval: bool | None = None, **md: str):
    m = scenario_model(tmp_path, R29.read_text(), "r29.toml")
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    p = commit_patch(ctx, session_bead("gc-1", **md), m.city.agents[0], confirm, clear_claim, starts_interval)
    assert p.keys() >= HASHES and all(p[k] for k in HASHES - {"core_hash_breakdown"})
    return {k: v for k, v in p.items() if k not in HASHES}


def test_builds_atomic_start_metadata(tmp_path):
    # TestCommitStartedPatchBuildsAtomicStartMetadata: confirmed, the sleep reason and the claim cleared
    assert patch(tmp_path, True, True, False, sleep_reason="idle") == {
        **ALWAYS, **CONFIRMED, "sleep_reason": "", "pending_create_claim": ""}


def test_clears_create_started_at_when_confirming_a_start_without_a_claim(tmp_path):
    assert patch(tmp_path, True, False, False) == {**ALWAYS, **CONFIRMED}


def test_can_persist_hashes_without_restamping_state(tmp_path):
    assert patch(tmp_path, False, False, sleep_reason="idle") == {**ALWAYS, "sleep_reason": ""}


@pytest.mark.parametrize(("starts_interval", "stamped"), [(None, True), (True, True), (False, False)])
def test_a_confirmed_start_opens_an_awake_interval_unless_it_re_confirms(tmp_path, starts_interval, stamped):
    # TestCommitStartedPatchStampsFreshAwakeEpochOnlyForNewInterval; by default a confirmed start opens one
    p = patch(tmp_path, True, False, starts_interval)
    assert p.get("awake_started_at") == (NOW if stamped else None)
