"""The idle-timeout tracker (idle_tracker.go): config only, no clock state. A session is
idle when now minus its provider-reported last activity is strictly greater than its
`idle_timeout` (per-name entry first, template fallback second)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.config.city_config import City
from core.formats.durations import try_duration
from core.trackers.keys import LifecycleKeys, build_keys


def idle_timeout_seconds(a) -> float:
    """The agent's idle_timeout in seconds; 0 when unset or unparsable."""
    return try_duration(a.idle_timeout, 0.0) or 0.0


def build_idle_keys(city: City, semantics: str, running: Iterable[str]) -> LifecycleKeys:
    """Tracker keys for the agents with an idle timeout."""
    return build_keys(city, semantics, running, lambda a: idle_timeout_seconds(a) > 0)


@dataclass(frozen=True)
class IdleCheck:
    """One session's idle-timeout state: the timeout, the key it resolved by, last activity, and
    whether it fired."""
    timeout: float  # seconds; 0 = no entry
    key: str
    source: str  # name | template | ""
    last_activity: datetime | None
    fired: bool

    @property
    def deadline(self) -> datetime | None:
        from datetime import timedelta

        if not self.timeout or self.last_activity is None:
            return None
        return self.last_activity + timedelta(seconds=self.timeout)


def check_idle(keys: LifecycleKeys, session_name: str, template: str, last_activity: datetime | None,
               now: datetime) -> IdleCheck:
    """checkIdle: fires when now - last_activity > timeout; never on unknown activity."""
    hit = keys.resolve(session_name, template)
    if hit is None:
        return IdleCheck(0.0, "", "", last_activity, False)
    agent, key, source = hit
    timeout = idle_timeout_seconds(agent)
    fired = timeout > 0 and last_activity is not None and (now - last_activity).total_seconds() > timeout
    return IdleCheck(timeout, key, source, last_activity, fired)
