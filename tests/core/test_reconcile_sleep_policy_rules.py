"""The idle sleep policy's rules one at a time (session_sleep.go): the idle reference
(sessionIdleReferenceInfo), each with the case Gas City's switch distinguishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, session_bead

from core.formats.timefmt import format_time
from core.reconcile.sleep_policy import idle_reference_in
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
