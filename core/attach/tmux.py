"""What is actually alive: the city's tmux server, listed and never touched.

Three listings per poll: `list-sessions` (name, created, attached, activity), `list-panes -a`
(a session whose every pane is dead is a zombie: the tmux session exists, the agent does not)
and, per session, `show-environment -t =NAME` for the bead link (`GC_SESSION_ID`,
`GC_INSTANCE_TOKEN`, `GC_TEMPLATE`, ...) and the controller's signals (`GC_DRAIN`, ...).
"no server running" or "error connecting" means zero sessions. A missing tmux binary or a
socket that does not answer is reported, and the runtime is then unobservable, not empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.attach.commands import run_listing
from core.tracefile.problems import ReadWarning

SESSION_FORMAT = "\t".join(["#{session_name}", "#{session_id}", "#{session_created}", "#{session_attached}",
                            "#{session_activity}", "#{session_last_attached}", "#{session_windows}"])
PANE_FORMAT = "\t".join(["#{session_name}", "#{pane_dead}", "#{pane_current_command}", "#{pane_pid}"])
# Keys the controller sets later to signal a session (kept as runtime metadata, not env).
SIGNAL_KEYS = frozenset({"GC_DRAIN", "GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_RESTART_REQUESTED",
                         "GC_DRIFT_RESTART"})
_NO_SERVER = ("no server running", "error connecting to", "no such file or directory")


@dataclass(frozen=True)
class TmuxSession:
    """One tmux session as listed: times, whether attached or alive, pane commands and environment."""
    name: str
    created: datetime | None
    activity: datetime | None
    attached: bool
    alive: bool  # False when every pane is dead (a zombie)
    commands: tuple[str, ...]
    env: dict[str, str]

    @property
    def session_id(self) -> str:
        return self.env.get("GC_SESSION_ID", "")


@dataclass
class TmuxListing:
    """What listing the city's tmux server found, or a note on why it was not observable."""
    observable: bool  # False: tmux missing, socket unanswered, or not a tmux city
    server_running: bool = False
    sessions: list[TmuxSession] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    note: str = ""


def _epoch(text: str) -> datetime | None:
    try:
        v = int(text)
    except ValueError:
        return None
    return datetime.fromtimestamp(v, UTC) if v > 0 else None


def parse_environment(text: str) -> dict[str, str]:
    """`show-environment` output: KEY=value lines; `-KEY` marks a removed key (skipped)."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("-") or "=" not in line:
            continue
        k, _, v = line.partition("=")
        env[k] = v
    return env


class TmuxReader:
    def __init__(self, socket: str, *, tmux: str = "tmux", timeout: float = 2.0) -> None:
        """`socket` is a server name (`tmux -L`) or, when it contains a `/`, a socket path (`-S`)."""
        self.socket = socket
        self.tmux = tmux
        self.timeout = timeout
        self._flag = "-S" if "/" in socket else "-L"

    def _run(self, *args: str):
        return run_listing([self.tmux, self._flag, self.socket, *args], timeout=self.timeout)

    def poll(self) -> TmuxListing:
        where = f"tmux {self._flag} {self.socket}"
        res = self._run("list-sessions", "-F", SESSION_FORMAT)
        if res.error:
            return TmuxListing(False, warnings=[ReadWarning("tmux", "tmux_unavailable",
                                                            f"{res.error}; the runtime is unobservable", where)])
        if not res.ok:
            err = res.stderr.strip()
            if any(s in err.lower() for s in _NO_SERVER):
                return TmuxListing(True, False, note=f"no tmux server is running on {where}: no live sessions")
            return TmuxListing(False, warnings=[ReadWarning("tmux", "tmux_failed", f"list-sessions failed "
                                                            f"({err[:200] or f'exit {res.returncode}'}); the runtime "
                                                            "is unobservable", where)])
        rows = [line.split("\t") for line in res.stdout.splitlines() if line.strip()]
        panes = self._panes()
        out = TmuxListing(True, True)
        for row in rows:
            row += [""] * (7 - len(row))
            name = row[0]
            env_res = self._run("show-environment", "-t", f"={name}")
            env = parse_environment(env_res.stdout) if env_res.ok else {}
            if not env_res.ok:
                out.warnings.append(ReadWarning("tmux", "tmux_env_failed", f"show-environment for {name!r} failed "
                                                f"({(env_res.error or env_res.stderr.strip())[:200]}); its bead link "
                                                "is unknown", where))
            mine = panes.get(name, [])
            out.sessions.append(TmuxSession(
                name=name, created=_epoch(row[2]), activity=_epoch(row[4]),
                attached=row[3].strip() not in ("", "0"),
                alive=not mine or any(not dead for dead, _ in mine),
                commands=tuple(cmd for _, cmd in mine), env=env))
        out.sessions.sort(key=lambda s: s.name)
        return out

    def _panes(self) -> dict[str, list[tuple[bool, str]]]:
        res = self._run("list-panes", "-a", "-F", PANE_FORMAT)
        panes: dict[str, list[tuple[bool, str]]] = {}
        if not res.ok:
            return panes
        for line in res.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                panes.setdefault(parts[0], []).append((parts[1].strip() == "1", parts[2]))
        return panes
