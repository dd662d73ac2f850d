"""The only way attach runs a program: read-only listings, with a timeout, nothing else.

Allowed, and only in these shapes:
- `tmux -L NAME|-S PATH list-sessions -F FMT`, `... list-panes -a -F FMT`,
  `... show-environment -t =NAME` (listing commands never start a tmux server);
- `bd --readonly list --json ...` (only when the operator passed `--bd`), with
  `BD_BACKUP_ENABLED=false` so bd's post-run auto-backup cannot write.
Anything else raises `RefusedCommand` before a process exists.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

TMUX_SUBCOMMANDS = frozenset({"list-sessions", "list-panes", "show-environment"})


class RefusedCommand(ValueError):
    """A command attach must never run."""


@dataclass(frozen=True)
class Listing:
    """The result of running a listing command: its output, and why it failed if it did."""
    ok: bool
    stdout: str
    stderr: str
    error: str = ""  # why it did not run or did not finish ("" when it ran)
    returncode: int | None = None


def check_allowed(argv: list[str]) -> None:
    """Raise RefusedCommand unless `argv` is one of the read-only listings above."""
    if not argv:
        raise RefusedCommand("empty command")
    prog = os.path.basename(argv[0])
    if prog == "tmux":
        if len(argv) < 4 or argv[1] not in ("-L", "-S") or argv[3] not in TMUX_SUBCOMMANDS:
            raise RefusedCommand(f"tmux is only run as `tmux -L|-S SOCKET {'|'.join(sorted(TMUX_SUBCOMMANDS))}`")
        return
    if prog == "bd":
        if argv[1:4] != ["--readonly", "list", "--json"]:
            raise RefusedCommand("bd is only run as `bd --readonly list --json ...`")
        return
    raise RefusedCommand(f"{prog} is not a listing attach may run")


def run_listing(argv: list[str], *, timeout: float, cwd: str | None = None,
                env: dict[str, str] | None = None) -> Listing:
    """Run one allowed listing with no stdin and a timeout. Never raises for a missing program,
    a timeout or a failure: the Listing says what happened."""
    check_allowed(argv)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        return Listing(False, "", "", f"{argv[0]} is not installed (not found on PATH)")
    except subprocess.TimeoutExpired:
        return Listing(False, "", "", f"{os.path.basename(argv[0])} did not answer within {timeout:g}s")
    except OSError as e:
        return Listing(False, "", "", f"cannot run {argv[0]}: {e.strerror or e}")
    return Listing(p.returncode == 0, p.stdout, p.stderr, "", p.returncode)
