"""What a scenario file's tables hold: every key, the type of its value, and the caps on the work a
scenario may ask for (docs/scenario-extensions.md, "Types and limits"). The [[expect]] blocks
have their own schema, in core/scenario/expect.py.

A value of the wrong type is refused where it is written (file, field path and line), before
anything uses it: a list as an id, a table as a template or a number as an expectation never
reaches the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.config import schema as S
from core.config.schema import short

__all__ = ["short"]
from core.formats.durations import DurationError, parse_duration
from core.formats.timefmt import EARLIEST, LATEST, format_time, parse_time
from core.guards.limits import MAX_TEMPLATE_SESSIONS

# ---------------------------------------------------------------------- caps
MAX_TICKS_PER_STEP = 1_000  # a `tick` step's `count`
MAX_TICKS_TOTAL = 10_000  # every tick step's count, added up
MAX_STEPS = 10_000  # [[step]] tables in one file
MAX_SCALE_CHECK = MAX_TEMPLATE_SESSIONS  # a simulated scale_check result
MAX_FAIL_COUNT = 10_000  # the `count` of a fail_start, fail_stop, fail_store_write or slow_start

# ---------------------------------------------------------------------- kinds
STR, INT, BOOL, TIME, DUR = S.STR, S.INT, S.BOOL, "time", S.DUR
STRLIST, STRMAP, TABLE = S.STRLIST, S.STRMAP, S.TABLE
INTMAP, BOOLMAP, SCALARMAP = "table of integers", "table of booleans", "table of values"
TABLES = S.TABLES
SCALE = "scale_check value"  # an integer or "error"
SCALE_OUTPUT = "scale_check value or output"  # SCALE, or { output = "..." }: the command's stdout
ANY_TABLE = "any table"  # an inline city: the config loader checks it

TOP: dict[str, str] = {
    "name": STR, "source": STR, "xfail": STR, "start": TIME, "semantics": STR, "adopt_on_start": BOOL,
    "city": ANY_TABLE, "city_file": STR, "scale_check": TABLE, "session": TABLES, "runtime": TABLES,
    "work": TABLES, "step": TABLES, "expect": TABLES, "suspension": TABLE,
    "wait": TABLES, "work_query": BOOLMAP, "new_bead_ids": STRLIST,
    "detached_probe": STRMAP,
}
WAIT: dict[str, str] = {"id": STR, "session": STR, "state": STR, "kind": STR, "deps": STRLIST, "dep_mode": STR,
                        "registered_epoch": STR, "expires_at": STR}
SUSPENSION: dict[str, str] = {"city": BOOL, "rigs": BOOLMAP, "gc_suspended": BOOL}
SESSION: dict[str, str] = {"id": STR, "open": BOOL, "created_at": TIME, "metadata": STRMAP, "title": STR,
                           "labels": STRLIST}
RUNTIME: dict[str, str] = {
    "name": STR, "session_id": STR, "started_at": TIME, "last_activity": TIME, "attached": BOOL,
    "pending_interaction": BOOL, "alive": BOOL, "peek": STR, "meta": STRMAP, "instance_token": STR,
    "template": STR, "corpse": BOOL,
}
WORK: dict[str, str] = {"id": STR, "status": STR, "assignee": STR, "routed_to": STR, "priority": INT,
                        "ready": BOOL, "title": STR, "created_at": TIME, "store": STR, "type": STR,
                        "metadata": STRMAP}
# The keys of each [[step]] kind are in its definition (core/steps/).


@dataclass(frozen=True)
class TypeProblem:
    """A value of the wrong type: the field path (relative to the table checked) and the message."""

    field: str
    message: str


def is_int(v: Any) -> bool:
    """True for a TOML integer (not a boolean)."""
    return isinstance(v, int) and not isinstance(v, bool)


_is_int = is_int


def _map_of(pred: Callable[[Any], bool], what: str) -> Callable[[Any, str], TypeProblem | None]:
    def check(v: Any, fp: str) -> TypeProblem | None:
        if not isinstance(v, dict):
            return TypeProblem(fp, f"expected a {what}, got {S.type_name(v)} {short(v)}")
        for k, item in v.items():
            if not pred(item):
                return TypeProblem(f"{fp}.{k}", f"expected {_article(what.split(' of ')[1][:-1])}, "
                                                f"got {S.type_name(item)} {short(item)}")
        return None
    return check


def _article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool))


_MAPS = {INTMAP: _map_of(_is_int, INTMAP), BOOLMAP: _map_of(lambda v: isinstance(v, bool), BOOLMAP),
         SCALARMAP: _map_of(_scalar, "table of values"),
         STRMAP: _map_of(lambda v: isinstance(v, str), STRMAP)}


def _table_problem(v: Any, fp: str) -> TypeProblem | None:
    return None if isinstance(v, dict) else TypeProblem(fp, f"expected a table, got {S.type_name(v)} {short(v)}")


def _time_problem(v: Any, fp: str) -> TypeProblem | None:
    if not isinstance(v, str) or parse_time(v) is None:
        return TypeProblem(fp, f"invalid time {short(v)} (RFC 3339 UTC between {format_time(EARLIEST)} and "
                               f'{format_time(LATEST)}, e.g. "2026-07-19T12:00:00Z")')
    return None


def _duration_problem(v: Any, fp: str) -> TypeProblem | None:
    try:
        seconds = parse_duration(v) if isinstance(v, str) else None
    except DurationError:
        seconds = None
    if seconds is None or seconds < 0:
        return TypeProblem(fp, f'invalid duration {short(v)} (Go form, e.g. "90s", "5m", "1h30m"; not '
                               "negative, at most Go's 2562047h47m16.854775807s)")
    return None


def _scale_problem(v: Any, fp: str) -> TypeProblem | None:
    if v == "error" or (_is_int(v) and 0 <= v <= MAX_SCALE_CHECK):
        return None
    return TypeProblem(fp, f'scale_check value must be an integer or "error" (integers from 0 to '
                           f"{MAX_SCALE_CHECK}), got {short(v)}")


def _scale_output_problem(v: Any, fp: str) -> TypeProblem | None:
    if not isinstance(v, dict):
        return _scale_problem(v, fp)
    if set(v) != {"output"} or not isinstance(v["output"], str):
        return TypeProblem(fp, 'a simulated scale_check output is a table with one string key, '
                               f'output (e.g. {{ output = " 3\\n" }}), got {short(v)}')
    return None


def _strlist_problem(v: Any, fp: str) -> TypeProblem | None:
    if not isinstance(v, list):
        return TypeProblem(fp, f"expected an array of strings, got {S.type_name(v)} {short(v)}")
    for i, item in enumerate(v):
        if not isinstance(item, str):
            return TypeProblem(f"{fp}[{i}]", f"expected a string, got {S.type_name(item)} {short(item)}")
    return None


# The kinds citywatch's scenarios add to the config schema's, each with its own check.
_CHECKS: dict[str, Callable[[Any, str], TypeProblem | None]] = {
    **_MAPS, ANY_TABLE: _table_problem, TIME: _time_problem, DUR: _duration_problem, SCALE: _scale_problem,
    SCALE_OUTPUT: _scale_output_problem, STRLIST: _strlist_problem,
}


def value_problem(kind: str, v: Any, fp: str) -> TypeProblem | None:
    """Why `v` is not a value of `kind`, or None when it is."""
    check = _CHECKS.get(kind)
    if check is not None:
        return check(v, fp)
    if not S.type_ok(kind, v):
        return TypeProblem(fp, f"{S.expected(kind)}, got {S.type_name(v)} {short(v)}")
    return None


def table_problem(table: dict[str, Any], spec: dict[str, str], fp: str) -> TypeProblem | None:
    """The first key of `table` (keys are checked already) whose value is not of its kind."""
    for k, v in table.items():
        kind = spec.get(k)
        if kind is not None and kind != TABLES:
            p = value_problem(kind, v, f"{fp}.{k}" if fp else k)
            if p is not None:
                return p
    return None


class WorkBudget:
    """The ticks a scenario's steps ask for and where they move the clock, added up step by step
    as the file is read, so a scenario that asks for too much is refused at the step that
    crosses a cap, before anything runs."""

    def __init__(self, start: datetime) -> None:
        self.ticks_so_far = 0
        self.now = start

    def ticks(self, count: int, every: str, fp: str) -> TypeProblem | None:
        """Account for a (type-checked) tick step of `count` ticks `every` apart; the problem if
        it crosses a cap."""
        if count > MAX_TICKS_PER_STEP:
            return TypeProblem(f"{fp}.count", f"count must be at most {MAX_TICKS_PER_STEP} (ticks in one step)")
        self.ticks_so_far += count
        if self.ticks_so_far > MAX_TICKS_TOTAL:
            return TypeProblem(f"{fp}.count", f"the steps so far run {self.ticks_so_far} ticks; a scenario runs at "
                                              f"most {MAX_TICKS_TOTAL}")
        return self.move((count - 1) * parse_duration(every), f"{fp}.every")

    def move(self, seconds: float, fp: str) -> TypeProblem | None:
        """Move the clock the steps have reached by `seconds`; the problem if it passes the latest time."""
        if seconds > (LATEST - self.now).total_seconds():
            return TypeProblem(fp, f"the clock would pass {format_time(LATEST)}, the latest time Go's clock holds "
                                   f"(it reads {format_time(self.now)} before this step)")
        self.now += timedelta(seconds=seconds)
        return None
