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


def resolve_program(name: str, path: str, run_in: str | None) -> str | None:
    """The absolute path of the program `name` before anything runs. A name with a slash is
    taken relative to citywatch's own working directory. A bare name is looked up in the
    absolute entries of `path` only, skipping any inside `run_in` (the directory the program will
    run in): a relative entry such as "." or "" would otherwise find a city's own `./bd`."""
    if os.sep in name:
        cand = os.path.abspath(name)
        return cand if os.path.isfile(cand) and os.access(cand, os.X_OK) else None
    avoid = os.path.realpath(run_in) if run_in else None
    for d in path.split(os.pathsep):
        if not d or not os.path.isabs(d):
            continue
        real = os.path.realpath(d)
        if avoid and (real == avoid or real.startswith(avoid.rstrip(os.sep) + os.sep)):
            continue
        cand = os.path.join(d, name)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def run_listing(argv: list[str], *, timeout: float, cwd: str | None = None,
                env: dict[str, str] | None = None) -> Listing:
    """Run one allowed listing with no stdin and a timeout. Never raises for a missing program,
    a timeout or a failure: the Listing says what happened."""
    check_allowed(argv)
    prog = resolve_program(argv[0], (env or os.environ).get("PATH", os.defpath), cwd)
    if prog is None:
        where = " outside the city directory" if cwd else ""
        return Listing(False, "", "", f"{argv[0]} is not installed (not found on PATH{where})")
    try:
        p = subprocess.run([prog, *argv[1:]], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        return Listing(False, "", "", f"{argv[0]} is not installed (not found on PATH)")
    except subprocess.TimeoutExpired:
        return Listing(False, "", "", f"{os.path.basename(argv[0])} did not answer within {timeout:g}s")
    except OSError as e:
        return Listing(False, "", "", f"cannot run {argv[0]}: {e.strerror or e}")
    return Listing(p.returncode == 0, p.stdout, p.stderr, "", p.returncode)
