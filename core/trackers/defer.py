"""The assigned-work defer backstop (assigned_work_defer_tracker.go): consecutive idle-kill
deferrals on the same anchor bead are counted per session name; past the limit (default 3)
the deferral becomes a forced stop (`assigned-work-exhausted`). On by default."""

from __future__ import annotations

from collections.abc import Iterable

from core.config.city_config import City
from core.trackers.keys import LifecycleKeys, build_keys
from core.world.memory import DeferStreak, Memory

DEFAULT_LIMIT = 3


def build_defer_keys(city: City, semantics: str, running: Iterable[str]) -> LifecycleKeys:
    """Tracker keys for the agents that set an assigned-work defer limit."""
    return build_keys(city, semantics, running, lambda a: a.assigned_work_defer_limit is not None)


def limit_for(keys: LifecycleKeys, session_name: str, template: str) -> tuple[int, str]:
    """(limit, source): a per-name or template registration, else the default."""
    hit = keys.resolve(session_name, template)
    if hit is not None:
        limit = hit[0].assigned_work_defer_limit or 0
        if limit > 0:
            return limit, hit[2]
    return DEFAULT_LIMIT, "default"


def record_defer(mem: Memory, keys: LifecycleKeys, session_name: str, template: str,
                 anchor: str) -> tuple[Memory, bool]:
    """recordDefer: count this deferral (a new anchor restarts at 1); True when the streak
    is now longer than the limit."""
    st = mem.defer.get(session_name)
    if st is None or st.anchor != anchor:
        st = DeferStreak(anchor, 0)
    st = DeferStreak(anchor, st.count + 1)
    limit, _ = limit_for(keys, session_name, template)
    return mem.set("defer", session_name, st), st.count > limit


def reset_defer(mem: Memory, session_name: str) -> Memory:
    """Forget the session's assigned-work defer count."""
    return mem.drop("defer", session_name)
