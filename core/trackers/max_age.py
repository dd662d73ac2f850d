"""The max-session-age tracker (max_session_age_tracker.go). A live session is cycled once
now minus `creation_complete_at` is at least `max_session_age` plus a jitter offset.

Gas City draws per-name offsets at random when the tracker is built and derives template
fallback offsets from an FNV-64a hash. The model uses the hash for every entry (template,
NUL, session name, NUL, anchor in RFC 3339 UTC), so the same inputs always give the same
deadline; like Gas City, a restarted session (new anchor) gets a new target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.config.city_config import City
from core.formats.durations import try_duration
from core.formats.timefmt import format_time
from core.trackers.keys import LifecycleKeys, build_keys

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def fnv64a(data: bytes) -> int:
    """64-bit FNV-1a hash of `data`."""
    h = _FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def jitter_offset(template: str, session_name: str, anchor: datetime, jitter: float) -> float:
    """deterministicMaxSessionAgeOffset, in seconds (nanosecond arithmetic as in Go)."""
    jitter_ns = int(round(jitter * 1e9))
    if jitter_ns <= 0:
        return 0.0
    data = template.encode() + b"\0" + session_name.encode() + b"\0" + format_time(anchor).encode()
    return (fnv64a(data) % jitter_ns) / 1e9


def max_age_seconds(a) -> float:
    """The agent's max_session_age in seconds; 0 when unset or unparsable."""
    return try_duration(a.max_session_age, 0.0) or 0.0


def build_max_age_keys(city: City, semantics: str, running: Iterable[str]) -> LifecycleKeys:
    """Tracker keys for the agents with a max session age."""
    return build_keys(city, semantics, running, lambda a: max_age_seconds(a) > 0)


@dataclass(frozen=True)
class MaxAgeCheck:
    """One session's max-age state: the age limit, its jitter and this session's offset, the anchor
    it counts from, and whether it fired."""
    max_age: float
    jitter: float
    offset: float
    key: str
    source: str
    anchor: datetime | None
    fired: bool

    @property
    def deadline(self) -> datetime | None:
        if not self.max_age or self.anchor is None:
            return None
        return self.anchor + timedelta(seconds=self.max_age + self.offset)


def check_max_age(keys: LifecycleKeys, session_name: str, template: str, anchor: datetime | None,
                  now: datetime) -> MaxAgeCheck:
    """shouldRestart: fires when now - anchor >= max_age + offset; no anchor, no trigger."""
    hit = keys.resolve(session_name, template)
    if hit is None or not session_name:
        return MaxAgeCheck(0.0, 0.0, 0.0, "", "", anchor, False)
    agent, key, source = hit
    max_age = max_age_seconds(agent)
    jitter = try_duration(agent.max_session_age_jitter, 0.0) or 0.0
    offset = jitter_offset(agent.qualified_name, session_name, anchor, jitter) if anchor is not None else 0.0
    fired = max_age > 0 and anchor is not None and (now - anchor).total_seconds() >= max_age + offset
    return MaxAgeCheck(max_age, jitter, offset, key, source, anchor, fired)
