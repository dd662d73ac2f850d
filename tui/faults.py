"""A safety net for faults in citywatch's own screen code.

Textual ends the app with a traceback when a handler raises, and a widget whose handler raised
stops handling messages for good. Model steps already run guarded (their errors become a
notification and the last good state is kept); this module guards everything else an operator
can set off: key actions, message handlers, timers, thread callbacks and dialog answers. A fault
there becomes a notification and an `error` line in Events, its traceback goes to a log file
citywatch owns, and the app goes on from the state it had.

`Guarded` is a mixin: a class that takes it has its `action_*`, `on_*` and `@on` handlers
wrapped as the class is defined, and the app routes the callbacks it schedules through
`guard()`. The wrapper keeps the handler's signature (Textual counts a handler's parameters to
decide what to pass it).
"""

from __future__ import annotations

import functools
import inspect
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.guards.safetext import printable

FAULT_LOG_NAME = "faults.log"
MAX_FAULTS = 50  # distinct faults remembered for the session (repeats are counted, not kept)
MAX_LOG_BYTES = 1_000_000  # the log is cut back to nothing once it passes this


@dataclass
class Fault:
    """One distinct fault: where it happened, what it was, and how often it has recurred."""

    where: str
    kind: str
    message: str
    trace: str
    count: int = 1

    @property
    def summary(self) -> str:
        return printable(f"{self.kind}: {self.message} (in {self.where})")


def fault_log_path() -> Path:
    """Where tracebacks of guarded faults are appended: `$XDG_STATE_HOME/citywatch/faults.log`
    (by default under `~/.local/state`). The folder and file are citywatch's own."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "citywatch" / FAULT_LOG_NAME


def append_fault_log(fault: Fault) -> str:
    """Append the fault's traceback to the fault log; returns the log's path, or "" when it
    could not be written (a log that is not a regular file is never written through)."""
    path = fault_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags, 0o600)
        try:
            st = os.fstat(fd)
            import stat

            if not stat.S_ISREG(st.st_mode):
                return ""
            if st.st_size > MAX_LOG_BYTES:
                os.ftruncate(fd, 0)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            os.write(fd, f"--- {stamp} {fault.kind} in {fault.where}\n{fault.trace}\n".encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        return ""
    return str(path)


class FaultBook:
    """The faults one app has caught: distinct ones kept (bounded), repeats counted."""

    def __init__(self) -> None:
        self.faults: dict[tuple[str, str, str], Fault] = {}
        self.total = 0

    def record(self, where: str, error: BaseException) -> tuple[Fault, bool]:
        """Count `error`; returns its Fault and whether it is new (first of its kind)."""
        self.total += 1
        key = (where, type(error).__name__, str(error)[:200])
        f = self.faults.get(key)
        if f is not None:
            f.count += 1
            return f, False
        f = Fault(where, type(error).__name__, str(error)[:200],
                  "".join(traceback.format_exception(type(error), error, error.__traceback__)))
        if len(self.faults) >= MAX_FAULTS:
            self.faults.pop(next(iter(self.faults)))
        self.faults[key] = f
        return f, True


def _reporter(owner: Any) -> Callable[[str, BaseException], None] | None:
    app = owner if hasattr(owner, "report_fault") else getattr(owner, "app", None)
    try:
        report = getattr(app, "report_fault", None)
    except Exception:  # an unmounted widget has no app
        return None
    return report if callable(report) else None


def guard(fn: Callable, owner: Any, where: str = "") -> Callable:
    """`fn` wrapped so that an exception it raises is reported to `owner`'s app (see
    `Guarded.report_fault`) instead of reaching Textual. Idempotent."""
    if getattr(fn, "_fault_guarded", False):
        return fn
    name = where or getattr(fn, "__qualname__", repr(fn))

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except Exception as error:
                _handle(owner if owner is not None else (args[0] if args else None), name, error)
                return None

        guarded_async._fault_guarded = True  # type: ignore[attr-defined]
        return guarded_async

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            _handle(owner if owner is not None else (args[0] if args else None), name, error)
            return None

    guarded._fault_guarded = True  # type: ignore[attr-defined]
    return guarded


def _handle(owner: Any, where: str, error: Exception) -> None:
    report = _reporter(owner)
    if report is None:
        raise error
    report(where, error)


def _is_entry_point(name: str, value: Any) -> bool:
    if not inspect.isfunction(value) or getattr(value, "_fault_guarded", False):
        return False
    return name.startswith(("action_", "on_", "_on_")) or hasattr(value, "_textual_on")


class Guarded:
    """Mixin: the class's key actions and message handlers are guarded (see the module doc)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wrapped: dict[Any, Any] = {}
        for name, value in list(vars(cls).items()):
            if _is_entry_point(name, value):
                wrapped[value] = guard(value, None, f"{cls.__name__}.{name}")
                setattr(cls, name, wrapped[value])
        # Textual's metaclass has already filed the `@on` handlers by message type: file the
        # guarded ones in their place.
        handlers = vars(cls).get("_decorated_handlers")
        if wrapped and isinstance(handlers, dict):
            for entries in handlers.values():
                entries[:] = [(wrapped.get(method, method), selectors) for method, selectors in entries]

    # Callbacks the class schedules run from Textual's message loop too: guard them on the way in.
    def call_later(self, callback: Callable, *args: Any, **kwargs: Any) -> bool:
        return super().call_later(guard(callback, self), *args, **kwargs)  # type: ignore[misc]

    def call_after_refresh(self, callback: Callable, *args: Any, **kwargs: Any) -> bool:
        return super().call_after_refresh(guard(callback, self), *args, **kwargs)  # type: ignore[misc]

    def call_next(self, callback: Callable, *args: Any, **kwargs: Any) -> None:
        return super().call_next(guard(callback, self), *args, **kwargs)  # type: ignore[misc]

    def set_timer(self, delay: float, callback: Callable | None = None, **kwargs: Any) -> Any:
        return super().set_timer(delay, callback and guard(callback, self), **kwargs)  # type: ignore[misc]

    def set_interval(self, interval: float, callback: Callable | None = None, **kwargs: Any) -> Any:
        return super().set_interval(interval, callback and guard(callback, self), **kwargs)  # type: ignore[misc]
