"""Running an agent's scale_check command for real, only when the operator asks for it
(`--run-scale-checks`); otherwise the model uses the simulated value.

As in Gas City: the command (with its `{{.Agent}}`-style placeholders expanded) runs through
`sh -c`, its trimmed stdout must be a non-negative integer, and anything else (empty output,
not an integer, negative, a failing exit status, a timeout) leaves that template's demand read
partial. citywatch runs it in the city directory with a timeout (default 5 s) and reads at most
64 KiB of output; the value "error" then marks the template partial in the build, and the
outcome of each template's last run (its value or the human reason, and the tick it fed) is
kept in the world (`World.scale_check_runs`, a `ScaleCheckRun` per template), so every frame,
the Agents panel, the Why panel and `citywatch explain` show it. A template without a run
record has a simulated value.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from core.config.city_config import Agent, City
from core.guards.limits import MAX_TEMPLATE_SESSIONS
from core.steps import Step, as_step
from core.steps.config import SetScaleCheck
from core.steps.controller import Tick

if TYPE_CHECKING:
    from core.model.facade import Model

DEFAULT_TIMEOUT = 5.0
OUTPUT_LIMIT = 64 * 1024
_PLACEHOLDER = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
_MAX_PARALLEL = 4


@dataclass(frozen=True)
class ScaleCheckResult:
    """One scale_check command's result for a template: the count, or why the read failed."""
    template: str
    command: str  # as run, placeholders expanded
    value: int | None  # None = the read failed
    reason: str = ""  # why it failed, for people ("" when it worked)
    output: str = ""  # trimmed stdout, at most OUTPUT_LIMIT bytes

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def world_value(self) -> int | str:
        """What the simulated world stores: the count, or "error" (a partial read)."""
        return self.value if self.value is not None else "error"


def expand_command(city: City, agent: Agent, command: str) -> str:
    """Gas City's command-template fields: Agent, AgentBase, Rig, RigRoot, CityRoot, CityName,
    WorktreesRoot. A template using anything else runs as written (Gas City falls back to the
    raw command when expansion fails)."""
    if "{{" not in command:
        return command
    qn = agent.qualified_name
    rig = city.rig(agent.dir) if agent.dir else None
    fields = {
        "Agent": qn,
        "AgentBase": qn.rpartition("/")[2],
        "Rig": rig.name if rig else "",
        "RigRoot": rig.path if rig else "",
        "CityRoot": city.root,
        "CityName": city.name,
        "WorktreesRoot": os.path.join(city.root, ".gc", "worktrees"),
    }
    if any(m.group(1) not in fields for m in _PLACEHOLDER.finditer(command)):
        return command
    expanded = _PLACEHOLDER.sub(lambda m: fields[m.group(1)], command)
    return command if "{{" in expanded else expanded


def _run_bounded(command: str, cwd: str, timeout: float, limit: int) -> tuple[int | None, bytes, bool, bytes]:
    """Run `sh -c command`; returns (exit status or None on timeout, stdout head, whether
    stdout overflowed `limit`, stderr head). The process group is killed on timeout."""
    proc = subprocess.Popen(["sh", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    out = bytearray()
    err = bytearray()
    overflow = [False]

    def drain(stream: IO[bytes], buf: bytearray, flag: list[bool] | None) -> None:
        # Keep reading past the limit (discarding) so the command never blocks on a full pipe.
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            room = limit - len(buf)
            if room > 0:
                buf += chunk[:room]
            if len(chunk) > room and flag is not None:
                flag[0] = True

    stdout, stderr = proc.stdout, proc.stderr
    assert stdout is not None and stderr is not None  # both piped above
    readers = [threading.Thread(target=drain, args=(stdout, out, overflow), daemon=True),
               threading.Thread(target=drain, args=(stderr, err, None), daemon=True)]
    for t in readers:
        t.start()
    try:
        status: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        status = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for t in readers:
        t.join(timeout=2)
    stdout.close()
    stderr.close()
    return status, bytes(out), overflow[0], bytes(err)


def run_scale_check(city: City, agent: Agent, timeout: float = DEFAULT_TIMEOUT) -> ScaleCheckResult:
    """Run `agent`'s scale_check once and parse it as Gas City does. Never raises for a
    misbehaving command: every failure is a result with a reason."""
    qn = agent.qualified_name
    command = expand_command(city, agent, agent.scale_check)
    if not command.strip():
        return ScaleCheckResult(qn, command, None, "no scale_check command")
    try:
        status, out, overflow, err = _run_bounded(command, city.root, timeout, OUTPUT_LIMIT)
    except OSError as e:
        return ScaleCheckResult(qn, command, None, f"could not run sh: {e.strerror or e}")
    text = out.decode("utf-8", "replace").strip()
    if status is None:
        return ScaleCheckResult(qn, command, None, f"timed out after {timeout:g}s", text)
    if status != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        tail = f": {detail[-1][:200]}" if detail else ""
        return ScaleCheckResult(qn, command, None, f"exited with status {status}{tail}", text)
    if overflow:
        return ScaleCheckResult(qn, command, None, f"output exceeds {OUTPUT_LIMIT // 1024} KiB", text)
    n, reason = parse_output(text)
    return ScaleCheckResult(qn, command, n, reason, text)


def parse_output(out: str) -> tuple[int | None, str]:
    """parseScaleCheckCount: the trimmed stdout as a non-negative integer, or None and why not
    (empty, not an integer, negative, or more sessions than citywatch models)."""
    text = out.strip()
    if not text:
        return None, "produced empty output"
    if not re.fullmatch(r"[+-]?[0-9]+", text):  # strconv.Atoi's syntax, no Python underscores
        return None, f"output {_q(text)} is not an integer"
    n = int(text)
    if n < 0:
        return None, f"output {_q(text)} is negative"
    if n > MAX_TEMPLATE_SESSIONS:
        return None, f"output {_q(text)} asks for more sessions than citywatch models (at most {MAX_TEMPLATE_SESSIONS})"
    return n, ""


def operator_value(text: str) -> int | str:
    """A scale_check result an operator types: "error", or text read as the command's stdout is
    (parse_output). Raises ValueError saying why any other text is not a result."""
    text = text.strip()
    if text == "error":
        return text
    n, why = parse_output(text)
    if n is None:
        raise ValueError(why.replace("output", "value", 1) if why.startswith("output") else why)
    return n


def simulated_value(v: int | str | dict[str, str]) -> int | str:
    """A scenario's simulated scale_check result as the world stores it: an integer or "error"
    as given, or `{ output = "..." }` (the command's stdout) parsed as Gas City parses it."""
    if isinstance(v, dict):
        n, _ = parse_output(v["output"])
        return n if n is not None else "error"
    return v


def _q(s: str) -> str:
    s = s if len(s) <= 40 else s[:37] + "..."
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_all(city: City, timeout: float = DEFAULT_TIMEOUT) -> list[ScaleCheckResult]:
    """Run every scale_check of `city` (a few at a time), sorted by template."""
    agents = sorted((a for a in city.agents if a.has_scale_check), key=lambda a: a.qualified_name)
    if not agents:
        return []
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(agents))) as pool:
        return list(pool.map(lambda a: run_scale_check(city, a, timeout), agents))


def result_step(r: ScaleCheckResult) -> SetScaleCheck:
    """The recorded step that gives the model a real run's result (an export replays it)."""
    keys = ("template", "value", "ran") + (() if r.ok else ("reason",))
    return SetScaleCheck(template=r.template, value=r.world_value, ran=True, reason="" if r.ok else r.reason,
                         given=keys)


def with_live_runs(model: Model, steps: Sequence[Step | Mapping[str, Any]], timeout: float = DEFAULT_TIMEOUT,
                   results: list[ScaleCheckResult] | None = None) -> list[Step]:
    """`steps` with every scale_check of the model's city run for real before their first tick:
    a template whose outcome (value or failure reason) changed, or that never ran, gets a
    `set_scale_check` step (logged: an event only when the outcome changes); the others are
    passed to the tick (`Tick.scale_check_runs`, never exported), which records when they ran."""
    typed = [as_step(st) for st in steps]
    ticks = [i for i, st in enumerate(typed) if isinstance(st, Tick)]
    if not ticks:
        return typed
    if results is None:
        results = run_all(model.city, timeout)
    world = model.world
    changed: list[Step] = []
    same = []
    for r in results:
        prev = world.scale_check_run(r.template)
        if prev is None or (prev.value, prev.reason) != (r.value, r.reason) \
                or world.scale_check(r.template) != r.world_value:
            changed.append(result_step(r))
        else:
            same.append((r.template, r.value, r.reason))
    t = ticks[0]
    tick = typed[t]
    assert isinstance(tick, Tick)
    if same:
        tick = replace(tick, scale_check_runs=tuple(same))
    return typed[:t] + changed + [tick] + typed[t + 1:]


def refresh_scale_checks(model: Model, timeout: float = DEFAULT_TIMEOUT) -> dict[str, ScaleCheckResult]:
    """Run every scale_check in the model's city now and record each result as a real run
    (`set_scale_check` with `ran`): the count, or "error" with the reason. Results by template."""
    results = run_all(model.city, timeout)
    for r in results:  # sorted, so the world changes in a fixed order
        model.set_scale_check(r.template, r.world_value, True, "" if r.ok else r.reason)
    return {r.template: r for r in results}
