"""Trackers whose state lives in controller memory or on the bead: the assigned-work defer
backstop, exit classification (wake failures, churn, quarantine) and the named-session
circuit breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.config.city_config import City, Daemon
from core.formats.timefmt import format_time
from core.trackers import circuit as C
from core.trackers import exits as X
from core.trackers.defer import record_defer, reset_defer
from core.trackers.keys import LifecycleKeys
from core.world.beads import SessionBead
from core.world.memory import Memory

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)


def test_defer_streak_exhausts_after_the_limit_and_restarts_on_a_new_anchor():
    mem, keys = Memory(), LifecycleKeys()
    results = []
    for _ in range(4):
        mem, exhausted = record_defer(mem, keys, "w", "t", "bd-1")
        results.append(exhausted)
    assert results == [False, False, False, True]
    mem, exhausted = record_defer(mem, keys, "w", "t", "bd-2")
    assert not exhausted and mem.defer["w"].count == 1
    assert "w" not in reset_defer(mem, "w").defer


def facts(last_woke: datetime | None, **kw) -> X.ExitFacts:
    base = dict(alive=False, drain_pending=False, pending_claim=False, start_in_flight=False, sleep_reason="",
                last_woke_at=format_time(last_woke) if last_woke else "", now=NOW)
    base.update(kw)
    return X.ExitFacts(**base)


def test_exit_classification_by_time_since_wake():
    assert X.decide_exit(facts(NOW - timedelta(seconds=5))) == X.RAPID_CRASH
    assert X.decide_exit(facts(NOW - timedelta(minutes=2))) == X.CHURN
    assert X.decide_exit(facts(NOW - timedelta(minutes=6))) == X.PRODUCTIVE_DEATH
    assert X.decide_exit(facts(None)) == X.NONE
    assert X.decide_exit(facts(NOW - timedelta(seconds=5), alive=True)) == X.NONE


def test_drains_claims_and_deliberate_sleep_suppress_crash_accounting():
    assert X.decide_exit(facts(NOW - timedelta(seconds=5), drain_pending=True)) == X.NONE
    assert X.decide_exit(facts(NOW - timedelta(minutes=2), pending_claim=True)) == X.NONE
    assert X.decide_exit(facts(NOW - timedelta(minutes=2), sleep_reason="idle")) == X.NONE
    assert X.decide_exit(facts(NOW - timedelta(seconds=5), screen_available=True)) == X.GATHER_SCREEN
    assert X.decide_exit(facts(NOW - timedelta(seconds=5), screen_available=True, screen="rate_limit")) == X.RATE_LIMIT


def test_fifth_wake_failure_quarantines_and_resets_the_conversation():
    b = SessionBead("gc-1", NOW, {"wake_attempts": "4", "session_key": "k", "started_config_hash": "h"})
    patch, quarantined = X.wake_failure_patch(b, NOW)
    assert quarantined
    assert patch["wake_attempts"] == "5" and patch["sleep_reason"] == "quarantine"
    assert patch["quarantined_until"] == "2026-05-16T12:05:00Z"
    assert patch["session_key"] == "" and patch["continuation_reset_pending"] == "true"


def test_third_churn_quarantines_as_context_churn():
    b = SessionBead("gc-1", NOW, {"churn_count": "2"})
    patch, quarantined = X.churn_patch(b, NOW)
    assert quarantined and patch["sleep_reason"] == "context-churn"


def test_expired_quarantine_clears_both_counters_and_its_reason():
    b = SessionBead("gc-1", NOW, {"quarantined_until": "2026-05-16T11:00:00Z", "sleep_reason": "quarantine",
                                  "wake_attempts": "5"})
    patch = X.clear_expired_timers_patch(b, NOW)
    assert patch == {"quarantined_until": "", "wake_attempts": "0", "churn_count": "0", "sleep_reason": ""}


def breaker_city(**kw) -> City:
    return City(root=".", path="city.toml", daemon=Daemon(session_circuit_breaker=True, **kw))


def test_circuit_breaker_is_off_by_default():
    assert C.circuit_config(City(root=".", path="city.toml")) is None


def test_circuit_opens_after_max_restarts_without_progress_and_resets_later():
    cfg = C.circuit_config(breaker_city(session_circuit_breaker_max_restarts=2, session_circuit_breaker_window="30m"))
    mem = Memory()
    states = []
    for i in range(3):
        mem, st = C.record_restart(mem, cfg, "mayor", NOW + timedelta(minutes=i))
        states.append(st)
    assert states == [C.CLOSED, C.CLOSED, C.OPEN]
    mem, is_open = C.is_open(mem, cfg, "mayor", NOW + timedelta(minutes=10))
    assert is_open
    mem, is_open = C.is_open(mem, cfg, "mayor", NOW + timedelta(minutes=2, hours=1))
    assert not is_open


def test_progress_in_the_window_keeps_the_circuit_closed():
    cfg = C.circuit_config(breaker_city(session_circuit_breaker_max_restarts=1))
    mem = Memory()
    mem, _ = C.observe_progress(mem, "mayor", "sig-a", NOW)
    assert mem.circuits["mayor"].last_progress is None  # the first observation is only a baseline
    mem, changed = C.observe_progress(mem, "mayor", "sig-b", NOW + timedelta(seconds=1))
    assert changed and mem.circuits["mayor"].last_progress == NOW + timedelta(seconds=1)
    for i in range(3):
        mem, st = C.record_restart(mem, cfg, "mayor", NOW + timedelta(minutes=i))
    assert st == C.CLOSED


def test_circuit_metadata_round_trips_through_the_bead():
    cfg = C.circuit_config(breaker_city(session_circuit_breaker_max_restarts=1))
    mem = Memory()
    for i in range(2):
        mem, _ = C.record_restart(mem, cfg, "mayor", NOW + timedelta(minutes=i))
    md = C.metadata(mem, cfg, "mayor", NOW + timedelta(minutes=2))
    assert md["session_circuit_state"] == C.OPEN
    bead = SessionBead("gc-1", NOW, {k: v for k, v in md.items() if v})
    restored, _ = C.restore(Memory(), cfg, "mayor", bead, NOW + timedelta(minutes=2))
    assert restored.circuits["mayor"].state == C.OPEN
    assert restored.circuits["mayor"].restarts == mem.circuits["mayor"].restarts


# ------------------------------------------------------------------ exact patches (lifecycle_exits.go,
# lifecycle_transition.go, healExpiredTimersInfo)


def test_exact_exit_patches():
    assert X.rate_limit_patch(NOW) == {"state": "asleep", "quarantined_until": "2026-05-16T12:30:00Z",
                                       "sleep_reason": "rate_limit", "last_woke_at": "", "pending_create_claim": "",
                                       "pending_create_started_at": ""}
    assert X.terminal_error_patch("auth expired", NOW) == {
        "state": "asleep", "sleep_reason": "provider-terminal-error", "last_woke_at": "", "pending_create_claim": "",
        "pending_create_started_at": "", "session_health": "unhealthy", "session_health_reason": "auth expired",
        "session_drainable": "true", "provider_terminal_error": "auth expired",
        "provider_terminal_error_at": "2026-05-16T12:00:00Z"}
    b = SessionBead("gc-1", NOW, {"wake_attempts": "1"})
    assert X.wake_failure_patch(b, NOW) == ({"wake_attempts": "2"}, False)
    assert X.wake_failure_patch(SessionBead("gc-1", NOW, {"wake_attempts": "junk"}), NOW) == ({"wake_attempts": "1"}, False)
    assert X.wake_failure_patch(SessionBead("gc-1", NOW, {"started_config_hash": "h", "prompt_hash": "p"}), NOW)[0] == {
        "session_key": "", "continuation_reset_pending": "true", "started_config_hash": "", "primed_at": "",
        "priming_attempted_at": "", "prompt_hash": "", "wake_attempts": "1"}
    assert X.churn_patch(SessionBead("gc-1", NOW, {"churn_count": "1", "session_key": "k"}), NOW) == (
        {"session_key": "", "continuation_reset_pending": "true", "churn_count": "2"}, False)
    assert X.churn_patch(SessionBead("gc-1", NOW, {"churn_count": "2"}), NOW) == (
        {"churn_count": "3", "quarantined_until": "2026-05-16T12:05:00Z", "sleep_reason": "context-churn"}, True)


def test_clearing_patches_touch_only_what_is_set():
    assert X.clear_wake_failures_patch(SessionBead("gc-1", NOW, {"wake_attempts": "0"})) == {}
    assert X.clear_wake_failures_patch(SessionBead("gc-1", NOW, {})) == {}   # an absent counter is not written
    assert X.clear_churn_patch(SessionBead("gc-1", NOW, {})) == {}
    assert X.clear_wake_failures_patch(SessionBead("gc-1", NOW, {"wake_attempts": "3", "quarantined_until": "x"})) == \
        {"wake_attempts": "0", "quarantined_until": ""}
    assert X.clear_churn_patch(SessionBead("gc-1", NOW, {"churn_count": "0"})) == {}
    assert X.clear_churn_patch(SessionBead("gc-1", NOW, {"churn_count": "2"})) == {"churn_count": "0"}
    assert X.woke_for(SessionBead("gc-1", NOW, {"last_woke_at": "2026-05-16T11:59:00Z"}), NOW) == 60.0
    assert X.woke_for(SessionBead("gc-1", NOW, {}), NOW) is None


def test_expired_timers_clear_only_after_their_deadline_and_only_their_own_reason():
    at = format_time(NOW)
    held = SessionBead("gc-1", NOW, {"held_until": at, "sleep_reason": "user-hold"})
    assert X.clear_expired_timers_patch(held, NOW) == {}  # After(t): not at t itself
    later = NOW + timedelta(seconds=1)
    assert X.clear_expired_timers_patch(held, later) == {"held_until": "", "sleep_reason": ""}
    other = SessionBead("gc-1", NOW, {"held_until": at, "sleep_reason": "idle"})
    assert X.clear_expired_timers_patch(other, later) == {"held_until": ""}
    for reason, cleared in (("rate_limit", True), ("context-churn", True), ("user-hold", False)):
        q = SessionBead("gc-1", NOW, {"quarantined_until": at, "sleep_reason": reason})
        want = {"quarantined_until": "", "wake_attempts": "0", "churn_count": "0"}
        if cleared:
            want["sleep_reason"] = ""
        assert X.clear_expired_timers_patch(q, later) == want, reason
        assert X.clear_expired_timers_patch(q, NOW) == {}


def test_a_crash_candidate_needs_every_condition():
    """A subprocess provider, a create in flight or a missing wake stamp is never a rapid crash;
    a rate-limit screen is read only for a candidate; 30 s and 300 s are the thresholds."""
    five = NOW - timedelta(seconds=5)
    assert X.decide_exit(facts(five, subprocess_provider=True)) == X.NONE
    assert X.decide_exit(facts(five, start_in_flight=True)) == X.NONE
    assert X.decide_exit(facts(five, start_in_flight=True, screen_available=True, screen="rate_limit")) == X.NONE
    assert X.decide_exit(facts(five, screen_available=True, screen="other")) == X.RAPID_CRASH
    assert X.decide_exit(facts(NOW - timedelta(seconds=30))) == X.CHURN
    assert X.decide_exit(facts(NOW - timedelta(seconds=299))) == X.CHURN
    assert X.decide_exit(facts(NOW - timedelta(seconds=300))) == X.PRODUCTIVE_DEATH
    assert X.decide_exit(facts(NOW - timedelta(minutes=2), start_in_flight=True)) == X.CHURN


def test_a_wake_failure_resets_the_conversation_for_a_session_key_or_a_started_hash_alone():
    """recordWakeFailure resets when the bead had a conversation key or a started config hash;
    with neither it only counts."""
    for md in ({"session_key": "k"}, {"started_config_hash": "h"}):
        patch, _ = X.wake_failure_patch(SessionBead("gc-1", NOW, md), NOW)
        assert (patch["session_key"], patch["started_config_hash"], patch["continuation_reset_pending"]) == \
            ("", "", "true"), md
    patch, _ = X.wake_failure_patch(SessionBead("gc-1", NOW, {}), NOW)
    assert patch == {"wake_attempts": "1"}


def test_the_open_breaker_is_logged_once_and_only_for_an_open_breaker_of_a_named_identity():
    from core.world.memory import Circuit

    cfg = C.circuit_config(City(root="/c", path="/c/city.toml", daemon=Daemon(session_circuit_breaker=True)))
    closed = Memory().set("circuits", "mayor", Circuit(state=C.CLOSED))
    assert C.log_open_once(closed, cfg, "mayor") == (closed, "")
    assert C.log_open_once(closed, cfg, "deacon") == (closed, "")
    nameless = Memory().set("circuits", "", Circuit(state=C.OPEN, open_restart_count=4))
    assert C.log_open_once(nameless, cfg, "") == (nameless, "")
    opened = Memory().set("circuits", "mayor", Circuit(state=C.OPEN, open_restart_count=4))
    mem, line = C.log_open_once(opened, cfg, "mayor")
    assert line.startswith('ERROR session-circuit-breaker: CIRCUIT_OPEN for named session "mayor" (restarts=4 ')
    assert C.log_open_once(mem, cfg, "mayor") == (mem, "")
