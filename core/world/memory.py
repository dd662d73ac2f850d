"""Controller memory: state Gas City keeps outside beads (lost when the controller restarts).

Each field is a persistent map of small frozen records, so a snapshot costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

import immutables


@dataclass(frozen=True, slots=True)
class Drain:
    """An in-flight drain (the drain tracker's drainState), keyed by bead id."""

    bead_id: str
    reason: str
    started_at: datetime
    deadline: datetime
    generation: str
    acked: bool = False  # the reconciler stamped GC_DRAIN_ACK on the runtime


@dataclass(frozen=True, slots=True)
class DeferStreak:
    """Assigned-work defer backstop: consecutive idle-kill deferrals on one anchor bead."""

    anchor: str
    count: int


@dataclass(frozen=True, slots=True)
class IdleProbe:
    """An idle-sleep probe (WaitForIdle) for an interactive session; ready one tick later."""

    started_at: datetime
    ready: bool = False
    success: bool = False
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Circuit:
    """Named-session respawn circuit breaker, keyed by configured named identity."""

    restarts: tuple[datetime, ...] = ()
    state: str = "CIRCUIT_CLOSED"
    opened_at: datetime | None = None
    last_restart: datetime | None = None
    last_progress: datetime | None = None
    last_observed: datetime | None = None
    signature: str = ""
    observed: bool = False
    open_restart_count: int = 0
    logged_open_once: bool = False  # LogOpenOnce wrote this open incident's ERROR line


@dataclass(frozen=True)
class Memory:
    """The controller's in-memory state that is not stored on beads (drains, defers, circuits,
    idle probes, ...); immutable, each change returns a new Memory."""
    drains: immutables.Map = field(default_factory=immutables.Map)  # bead id -> Drain
    defer: immutables.Map = field(default_factory=immutables.Map)  # session name -> DeferStreak
    circuits: immutables.Map = field(default_factory=immutables.Map)  # identity -> Circuit
    named_absence: immutables.Map = field(default_factory=immutables.Map)  # bead id -> ticks absent
    idle_probes: immutables.Map = field(default_factory=immutables.Map)  # bead id -> IdleProbe
    idle_probe_cursor: int = 0
    adopted: bool = False  # has the startup adoption barrier run since the last restart
    reset_stalls: immutables.Map = field(default_factory=immutables.Map)  # bead id -> True (reported once)
    # work id -> consecutive failed detached-work probes (Gas City's process-wide error counter)
    detached_probe_errors: immutables.Map = field(default_factory=immutables.Map)
    # identity -> the breaker's reset generation (resetGenerations: the floor below which a
    # persisted breaker snapshot is stale and not restored)
    circuit_generations: immutables.Map = field(default_factory=immutables.Map)

    def with_(self, **changes) -> Memory:
        return replace(self, **changes)

    def set(self, name: str, key: str, value) -> Memory:
        m: immutables.Map = getattr(self, name)
        changed: dict[str, Any] = {name: m.set(key, value)}  # one of the maps, named at run time
        return replace(self, **changed)

    def drop(self, name: str, key: str) -> Memory:
        m: immutables.Map = getattr(self, name)
        if key not in m:
            return self
        changed: dict[str, Any] = {name: m.delete(key)}
        return replace(self, **changed)

    def after_reload(self) -> Memory:
        """What survives a config reload: the drain tracker (drains, suspend confirmations,
        idle probes) and the process-wide circuit breaker; the idle, max-age and defer
        trackers are rebuilt empty."""
        return Memory(drains=self.drains, circuits=self.circuits, circuit_generations=self.circuit_generations,
                      named_absence=self.named_absence,
                      idle_probes=self.idle_probes, idle_probe_cursor=self.idle_probe_cursor,
                      reset_stalls=self.reset_stalls, adopted=self.adopted,
                      detached_probe_errors=self.detached_probe_errors)

    @staticmethod
    def field_names() -> list[str]:
        return [f.name for f in fields(Memory) if f.name not in ("adopted", "idle_probe_cursor")]
