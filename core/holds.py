"""Why a session the controller wants is kept from running, and until when.

A crash-looping session is quarantined (`quarantined_until` on its bead, written by the
wake-failure and churn trackers); a named session whose respawns made no progress has its
circuit breaker open (`session_circuit_state`, persisted to the bead) until `reset_after` has
passed since its last restart; an operator hold (`held_until`) keeps it asleep too. The
Sessions panel, the Why panel's first line and the loop alarms all read this one answer, so
they never disagree about a crash loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.formats.timefmt import format_time, parse_time
from core.world import beads as B

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.world.beads import SessionBead
    from core.world.memory import Memory

QUARANTINED, CIRCUIT_OPEN, HELD = "quarantined", "circuit open", "held"


@dataclass(frozen=True)
class Hold:
    """What keeps a session from running: its kind, when it ends (None: not known) and a short
    reason (the counters behind it)."""

    kind: str  # quarantined | circuit open | held
    until: datetime | None
    reason: str

    def clock(self) -> str:
        """When the hold ends as HH:MM:SS ("?" when not known)."""
        return format_time(self.until)[11:19] if self.until is not None else "?"

    def headline(self) -> str:
        """`text()` with the kind in capitals, for the first line of an explanation."""
        return self.kind.upper() + self.text()[len(self.kind):]

    def text(self) -> str:
        """One phrase: "quarantined until 09:45:00 (crash loop: churn 3, 1 failed wake)"."""
        return f"{self.kind} until {self.clock()}" + (f" ({self.reason})" if self.reason else "")


def _int(v: str) -> int:
    try:
        return int(v or 0)
    except ValueError:
        return 0


def _loop_reason(b: SessionBead) -> str:
    churn, wakes = _int(b.get(B.CHURN_COUNT)), _int(b.get(B.WAKE_ATTEMPTS))
    bits = [f"churn {churn}" if churn else "", f"{wakes} failed wake{'s' if wakes != 1 else ''}" if wakes else ""]
    counted = ", ".join(x for x in bits if x)
    return "crash loop" + (f": {counted}" if counted else "")


def circuit_reset_at(b: SessionBead, city: City | None, memory: Memory | None = None) -> datetime | None:
    """When an open circuit closes by itself: `reset_after` past its last restart (controller
    memory first, else what the bead persisted); None when that cannot be known."""
    from core.trackers.circuit import circuit_config

    cfg = circuit_config(city) if city is not None else None
    if cfg is None:
        return None
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
    c = memory.circuits.get(identity) if memory is not None and identity else None
    last = c.last_restart if c is not None else parse_time(b.get(B.CIRCUIT_LAST_RESTART))
    return last + timedelta(seconds=cfg.reset_after) if last is not None else None


def _circuit_open(b: SessionBead, memory: Memory | None) -> bool:
    from core.trackers.circuit import OPEN

    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
    c = memory.circuits.get(identity) if memory is not None and identity else None
    if c is not None:
        return c.state == OPEN
    return b.get(B.CIRCUIT_STATE) == OPEN


def session_hold(b: SessionBead, now: datetime, city: City | None = None,
                 memory: Memory | None = None) -> Hold | None:
    """The hold in force on bead `b` at `now` (quarantine first, then an open circuit, then an
    operator hold), or None."""
    q = parse_time(b.get(B.QUARANTINED_UNTIL))
    if q is not None and now < q:
        return Hold(QUARANTINED, q, _loop_reason(b))
    if _circuit_open(b, memory):
        restarts = _int(b.get(B.CIRCUIT_OPEN_RESTART_COUNT))
        why = f"respawned {restarts} times without progress" if restarts else "respawns made no progress"
        return Hold(CIRCUIT_OPEN, circuit_reset_at(b, city, memory), why)
    h = parse_time(b.get(B.HELD_UNTIL))
    if h is not None and now < h:
        return Hold(HELD, h, "operator hold")
    return None
