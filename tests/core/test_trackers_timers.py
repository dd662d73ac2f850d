"""The idle-timeout and max-session-age trackers and their decision ladders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_city as city

from core.config.city_config import Agent
from core.formats.timefmt import format_time
from core.trackers import timers as T
from core.trackers.idle import build_idle_keys, check_idle
from core.trackers.max_age import (
    build_max_age_keys,
    check_max_age,
    fnv64a,
    jitter_offset,
)

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)


def test_fnv64a_matches_the_reference_vectors():
    assert fnv64a(b"") == 0xCBF29CE484222325
    assert fnv64a(b"a") == 0xAF63DC4C8601EC8C
    assert fnv64a(b"foobar") == 0x85944171F73967E8


def test_the_nano_form_drops_trailing_zeros_like_go():
    assert format_time(NOW) == "2026-05-16T12:00:00Z"
    assert format_time(NOW.replace(microsecond=120000)) == "2026-05-16T12:00:00.12Z"


def test_jitter_offset_is_deterministic_and_bounded():
    a = jitter_offset("rig/worker", "worker-gc-1", NOW, 600.0)
    assert a == jitter_offset("rig/worker", "worker-gc-1", NOW, 600.0)
    assert 0.0 <= a < 600.0
    assert a != jitter_offset("rig/worker", "worker-gc-1", NOW + timedelta(seconds=1), 600.0)
    assert jitter_offset("rig/worker", "worker-gc-1", NOW, 0.0) == 0.0


# Offsets computed outside this code base, with Go's own hash/fnv (New64a) and time packages: the
# bytes template, NUL, session name, NUL, anchor.UTC().Format(time.RFC3339Nano) hashed, the 64-bit
# sum taken modulo the jitter in nanoseconds, as deterministicMaxSessionAgeOffset in
# cmd/gc/max_session_age_tracker.go does (a throwaway Go program printed sum and offset; e.g. the
# first row hashes "rig/worker\0worker-gc-1\02026-05-16T12:00:00Z" to 8396921684309638998, and
# 8396921684309638998 mod 600e9 = 284309638998 ns = 4m44.309638998s).
GO_OFFSETS = [
    ("rig/worker", "worker-gc-1", NOW, 600, 284_309_638_998),
    ("rig/worker", "worker-gc-1", NOW + timedelta(seconds=1), 600, 477_007_377_747),
    ("rig/worker", "worker-gc-2", NOW, 600, 485_893_913_429),
    ("worker", "worker-gc-1", NOW, 1800, 1_383_849_353_439),
    ("rig/worker", "worker-gc-1", NOW + timedelta(milliseconds=120), 600, 561_449_568_913),
    ("gascity/polecat", "polecat-gc-7", datetime(2026, 1, 1, tzinfo=UTC), 3600, 2_863_127_517_213),
]


@pytest.mark.parametrize("template, name, anchor, jitter, want_ns", GO_OFFSETS)
def test_jitter_offset_is_the_one_gas_city_computes(template, name, anchor, jitter, want_ns):
    assert round(jitter_offset(template, name, anchor, float(jitter)) * 1e9) == want_ns


def test_max_age_fires_exactly_at_the_go_computed_deadline():
    """worker-gc-1 of rig/worker anchored at NOW, 1h max age, 10m jitter: Gas City restarts it
    once 1h 4m 44.309638998s have passed, not a microsecond before."""
    c = city(Agent(name="worker", dir="rig", max_session_age="1h", max_session_age_jitter="10m"))
    keys = build_max_age_keys(c, "current", [])
    due = NOW + timedelta(hours=1, minutes=4, seconds=44, microseconds=309639)
    assert check_max_age(keys, "worker-gc-1", "rig/worker", NOW, due).fired
    assert not check_max_age(keys, "worker-gc-1", "rig/worker", NOW, due - timedelta(microseconds=2)).fired


def test_idle_fires_strictly_after_the_timeout_and_never_without_activity():
    c = city(Agent(name="worker", idle_timeout="10m"))
    keys = build_idle_keys(c, "current", [])
    assert not check_idle(keys, "worker-gc-1", "worker", NOW - timedelta(minutes=10), NOW).fired
    assert check_idle(keys, "worker-gc-1", "worker", NOW - timedelta(minutes=10, seconds=1), NOW).fired
    assert not check_idle(keys, "worker-gc-1", "worker", None, NOW).fired


def test_max_age_fires_at_the_threshold_plus_offset():
    c = city(Agent(name="worker", max_session_age="1h"))
    keys = build_max_age_keys(c, "current", [])
    anchor = NOW - timedelta(hours=1)
    assert check_max_age(keys, "worker-gc-1", "worker", anchor, NOW).fired
    assert not check_max_age(keys, "worker-gc-1", "worker", anchor + timedelta(seconds=1), NOW).fired
    assert not check_max_age(keys, "worker-gc-1", "worker", None, NOW).fired


def test_max_age_jitter_moves_the_deadline():
    c = city(Agent(name="worker", max_session_age="1h", max_session_age_jitter="30m"))
    keys = build_max_age_keys(c, "current", [])
    chk = check_max_age(keys, "worker-gc-1", "worker", NOW, NOW)
    assert chk.deadline == NOW + timedelta(hours=1, seconds=chk.offset)
    assert chk.offset == jitter_offset("worker", "worker-gc-1", NOW, 1800.0)


def test_idle_ladder_order():
    stop = T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=False, assigned_work=False))
    assert (stop.action, stop.reason, stop.outcome, stop.sleep_reason) == ("stop", "idle_timeout", "stop", "idle-timeout")
    held = T.decide_idle_timeout(T.TimerFacts(triggered=True, blocker="user_hold"))
    assert (held.action, held.reason, held.outcome) == ("defer", "user_hold", "deferred_user_hold")
    assert T.decide_idle_timeout(T.TimerFacts(triggered=True)).action == T.GATHER_PENDING
    pending = T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=True))
    assert pending.outcome == "deferred_pending" and pending.cancel_drain and pending.skip_wake_pass
    attached = T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=False, attached=True))
    assert attached.outcome == "deferred_attached"
    assert T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=False)).action == T.GATHER_WORK
    busy = T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=False, assigned_work=True))
    assert (busy.reason, busy.outcome) == ("assigned_work", "deferred_busy")
    assert T.decide_idle_timeout(T.TimerFacts(triggered=False)).action == T.NONE


def test_max_age_ladder_has_no_attached_rung_and_pending_does_not_cancel_drains():
    dec = T.decide_max_session_age(T.TimerFacts(triggered=True, pending=False, attached=True, assigned_work=False))
    assert (dec.action, dec.sleep_reason) == ("stop", "max-session-age")
    pending = T.decide_max_session_age(T.TimerFacts(triggered=True, pending=True))
    assert pending.outcome == "deferred_pending" and not pending.cancel_drain


def test_timer_blocker_prefers_hold_over_quarantine():
    ahead = (NOW + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    behind = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert T.timer_blocker(ahead, ahead, NOW) == "user_hold"
    assert T.timer_blocker(behind, ahead, NOW) == "quarantine"
    assert T.timer_blocker(behind, "", NOW) == ""


def test_no_timer_config_reports_nothing_and_a_subsecond_limit_still_counts():
    """An agent without idle_timeout / max_session_age gives an inert check (zeros, no key, the
    given anchor, not fired); a 500ms limit is a limit (positive, so keyed and able to fire)."""
    from core.trackers.idle import IdleCheck
    from core.trackers.max_age import MaxAgeCheck

    c = city(Agent(name="worker"))
    anchor = NOW - timedelta(days=3)
    assert check_max_age(build_max_age_keys(c, "current", []), "worker-gc-1", "worker", anchor, NOW) == \
        MaxAgeCheck(0.0, 0.0, 0.0, "", "", anchor, False)
    assert check_idle(build_idle_keys(c, "current", []), "worker-gc-1", "worker", anchor, NOW) == \
        IdleCheck(0.0, "", "", anchor, False)
    quick = city(Agent(name="worker", max_session_age="500ms", idle_timeout="500ms"))
    mk = build_max_age_keys(quick, "current", [])
    chk = check_max_age(mk, "worker-gc-1", "worker", NOW - timedelta(seconds=1), NOW)
    assert chk.fired and chk.max_age == 0.5 and chk.jitter == 0.0 and chk.offset == 0.0
    assert not check_max_age(mk, "worker-gc-1", "worker", None, NOW).fired
    assert check_max_age(mk, "worker-gc-1", "worker", None, NOW).offset == 0.0
    assert check_idle(build_idle_keys(quick, "current", []), "worker-gc-1", "worker",
                      NOW - timedelta(seconds=1), NOW).fired


def test_timer_ladders_name_the_pending_and_attached_reasons():
    age = T.decide_max_session_age(T.TimerFacts(triggered=True, pending=True))
    assert (age.action, age.reason, age.outcome) == ("defer", "pending", "deferred_pending")
    assert T.decide_max_session_age(T.TimerFacts(triggered=False)).action == T.NONE
    idle = T.decide_idle_timeout(T.TimerFacts(triggered=True, pending=False, attached=True))
    assert (idle.action, idle.reason, idle.outcome) == ("defer", "attached", "deferred_attached")
