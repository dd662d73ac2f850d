"""How to attach to a live city (the options both attach sessions and the app share)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.alarms import AlarmThresholds


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class AttachOptions:
    """How to attach to a live city: which bd and tmux to run, their timeouts, alarm thresholds,
    and how much history to read and keep."""
    use_bd: bool = False
    bd: str = "bd"
    bd_timeout: float = 10.0
    tmux: str = "tmux"
    tmux_socket: str = ""  # override the resolved socket: a name (-L) or a path (-S)
    tmux_timeout: float = 2.0
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    semantics: str = "current"
    packs_dir: str | None = None  # --packs: local copies of remote packs, by name
    # --run-scale-checks: a template the last traced cycle gives no demand count for gets one read
    # of its scale_check per config revision (None: no config command ever runs)
    scale_check_timeout: float | None = None
    trace_history_segments: int | None = 2
    events_backlog_bytes: int = 1 << 20
    keep_events: int = 5000
    show_events: int = 50
    show_decisions: int = 50
    max_read_warnings: int = 200
    clock: Callable[[], datetime] = _wall_clock
    # One read, no later poll (`citywatch attach`): every trace segment is read as finished, so
    # a damaged batch is reported now and what follows it is read, not held for a next poll.
    one_shot: bool = False
