"""The idle sleep policy's rules one at a time (session_sleep.go): the resolved policy
(resolveSessionSleepPolicyInfo over config.ResolveSessionSleepPolicy, its values normalized as
NormalizeSessionSleepFields does at load) and the idle reference (sessionIdleReferenceInfo),
each with the cases Gas City's code distinguishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, make_city, session_bead

from core.config.city_config import Agent, Rig
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sleep_policy import (
    Policy,
    idle_reference_in,
    keep_warm_eligible,
    persist,
    policy_for,
    reconcile_detached_at,
    resolve,
    wake_suppressed_at,
)
from core.world.runtime import Runtime, RuntimeSession
from core.world.world import World

EARLY, LATE = T0 - timedelta(minutes=10), T0 - timedelta(minutes=2)


def runtime(activity) -> Runtime:
    """A runtime with one live session `worker` whose provider reports this last activity."""
    rt = Runtime()
    rt.sessions = rt.sessions.set("worker", RuntimeSession("worker", last_activity=activity))
    return rt


@pytest.mark.parametrize(("detached", "activity", "want"), [
    (None, LATE, LATE),  # never detached: the activity alone
    (EARLY, None, EARLY),  # no activity reported: detached_at alone
    (EARLY, LATE, LATE),  # active after detaching: the activity
    (LATE, EARLY, LATE),  # detached after the last activity: detached_at
    (None, None, None),
])
def test_the_idle_reference_is_the_later_of_detached_at_and_the_last_activity(detached, activity, want):
    """sessionIdleReferenceInfo's four-way switch: a zero side yields the other, else the later."""
    md = {"session_name": "worker"} | ({"detached_at": format_time(detached)} if detached else {})
    assert idle_reference_in(runtime(activity), session_bead("gc-1", **md)) == want


def test_a_template_the_config_does_not_know_sleeps_never():
    """resolveSessionSleepPolicyInfo with no agent: ResolveSessionSleepPolicy(nil) is the
    noninteractive legacy off, and sessionSleepFingerprint of no agent is empty."""
    assert policy_for(make_city(), None) == Policy("noninteractive", "off", "off", "legacy_off", "full", "", "", 0.0)


def test_the_agents_own_value_wins_over_the_rig_and_workspace_defaults():
    """TestResolveSessionSleepPolicyPrecedence, with the duration and fingerprint it implies."""
    city = make_city(Agent(name="worker", dir="rig-a", sleep_after_idle="10s"),
                     rigs=[Rig("rig-a", session_sleep={"interactive_resume": "5m"})],
                     session_sleep={"interactive_resume": "60s"})
    p = policy_for(city, city.agents[0])
    # full capability (citywatch's provider reports activity and attachment): no adjustment
    assert (p.sleep_class, p.requested, p.effective, p.source, p.capability, p.adjustment, p.duration) == (
        "interactive_resume", "10s", "10s", "agent", "full", "", 10.0)
    assert p.fingerprint == ("value=10s|class=interactive_resume|source=agent|wake=resume|cap=full|deps="
                             "|template=rig-a/worker")


@pytest.mark.parametrize(("agent", "workspace"), [("OFF", ""), (" Off ", ""), ("", "OFF")])
def test_off_in_any_case_is_off(agent, workspace):
    """NormalizeSleepAfterIdle (EqualFold "off") runs on every sleep value at load: "OFF" is the
    disabled policy, not an enabled one of no duration, which would suppress every config wake."""
    city = make_city(Agent(name="worker", sleep_after_idle=agent),
                     session_sleep={"interactive_resume": workspace} if workspace else {})
    p = policy_for(city, city.agents[0])
    assert (p.requested, p.effective, p.duration, p.enabled) == ("off", "off", 0.0, False)
    assert wake_suppressed_at(runtime(None), T0, session_bead("gc-1", session_name="worker"), p) is False


def test_the_fingerprint_names_the_wake_mode_and_every_dependency():
    """sessionSleepFingerprint: value, class, source, EffectiveWakeMode, capability, the
    dependencies joined by commas and the qualified template, joined by "|"."""
    city = make_city(Agent(name="worker", sleep_after_idle="1m", wake_mode="fresh", depends_on=("db", "cache")))
    assert policy_for(city, city.agents[0]).fingerprint == (
        "value=1m|class=interactive_fresh|source=agent|wake=fresh|cap=full|deps=db,cache|template=worker")


# ---------------------------------------------------------------------------- suppression and keep-warm

FIVE_MIN = Policy("interactive_resume", "5m", "5m", "agent", "full", "", "fp-now", 300.0)
OFF = Policy("interactive_resume", "off", "off", "legacy_off", "full", "", "fp-off", 0.0)
ZERO = Policy("interactive_resume", "0s", "0s", "agent", "full", "", "fp-zero", 0.0)


def suppressed(p: Policy, idle_for: float | None, **md: str) -> bool:
    """configWakeSuppressedInfo at T0 for session `worker`, last active `idle_for` seconds ago
    (None: no activity known, no detached_at)."""
    activity = None if idle_for is None else T0 - timedelta(seconds=idle_for)
    return wake_suppressed_at(runtime(activity), T0, session_bead("gc-1", session_name="worker", **md), p)


@pytest.mark.parametrize(("p", "idle_for", "md", "want"), [
    (OFF, 3600, {}, False),  # a disabled policy never suppresses
    (FIVE_MIN, 3600, {"sleep_reason": "idle-timeout"}, False),  # slept by idle_timeout: never
    (ZERO, None, {"sleep_reason": "idle-timeout"}, False),
    # asleep idle under the same fingerprint: suppressed with no idle reference at all
    (FIVE_MIN, None, {"sleep_reason": "idle", "sleep_policy_fingerprint": "fp-now"}, True),
    # another fingerprint, or another sleep reason: judged by the idle time
    (FIVE_MIN, None, {"sleep_reason": "idle", "sleep_policy_fingerprint": "fp-old"}, False),
    (FIVE_MIN, None, {"sleep_reason": "drained", "sleep_policy_fingerprint": "fp-now"}, False),
    (ZERO, None, {}, True),  # a zero duration suppresses at once
    (FIVE_MIN, None, {}, False),  # no idle reference: not suppressed
    (FIVE_MIN, 299, {}, False),
    (FIVE_MIN, 300, {}, True),  # !now.Before(reference + duration): the boundary itself suppresses
])
def test_when_the_policy_suppresses_a_config_wake(p, idle_for, md, want):
    """configWakeSuppressedInfo, branch by branch."""
    assert suppressed(p, idle_for, **md) is want


def test_an_empty_stored_fingerprint_never_matches():
    """The idle-latch rule needs a non-empty stored fingerprint: an empty one equal to an empty
    policy fingerprint falls through to the idle time."""
    p = Policy("interactive_resume", "5m", "5m", "agent", "full", "", "", 300.0)
    assert suppressed(p, None, sleep_reason="idle", sleep_policy_fingerprint="") is False


@pytest.mark.parametrize(("p", "idle_for", "want"), [
    (FIVE_MIN, 60, True),  # interactive, enabled, idle but not yet long enough
    (FIVE_MIN, 300, False),  # idle long enough: suppressed, not kept warm
    (FIVE_MIN, None, False),  # no idle reference
    (OFF, 60, False),
    (ZERO, 60, False),
    (Policy("noninteractive", "5m", "5m", "agent", "full", "", "fp", 300.0), 60, False),
])
def test_which_sessions_are_kept_warm(p, idle_for, want):
    """sessionKeepWarmEligibleInfo."""
    activity = None if idle_for is None else T0 - timedelta(seconds=idle_for)
    assert keep_warm_eligible(runtime(activity), T0, session_bead("gc-1", session_name="worker"), p) is want


# ---------------------------------------------------------------------------- bead writes


def tick(*, attached: bool = False, **md: str) -> TickContext:
    """A tick at T0 over bead gc-1 of agent `worker` (session `worker`, live, attached or not),
    any metadata by keyword."""
    world = World()
    world.now = T0
    world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", attached=attached))
    world.store.put_session(session_bead("gc-1", **{"session_name": "worker", "template": "worker", **md}))
    return TickContext(make_city(Agent(name="worker", sleep_after_idle="5m")), world, "current", Outcome())


SNAPSHOT_KEYS = ("requested_sleep_after_idle", "effective_sleep_after_idle", "sleep_policy_source", "sleep_capability",
                 "sleep_policy_adjustment_reason", "sleep_policy_fingerprint", "config_wake_suppressed")


def persisted(ctx: TickContext, suppressed: bool) -> dict[str, str]:
    b = persist(ctx, ctx.store.session("gc-1"), FIVE_MIN, suppressed)
    assert b == ctx.store.session("gc-1")  # the bead as written
    return {k: b.get(k) for k in SNAPSHOT_KEYS}


def test_persist_writes_the_policy_snapshot():
    """persistSleepPolicyMetadataInfo: the seven policy keys, config_wake_suppressed "true" or
    empty (boolMetadata)."""
    assert persisted(tick(), True) == {
        "requested_sleep_after_idle": "5m", "effective_sleep_after_idle": "5m", "sleep_policy_source": "agent",
        "sleep_capability": "full", "sleep_policy_adjustment_reason": "", "sleep_policy_fingerprint": "fp-now",
        "config_wake_suppressed": "true"}
    ctx = tick(config_wake_suppressed="true", sleep_policy_adjustment_reason="stale")
    got = persisted(ctx, False)
    assert got["config_wake_suppressed"] == "" and got["sleep_policy_adjustment_reason"] == ""


@pytest.mark.parametrize(("md", "kept"), [
    ({"state": "asleep", "sleep_reason": "idle"}, True),  # slept idle: keeps what it slept under
    ({"state": "awake", "sleep_intent": "idle-stop-pending"}, True),  # an idle drain in flight
    ({"state": "asleep", "sleep_reason": "drained"}, False),
    ({"state": "awake", "sleep_reason": "idle"}, False),
    ({"state": "awake", "sleep_intent": "idle"}, False),
])
def test_an_idle_slept_bead_keeps_the_fingerprint_it_slept_under(md, kept):
    """persistSleepPolicyMetadataInfo's fingerprint preservation: asleep with sleep_reason idle,
    or an idle-stop-pending intent, with a stored fingerprint keeps it; anything else takes the
    policy's."""
    got = persisted(tick(sleep_policy_fingerprint="fp-old", **md), False)["sleep_policy_fingerprint"]
    assert got == ("fp-old" if kept else "fp-now")


def test_an_idle_slept_bead_with_no_stored_fingerprint_takes_the_policys():
    assert persisted(tick(state="asleep", sleep_reason="idle"), False)["sleep_policy_fingerprint"] == "fp-now"


NONINTERACTIVE = Policy("noninteractive", "5m", "5m", "agent", "full", "", "fp", 300.0)
STAMP = "2026-05-16T11:00:00Z"


@pytest.mark.parametrize(("p", "alive", "attached", "before", "after"), [
    (FIVE_MIN, True, False, "", format_time(T0)),  # first seen detached: stamped now
    (FIVE_MIN, True, False, STAMP, STAMP),  # already stamped: kept
    (FIVE_MIN, True, True, STAMP, ""),  # attached: cleared
    (FIVE_MIN, True, True, "", ""),
    (FIVE_MIN, False, False, STAMP, ""),  # not alive: cleared
    (OFF, True, False, STAMP, ""),  # the policy does not apply: cleared
    (NONINTERACTIVE, True, False, STAMP, ""),
    (NONINTERACTIVE, True, False, "", ""),
])
def test_detached_at_tracks_when_an_interactive_session_was_last_seen_detached(p, alive, attached, before, after):
    """reconcileDetachedAtInfo."""
    ctx = tick(attached=attached, **({"detached_at": before} if before else {}))
    b = reconcile_detached_at(ctx, ctx.store.session("gc-1"), p, alive)
    assert b.get("detached_at") == after and ctx.store.session("gc-1").get("detached_at") == after


def test_resolve_is_the_policy_of_each_beads_own_template():
    """resolve keeps one policy per template: two templates under one config get their own."""
    world = World()
    city = make_city(Agent(name="a", sleep_after_idle="1m"), Agent(name="b", sleep_after_idle="2m"))
    ctx = TickContext(city, world, "current", Outcome())
    pa = resolve(ctx, session_bead("gc-1", template="a"))
    pb = resolve(ctx, session_bead("gc-2", template="b"))
    assert (pa, pb) == (policy_for(city, city.agents[0]), policy_for(city, city.agents[1]))
    assert resolve(ctx, session_bead("gc-3", template="unknown")) == policy_for(city, None)


def test_a_zero_duration_is_never_kept_warm_even_when_slept_by_idle_timeout():
    """sessionKeepWarmEligibleInfo's own Duration == 0 check: an idle-timeout sleep is never
    suppressed (configWakeSuppressedInfo), so without it a zero policy would keep it warm."""
    b = session_bead("gc-1", session_name="worker", sleep_reason="idle-timeout")
    assert keep_warm_eligible(runtime(T0 - timedelta(seconds=60)), T0, b, ZERO) is False
    one = Policy("interactive_resume", "1s", "1s", "agent", "full", "", "fp", 1.0)
    active = runtime(T0 - timedelta(milliseconds=500))
    assert keep_warm_eligible(active, T0, session_bead("gc-1", session_name="worker"), one) is True


def test_an_unparsable_value_is_enabled_with_no_duration():
    """ParseSleepAfterIdle fails: Duration stays zero while the effective value is not off, so
    the policy is enabled and suppresses config wakes at once (configWakeSuppressedInfo)."""
    city = make_city(Agent(name="worker", sleep_after_idle="soon"))
    p = policy_for(city, city.agents[0])
    assert (p.effective, p.duration, p.enabled) == ("soon", 0.0, True)
    assert wake_suppressed_at(runtime(None), T0, session_bead("gc-1", session_name="worker"), p) is True


def test_a_no_op_returns_the_callers_snapshot_unread():
    """An empty diff writes and reads nothing: persistSleepPolicyMetadataInfo returns the Info it
    was given (ApplyPatchInfo is not called), and reconcileDetachedAtInfo returns no batch, so
    the caller keeps its own snapshot even when the store has moved on since."""
    ctx = tick()
    snapshot = persist(ctx, ctx.store.session("gc-1"), FIVE_MIN, False)
    ctx.store.update_session("gc-1", {"note": "written since"})
    assert persist(ctx, snapshot, FIVE_MIN, False) is snapshot
    assert reconcile_detached_at(ctx, snapshot, OFF, True) is snapshot
    assert reconcile_detached_at(ctx, snapshot, FIVE_MIN, True).get("note") == "written since"  # a write: re-read
    attached = tick(attached=True)
    snapshot = attached.store.session("gc-1")
    attached.store.update_session("gc-1", {"note": "written since"})
    assert reconcile_detached_at(attached, snapshot, FIVE_MIN, True) is snapshot  # attached, nothing to clear
