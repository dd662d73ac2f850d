"""The simulated runtime provider (Gas City's fake provider): sessions start, run, go idle,
exit, crash, get attached, ask questions, and acknowledge drains. No process is ever run.

Liveness follows the tmux provider: a session is *running* when its tmux session exists and
its pane is not a remain-on-exit corpse, and *alive* when it is running and the agent process
in it is alive (the model assumes process-name hints exist, as every built-in provider has
them, so a dead agent in a live pane is always seen as a zombie).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import immutables

# Runtime metadata keys the controller reads and writes (provider SetMeta / GetMeta).
META_SESSION_ID = "GC_SESSION_ID"
META_INSTANCE_TOKEN = "GC_INSTANCE_TOKEN"
META_RUNTIME_EPOCH = "GC_RUNTIME_EPOCH"
META_DRAIN_ACK = "GC_DRAIN_ACK"
META_DRAIN_ACK_SOURCE = "GC_DRAIN_ACK_SOURCE"
META_DRAIN_REASON = "GC_DRAIN_REASON"
META_DRAIN_GENERATION = "GC_DRAIN_GENERATION"
META_RESTART_REQUESTED = "GC_RESTART_REQUESTED"
# What a provider reports the agent is doing ("idle", "in-turn"), where it reports it (a
# supervisor's API does, for every provider); shown beside the liveness, never read by the model.
META_ACTIVITY = "activity"


class StartError(Exception):
    """A provider Start failure (injected by the operator or a scenario)."""


class StopError(Exception):
    """A provider Stop failure (injected by a scenario's `fail_stop` step)."""


class SessionExists(StartError):
    """Start was asked for a name that already has a runtime (runtime.ErrSessionExists)."""


@dataclass(frozen=True, slots=True)
class RuntimeSession:
    """One runtime (tmux) session: identity, times, attachment, liveness, metadata and environment."""
    name: str
    session_id: str = ""  # GC_SESSION_ID
    instance_token: str = ""  # GC_INSTANCE_TOKEN
    template: str = ""
    started_at: datetime | None = None
    last_activity: datetime | None = None
    attached: bool = False
    pending_interaction: bool = False
    process_alive: bool = True  # False: the pane exists but the agent died (zombie)
    corpse: bool = False  # True: remain-on-exit pane is dead; listed but not running
    peek: str = ""
    meta: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    command: str = ""  # the command line the controller started it with ("" when not started by it)

    def with_(self, **changes) -> RuntimeSession:
        return replace(self, **changes)

    @property
    def running(self) -> bool:
        return not self.corpse

    @property
    def alive(self) -> bool:
        return not self.corpse and self.process_alive


@dataclass(frozen=True, slots=True)
class PendingStart:
    """A provider Start still running (a slow start): the session appears, and the start
    commits, once `ready_at` is reached (Gas City's asynchronous start goroutine)."""
    name: str
    bead_id: str
    instance_token: str
    template: str
    env: Mapping[str, str]
    started_at: datetime
    ready_at: datetime
    claim: bool
    wake_reason: str
    wave: int
    identity: str
    generation: str = ""  # the generation the pre-wake commit gave the bead
    command: str = ""  # the launch command the start was prepared with
    start_line: str = ""  # the command line it runs (the launch command with its resume argument)


@dataclass(frozen=True)
class RuntimeState:
    """An immutable snapshot of the runtime: its sessions and injected start and stop failures."""
    sessions: immutables.Map
    start_failures: tuple
    stop_failures: tuple = ()
    slow_starts: tuple = ()
    pending_starts: tuple = ()


class Runtime:
    def __init__(self) -> None:
        self.sessions: immutables.Map = immutables.Map()
        # (selector, remaining, message): selector is a session name or "template:<qn>"
        self.start_failures: list[list] = []
        self.stop_failures: list[list] = []  # the same form, for Stop
        self.slow_starts: list[list] = []  # [selector, remaining, seconds]: starts that take that long
        self.pending_starts: dict[str, PendingStart] = {}  # session name -> a slow start in flight
        self.starts: list[str] = []  # names started during the current tick (for the trace)

    def snapshot(self) -> RuntimeState:
        return RuntimeState(self.sessions, tuple(tuple(f) for f in self.start_failures),
                            tuple(tuple(f) for f in self.stop_failures), tuple(tuple(f) for f in self.slow_starts),
                            tuple(sorted(self.pending_starts.items())))

    def restore(self, st: RuntimeState) -> None:
        self.sessions = st.sessions
        self.start_failures = [list(f) for f in st.start_failures]
        self.stop_failures = [list(f) for f in st.stop_failures]
        self.slow_starts = [list(f) for f in st.slow_starts]
        self.pending_starts = dict(st.pending_starts)

    # ---- observations ----
    def get(self, name: str) -> RuntimeSession | None:
        return self.sessions.get(name)

    def is_running(self, name: str) -> bool:
        """IsRunning: the session exists and its pane is not a dead corpse."""
        s = self.sessions.get(name)
        return s is not None and s.running

    def alive(self, name: str) -> bool:
        """ProcessAlive with hints: running and the agent process is alive."""
        s = self.sessions.get(name)
        return s is not None and s.alive

    def running_names(self) -> list[str]:
        """ListRunning: every visible session name (corpses included), sorted."""
        return sorted(self.sessions.keys())

    def by_session_id(self, bead_id: str) -> list[RuntimeSession]:
        return [s for s in self.sessions.values() if s.session_id == bead_id]

    def get_meta(self, name: str, key: str) -> str:
        """GetMeta: "" when the session or the key is missing."""
        s = self.sessions.get(name)
        if s is None:
            return ""
        if key == META_SESSION_ID:
            return s.session_id or s.meta.get(key, "")
        if key == META_INSTANCE_TOKEN:
            return s.instance_token or s.meta.get(key, "")
        return s.meta.get(key, "")

    def attached(self, name: str) -> bool:
        s = self.sessions.get(name)
        return s is not None and s.running and s.attached

    def pending(self, name: str) -> bool:
        s = self.sessions.get(name)
        return s is not None and s.running and s.pending_interaction

    def last_activity(self, name: str) -> datetime | None:
        s = self.sessions.get(name)
        return s.last_activity if s is not None else None

    def rate_limited(self, name: str) -> bool:
        s = self.sessions.get(name)
        return s is not None and screen_rate_limited(s.peek)

    # ---- control (the controller's calls) ----
    def start(self, name: str, *, session_id: str, instance_token: str, template: str, now: datetime,
              env: Mapping[str, str], command: str = "") -> RuntimeSession:
        """Start a runtime; raises StartError for an injected failure, SessionExists when the
        name is taken."""
        self.start_failures = _take_failure(self.start_failures, name, template, StartError, "start failed")
        if name in self.sessions:
            raise SessionExists(f'session "{name}" already exists')
        meta = {META_RUNTIME_EPOCH: env.get(META_RUNTIME_EPOCH, "")} if env.get(META_RUNTIME_EPOCH) else {}
        s = RuntimeSession(name=name, session_id=session_id, instance_token=instance_token, template=template,
                           started_at=now, last_activity=now, env=dict(env), meta=meta, command=command)
        self.sessions = self.sessions.set(name, s)
        self.starts.append(name)
        return s

    def slow_start_delay(self, name: str, template: str) -> float:
        """Seconds an injected slow start of this session takes (consumed), 0 when none."""
        for f in self.slow_starts:
            sel, remaining, seconds = f
            if remaining > 0 and (sel == name or (template and sel == f"template:{template}") or sel == "*"):
                f[1] -= 1
                self.slow_starts = [x for x in self.slow_starts if x[1] > 0]
                return float(seconds)
        return 0.0

    def kill(self, name: str, template: str = "") -> None:
        """The controller's Stop: raises StopError for an injected failure (the session keeps
        running); an injected `leaves_running` failure returns as if it worked and leaves the
        session running (the fake provider's StopLeavesRunning); else stops the session if it
        exists."""
        for f in self.stop_failures:
            sel, remaining, message = f[:3]
            if remaining > 0 and (sel == name or (template and sel == f"template:{template}") or sel == "*"):
                f[1] -= 1
                self.stop_failures = [x for x in self.stop_failures if x[1] > 0]
                if len(f) > 3 and f[3]:
                    return
                raise StopError(message or "stop failed")
        self.stop(name)

    def stop(self, name: str) -> bool:
        if name in self.sessions:
            self.sessions = self.sessions.delete(name)
            return True
        return False

    def relaunch(self, name: str, now: datetime) -> None:
        """Relaunch the agent process inside the existing session (its box stays): the process is
        new and alive, the pane and its metadata are kept."""
        s = self.sessions.get(name)
        if s is not None:
            self.sessions = self.sessions.set(name, replace(s, process_alive=True, last_activity=now))

    def set_meta(self, name: str, changes: Mapping[str, str]) -> None:
        """SetMeta / RemoveMeta ("" removes a key)."""
        s = self.sessions.get(name)
        if s is None:
            return
        meta = dict(s.meta)
        for k, v in changes.items():
            if v:
                meta[k] = v
            else:
                meta.pop(k, None)
        self.sessions = self.sessions.set(name, replace(s, meta=meta))

    def put(self, s: RuntimeSession) -> None:
        self.sessions = self.sessions.set(s.name, s)

    def update(self, name: str, **changes) -> RuntimeSession | None:
        s = self.sessions.get(name)
        if s is None:
            return None
        s = replace(s, **changes)
        self.sessions = self.sessions.set(name, s)
        return s

    def inject_start_failure(self, selector: str, count: int = 1, message: str = "") -> None:
        self.start_failures.append([selector, count, message])

    def inject_stop_failure(self, selector: str, count: int = 1, message: str = "", leaves_running: bool = False) -> None:
        self.stop_failures.append([selector, count, message, leaves_running])


def _take_failure(failures: list[list], name: str, template: str, error: type, default: str) -> list[list]:
    """Consume the first injected failure matching the session (by name, `template:<qn>` or
    `*`) and raise it; returns the failures left otherwise."""
    for f in failures:
        sel, remaining, message = f
        if remaining > 0 and (sel == name or (template and sel == f"template:{template}") or sel == "*"):
            f[1] -= 1
            failures[:] = [x for x in failures if x[1] > 0]
            raise error(message or default)
    return failures


def screen_rate_limited(text: str) -> bool:
    """A provider rate-limit screen (runtime.ContainsProviderRateLimitScreen), Claude's
    spend-limit modal included: a rate limit to wait out, not a crash."""
    if "Usage limit reached" in text or "You've hit your limit" in text or "/rate-limit-options" in text:
        return True
    if claude_spend_limit_modal(text):
        return True
    return "rate limit" in text.lower() and "Keep trying" in text and "Stop" in text


SPEND_LIMIT_MODAL_WINDOW_LINES = 6
_SPEND_LIMIT_ANCHORS = ("Usage credit balance", "Adjust monthly spend limit", "Wait for limit to reset")


def claude_spend_limit_modal(text: str) -> bool:
    """containsClaudeSpendLimitModal: the modal's three anchors within one block of at most six
    consecutive lines (the same words scattered through scrollback do not count)."""
    lines = text.split("\n")
    for start in range(len(lines)):
        window = "\n".join(lines[start:start + SPEND_LIMIT_MODAL_WINDOW_LINES])
        if all(anchor in window for anchor in _SPEND_LIMIT_ANCHORS):
            return True
    return False


def terminal_error_reason(text: str) -> str:
    """The terminal provider error a pane shows, "" when none (ProviderTerminalErrorReason)."""
    low = text.lower()
    if "model_not_found" in low or any("model" in ln and "not found" in ln for ln in low.split("\n")):
        return "model_not_found"
    if "insufficient_quota" in low or "quota_exceeded" in low:
        return "quota_exceeded"
    if "quota exceeded" in low and "disk quota" not in low:
        return "quota_exceeded"
    return ""
