"""`[session] startup_timeout = "0s"` is a timeout of zero, not the 60 s default: Gas City's
StartupTimeoutDuration (durationOr) falls back to 60 s only for an empty or unparseable value,
and each caller decides what zero means. pendingCreateStartInFlightInfo alone widens it to a
minute (ported as TestPendingCreateStartInFlight_ZeroStartupTimeoutUsesRecoveryLease);
recordResetStallIfDue never reports a stall, withinPoolSpawnClaimGraceInfo keeps only the 60 s
claim grace, and runPreparedStartCandidate gives the provider Start no deadline. Gas City has no
test of these three with a zero timeout, so each is checked through a tick here, beside the same
scenario with a positive timeout to show the case tells the two apart."""

from __future__ import annotations

import pytest
from factories import scenario_failures, scenario_model

from core.config.city_config import SessionSettings
from core.model.invariants import retire_bound


@pytest.mark.parametrize(("raw", "seconds"), [
    ("0s", 0.0), ("0", 0.0), ("-5s", -5.0), ("2m", 120.0), ("1m30s", 90.0),
    ("", 60.0), ("bad", 60.0), ("5mins", 60.0), (" 30s", 60.0)])
def test_the_accessor_reads_the_value_as_durationOr_does(raw, seconds):
    # "", "2m" and "bad" are internal/config/config_test.go's TestSessionStartupTimeoutDefault,
    # TestSessionStartupTimeoutCustom and TestSessionStartupTimeoutInvalid (accessor tests that load
    # no config, so they are not config conformance cases)
    assert SessionSettings(startup_timeout=raw).startup_timeout_seconds() == seconds


def test_an_unset_startup_timeout_is_60_seconds():
    assert SessionSettings().startup_timeout_seconds() == 60.0


def _timed(start: str, body: str, *, top: str = "") -> str:
    """A scenario starting at `start` whose [city.session] startup_timeout is the {timeout}
    placeholder; `top` adds top-level keys, `body` the rest."""
    return (f'name = "t"\nstart = "{start}"\n{top}[city.workspace]\nname = "test-city"\n'
            '[city.session]\nstartup_timeout = "{timeout}"\n' + body)


# one tick, then the expectation checked after it
TICK_EXPECT = """[[step]]
do = "tick"
[[expect]]
after = 1
{expect}
"""

RESET_STALL = _timed("2026-03-08T12:00:00Z", """[[city.agent]]
name = "worker"
start_command = "true"
max_active_sessions = 2
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
agent_name = "worker"
template = "worker"
generation = "1"
instance_token = "test-token"
continuation_reset_pending = "true"
reset_committed_at = "2026-03-08T11:00:00Z"
wait_hold = "true"
""" + TICK_EXPECT)


def test_a_zero_startup_timeout_never_reports_a_reset_stall(tmp_path):
    # recordResetStallIfDue returns at once when startupTimeout <= 0: an hour-old pending reset
    # of a dead session is not a stall.
    none = 'no_log = ["reset stalled"]\nevent_count = { "session.reset_stalled" = 0 }'
    assert scenario_failures(tmp_path, RESET_STALL.format(timeout="0s", expect=none)) == []
    assert scenario_failures(tmp_path, RESET_STALL.format(timeout="-1s", expect=none)) == []
    assert scenario_failures(tmp_path, RESET_STALL.format(timeout="60s", expect=none)) != []
    one = 'event_count = { "session.reset_stalled" = 1 }'
    assert scenario_failures(tmp_path, RESET_STALL.format(timeout="60s", expect=one)) == []


SPAWN_GRACE = _timed("2026-03-08T12:00:00Z", """[[city.agent]]
name = "other"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
agent_name = "worker"
template = "worker"
pool_managed = "true"
pool_slot = "1"
session_origin = "ephemeral"
generation = "1"
instance_token = "test-token"
state = "active"
last_woke_at = "2026-03-08T11:58:30Z"
[[runtime]]
name = "worker"
session_id = "gc-1"
instance_token = "test-token"
""" + TICK_EXPECT)


def test_a_zero_startup_timeout_leaves_only_the_claim_grace_to_an_orphaned_pool_worker(tmp_path):
    # withinPoolSpawnClaimGraceInfo: startup timeout + 60 s from the wake. Woken 90 s ago, the
    # orphaned worker is past a 0 + 60 s grace (drained) but inside a 60 + 60 s one (kept).
    drained = '[[expect.action]]\nkind = "drain"\nbead = "gc-1"\nreason = "orphaned"'
    kept = "action_count = { drain = 0 }"
    assert scenario_failures(tmp_path, SPAWN_GRACE.format(timeout="0s", expect=drained)) == []
    assert scenario_failures(tmp_path, SPAWN_GRACE.format(timeout="60s", expect=kept)) == []
    assert scenario_failures(tmp_path, SPAWN_GRACE.format(timeout="0s", expect=kept)) != []


SLOW_START = _timed("2026-04-26T12:00:00Z", top="adopt_on_start = false\n", body="""[[city.agent]]
name = "worker"
[[session]]
id = "gc-worker"
title = "worker"
[session.metadata]
session_name = "worker"
template = "worker"
agent_name = "worker"
session_origin = "manual"
state = "creating"
generation = "1"
continuation_epoch = "1"
instance_token = "tok-worker"
pending_create_claim = "true"
[[step]]
do = "slow_start"
name = "worker"
by = "5m"
[[step]]
do = "tick"
[[step]]
do = "advance"
by = "5m"
[[expect]]
after = 2
{expect}
""")


def test_a_zero_startup_timeout_sets_no_deadline_on_a_provider_start(tmp_path):
    # runPreparedStartCandidate wraps Start in a deadline only when the timeout is positive: a
    # five-minute start is enqueued and later commits, where a 60 s timeout fails it.
    enqueued = ('log = ["session lifecycle: op=start wave=0 session=worker template=worker '
                'outcome=start_enqueued"]\nno_log = ["deadline exceeded"]')
    timed_out = 'log = ["outcome=deadline_exceeded"]'
    assert scenario_failures(tmp_path, SLOW_START.format(timeout="0s", expect=enqueued)) == []
    assert scenario_failures(tmp_path, SLOW_START.format(timeout="60s", expect=timed_out)) == []
    committed = (SLOW_START.format(timeout="0s", expect=enqueued)
                 + '[[expect]]\nafter = 3\n[[expect.session]]\nid = "gc-worker"\n'
                   'metadata = { state = "active", pending_create_claim = "" }\n')
    assert scenario_failures(tmp_path, committed) == []


def test_the_retire_bound_counts_the_claim_grace_from_a_zero_timeout(tmp_path):
    # The invariant's bound follows withinPoolSpawnClaimGraceInfo: 0 + 60 s grace + 300 s drain.
    assert retire_bound(scenario_model(tmp_path, SPAWN_GRACE.format(timeout="0s", expect=""))) == 360.0
    assert retire_bound(scenario_model(tmp_path, SPAWN_GRACE.format(timeout="2m", expect=""))) == 480.0
