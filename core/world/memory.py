"""Controller memory: state Gas City keeps outside beads (lost when the controller restarts).

Each field is a persistent map of small frozen records, so a snapshot costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

import immutables


@dataclass(frozen=True, slots=True)
class Drain:
    """An in-flight drain (session_reconciler's drain tracker entry)."""

    bead_id: str
    reason: str
    started_at: datetime
    deadline: datetime
    generation: str
    acked: bool = False


@dataclass(frozen=True, slots=True)
class DeferStreak:
    """Assigned-work defer backstop: consecutive idle-kill deferrals on one anchor bead."""

    anchor: str
    count: int


@dataclass(frozen=True, slots=True)
class Circuit:
    """Named-session respawn circuit breaker, keyed by configured named identity."""

    restarts: tuple[datetime, ...] = ()
    state: str = "CIRCUIT_CLOSED"
    opened_at: datetime | None = None
    last_restart: datetime | None = None
    last_progress: datetime | None = None
    signature: str | None = None


@dataclass(frozen=True)
class Memory:
    drains: immutables.Map = field(default_factory=immutables.Map)  # bead id -> Drain
    defer: immutables.Map = field(default_factory=immutables.Map)  # session name -> DeferStreak
    circuits: immutables.Map = field(default_factory=immutables.Map)  # identity -> Circuit
    named_absence: immutables.Map = field(default_factory=immutables.Map)  # bead id -> ticks absent
    max_age_offset: immutables.Map = field(default_factory=immutables.Map)  # session name -> seconds
    adopted: bool = False  # has the startup adoption barrier run since the last restart

    def with_(self, **changes) -> "Memory":
        return replace(self, **changes)

    def set(self, name: str, key: str, value) -> "Memory":
        m: immutables.Map = getattr(self, name)
        return replace(self, **{name: m.set(key, value)})

    def drop(self, name: str, key: str) -> "Memory":
        m: immutables.Map = getattr(self, name)
        if key not in m:
            return self
        return replace(self, **{name: m.delete(key)})

    @staticmethod
    def field_names() -> list[str]:
        return [f.name for f in fields(Memory) if f.name != "adopted"]
