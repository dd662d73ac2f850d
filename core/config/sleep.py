"""Idle-sleep policy resolution: agent -> rig [session_sleep] class -> workspace class -> off."""

from __future__ import annotations

from dataclasses import dataclass

from core.config.city_config import Agent, City
from core.formats.durations import try_duration


@dataclass(frozen=True)
class SleepPolicy:
    """An agent's resolved sleep_after_idle, where it came from, and its sleep class."""
    value: str  # "off" or a duration string
    source: str  # agent | rig_default | workspace_default | legacy_off
    sleep_class: str

    @property
    def enabled(self) -> bool:
        return self.value.lower() != "off" and try_duration(self.value) is not None

    @property
    def seconds(self) -> float | None:
        return try_duration(self.value) if self.enabled else None

    def fingerprint(self) -> str:
        return "|".join((self.value, self.source, self.sleep_class))


def sleep_class(agent: Agent) -> str:
    """"noninteractive" for attach = false, "interactive_fresh" for wake_mode fresh, else
    "interactive_resume"."""
    if agent.attach is False:
        return "noninteractive"
    if agent.wake_mode == "fresh":
        return "interactive_fresh"
    return "interactive_resume"


def normalize_sleep_after_idle(raw: str) -> str:
    """NormalizeSleepAfterIdle: trimmed, and "off" in any case spelled "off" (Gas City normalizes
    every sleep value so when it loads the config)."""
    trimmed = raw.strip()
    return "off" if trimmed.lower() == "off" else trimmed


def resolve_sleep_policy(city: City, agent: Agent) -> SleepPolicy:
    """The sleep_after_idle value Gas City applies to `agent` (normalized), and where it came
    from."""
    cls = sleep_class(agent)
    if value := normalize_sleep_after_idle(agent.sleep_after_idle):
        return SleepPolicy(value, "agent", cls)
    rig = city.rig(agent.dir) if agent.dir else None
    if rig is not None and (value := normalize_sleep_after_idle(rig.session_sleep.get(cls, ""))):
        return SleepPolicy(value, "rig_default", cls)
    if value := normalize_sleep_after_idle(city.session_sleep.get(cls, "")):
        return SleepPolicy(value, "workspace_default", cls)
    return SleepPolicy("off", "legacy_off", cls)
