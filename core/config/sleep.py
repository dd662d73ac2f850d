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


def resolve_sleep_policy(city: City, agent: Agent) -> SleepPolicy:
    """The sleep_after_idle value Gas City applies to `agent`, and where it came from."""
    cls = sleep_class(agent)
    if agent.sleep_after_idle.strip():
        return SleepPolicy(agent.sleep_after_idle.strip(), "agent", cls)
    rig = city.rig(agent.dir) if agent.dir else None
    if rig is not None and rig.session_sleep.get(cls, "").strip():
        return SleepPolicy(rig.session_sleep[cls].strip(), "rig_default", cls)
    if city.session_sleep.get(cls, "").strip():
        return SleepPolicy(city.session_sleep[cls].strip(), "workspace_default", cls)
    return SleepPolicy("off", "legacy_off", cls)
