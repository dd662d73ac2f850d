"""The simulated runtime provider (Gas City's fake provider): sessions start, run, go idle,
exit, crash, get attached, ask questions, and acknowledge drains. No process is ever run."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Mapping

import immutables

RATE_LIMIT_MARKER = "rate limit"


class StartError(Exception):
    """A provider Start failure (injected by the operator or a scenario)."""


@dataclass(frozen=True, slots=True)
class RuntimeSession:
    name: str
    session_id: str = ""  # GC_SESSION_ID
    instance_token: str = ""  # GC_INSTANCE_TOKEN
    template: str = ""
    started_at: datetime | None = None
    last_activity: datetime | None = None
    attached: bool = False
    pending_interaction: bool = False
    process_alive: bool = True  # False: the tmux session exists but the agent died (zombie)
    peek: str = ""
    meta: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)

    def with_(self, **changes) -> "RuntimeSession":
        return replace(self, **changes)


@dataclass(frozen=True)
class RuntimeState:
    sessions: immutables.Map
    start_failures: tuple


class Runtime:
    def __init__(self) -> None:
        self.sessions: immutables.Map = immutables.Map()
        # (selector, remaining, message): selector is a session name or "template:<qn>"
        self.start_failures: list[list] = []
        self.starts: list[str] = []  # names started during the current tick (for the trace)

    def snapshot(self) -> RuntimeState:
        return RuntimeState(self.sessions, tuple(tuple(f) for f in self.start_failures))

    def restore(self, st: RuntimeState) -> None:
        self.sessions = st.sessions
        self.start_failures = [list(f) for f in st.start_failures]

    # ---- observations ----
    def get(self, name: str) -> RuntimeSession | None:
        return self.sessions.get(name)

    def is_running(self, name: str) -> bool:
        return name in self.sessions

    def alive(self, name: str) -> bool:
        s = self.sessions.get(name)
        return s is not None and s.process_alive

    def running_names(self) -> list[str]:
        return sorted(self.sessions.keys())

    def by_session_id(self, bead_id: str) -> list[RuntimeSession]:
        return [s for s in self.sessions.values() if s.session_id == bead_id]

    # ---- control (the controller's calls) ----
    def start(self, name: str, *, session_id: str, instance_token: str, template: str, now: datetime,
              env: Mapping[str, str]) -> RuntimeSession:
        for f in self.start_failures:
            sel, remaining, message = f
            if remaining > 0 and (sel == name or sel == f"template:{template}" or sel == "*"):
                f[1] -= 1
                self.start_failures = [x for x in self.start_failures if x[1] > 0]
                raise StartError(message or "start failed")
        s = RuntimeSession(name=name, session_id=session_id, instance_token=instance_token, template=template,
                           started_at=now, last_activity=now, env=dict(env))
        self.sessions = self.sessions.set(name, s)
        self.starts.append(name)
        return s

    def stop(self, name: str) -> bool:
        if name in self.sessions:
            self.sessions = self.sessions.delete(name)
            return True
        return False

    def set_meta(self, name: str, changes: Mapping[str, str]) -> None:
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

    def rate_limited(self, name: str) -> bool:
        s = self.sessions.get(name)
        return s is not None and RATE_LIMIT_MARKER in s.peek.lower()
