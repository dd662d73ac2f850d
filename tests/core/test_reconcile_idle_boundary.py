"""shouldBeginIdleDrainInfo (session_reconciler.go): when an idle session may begin its idle drain.
A noninteractive sleep policy needs no probe; otherwise a finished idle probe must have
succeeded with no activity after it completed. A finished probe is consumed either way; one still
running is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.outcome import Outcome
from core.reconcile.awake import WakeEval
from core.reconcile.context import TickContext
from core.reconcile.sleep_policy import Policy
from core.reconcile.wake_apply import _idle_boundary
from core.world.memory import IdleProbe
from core.world.runtime import RuntimeSession
from core.world.world import World


def policy(sleep_class: str) -> Policy:
    return Policy(sleep_class, "5m", "5m", "agent", "full", "", "", 300.0)


def boundary(sleep_class: str | None, probe: IdleProbe | None, activity_after: float | None = None):
    """_idle_boundary for bead gc-1 (runtime `worker`) under this policy class (None: no policy),
    with this probe in controller memory and the runtime's last activity this many seconds after
    the probe completed (None: no activity known). Returns (verdict, probe left in memory)."""
    world = World()
    last = None if activity_after is None else world.now + timedelta(seconds=activity_after)
    world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", last_activity=last))
    if probe is not None:
        world.memory = world.memory.set("idle_probes", "gc-1", probe)
    ctx = TickContext(make_city(), world, "current", Outcome())
    ev = WakeEval([], "idle-sleep", True, False, None if sleep_class is None else policy(sleep_class))
    got = _idle_boundary(ctx, session_bead("gc-1", session_name="worker"), ev)
    return got, ctx.mem.idle_probes.get("gc-1")


def finished(success: bool = True) -> IdleProbe:
    """A probe that started and completed at the world's start."""
    t = World().now
    return IdleProbe(t, True, success, t)


def test_a_noninteractive_session_needs_no_probe():
    assert boundary("noninteractive", None) == (True, None)


@pytest.mark.parametrize("sleep_class", ["interactive_resume", None])
def test_an_interactive_session_without_a_probe_waits(sleep_class):
    assert boundary(sleep_class, None) == (False, None)


def test_a_probe_still_running_is_waited_for_and_kept():
    running = IdleProbe(World().now)
    assert boundary("interactive_resume", running) == (False, running)


@pytest.mark.parametrize(("activity_after", "want"), [
    (None, True),  # no activity known
    (-10.0, True),  # active before the probe completed
    (0.0, True),  # the last activity is the completion itself
    (1.0, False),  # active after the probe completed: not idle
])
def test_a_successful_probe_is_consumed_and_decides_by_the_last_activity(activity_after, want):
    assert boundary("interactive_resume", finished(), activity_after) == (want, None)


def test_a_failed_probe_is_consumed_and_begins_no_drain():
    assert boundary("interactive_resume", finished(success=False), -10.0) == (False, None)
