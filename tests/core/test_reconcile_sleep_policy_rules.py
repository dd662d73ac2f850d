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
from core.reconcile.sleep_policy import Policy, idle_reference_in, policy_for, wake_suppressed_at
from core.world.runtime import Runtime, RuntimeSession

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
    assert (p.sleep_class, p.requested, p.effective, p.source, p.duration) == (
        "interactive_resume", "10s", "10s", "agent", 10.0)
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
