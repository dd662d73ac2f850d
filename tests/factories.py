"""Factories the tests share: in-memory cities and session beads, city.toml files on disk,
scenario files (written, loaded, run and checked) and the app on a scenario. A test that needs
something more particular builds it from these and says what differs."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core.config.city_config import Agent, City, NamedSession
from core.model.facade import Model
from core.scenario.file import ScenarioError, check, load_scenario, run
from core.session.driver import open_city, open_scenario
from core.world.beads import SessionBead

if TYPE_CHECKING:
    from core.reconcile.awake import AwakeBead
    from tui.app import CitywatchApp

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)  # the start of the scenarios below


# ---------------------------------------------------------------------------- in memory


def make_city(*agents: Agent, named: list[NamedSession] | None = None, root: str = ".",
              path: str = "city.toml", **fields: Any) -> City:
    """A City of these agents and named sessions; any other City field by keyword."""
    return City(root=root, path=path, agents=list(agents), named_sessions=named or [], **fields)


def session_bead(bid: str = "b1", created: datetime = T0, **md: str) -> SessionBead:
    """A session bead with this id, creation time and metadata (as given, empty values kept)."""
    return SessionBead(bid, created, md)


def awake_bead(**fields: Any) -> AwakeBead:
    """An open bead as compute_awake_set sees it: gc-1 of template `worker`, no session name or
    state, every flag off, no timers, created at T0; any field by keyword."""
    from core.reconcile.awake import AwakeBead

    base: dict[str, Any] = dict(
        id="gc-1", session_name="", template="worker", state="", sleep_reason="", manual=False,
        pending_create=False, explicit_wake=False, dependency_only=False, named_identity="",
        configured_named=False, pinned=False, drained=False, wait_hold=False, held_until=None,
        quarantined_until=None, idle_since=None, created_at=T0, restart_requested=False,
        reset_pending=False, current_bead="")
    return AwakeBead(**{**base, **fields})


# ---------------------------------------------------------------------------- on disk


def write_city(directory: Path, text: str) -> Path:
    """Write `text` (dedented) as directory/city.toml; returns the file's path."""
    p = directory / "city.toml"
    p.write_text(textwrap.dedent(text))
    return p


def write_scenario(tmp_path: Path, text: str, name: str = "s.toml") -> str:
    """Write a scenario file; returns its path as load_scenario takes it."""
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def scenario_model(tmp_path: Path, text: str, name: str = "s.toml") -> Model:
    """The model a scenario file starts from (no step run yet)."""
    return load_scenario(write_scenario(tmp_path, text, name)).model()


def with_expect(scenario: str, expect: str, after: int = 1) -> str:
    """The scenario with one [[expect]] table checked after step `after`."""
    return scenario + f"\n[[expect]]\nafter = {after}\n" + expect + "\n"


def scenario_failures(tmp_path: Path, text: str) -> list[str]:
    """Run the scenario to its end and check its expectations: the failures, [] when all hold."""
    return check(run(load_scenario(write_scenario(tmp_path, text))))


def scenario_refusal(tmp_path: Path, text: str) -> str:
    """The error a scenario file that must not load is refused with."""
    path = write_scenario(tmp_path, text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    return str(e.value)


# ---------------------------------------------------------------------------- one named mayor


def named_mayor_city(workspace: str = "", mode: str = "always") -> str:
    """The scenario's start and a city of one agent, `mayor`, as a named session in `mode`
    (always-on unless told); `workspace` adds lines to its [city.workspace] table."""
    return f"""start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
{workspace}[[city.agent]]
name = "mayor"
[[city.named_session]]
template = "mayor"
mode = "{mode}"
"""


NAMED_MAYOR_CITY = named_mayor_city()


def one_worker_city(name: str, agent: str = "min_active_sessions = 1\n") -> str:
    """A scenario city named `name` with one agent, `worker` (max 1), plus the `agent` lines
    (by default a min of 1, so a tick starts it)."""
    return f"""name = "{name}"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 1
{agent}"""

NAMED_MAYOR_IDENTITY = """session_name = "mayor"
agent_name = "mayor"
alias = "mayor"
template = "mayor"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "mayor"
configured_named_mode = "always"
"""


def named_mayor_scenario(name: str, metadata: str, *, bead: str = "", after: str = "",
                         workspace: str = "") -> str:
    """A scenario whose city has one agent, `mayor`, as an always-on named session, and its
    session bead gc-1 with this metadata (NAMED_MAYOR_IDENTITY is the full named identity);
    `bead` adds fields to the [[session]] table, `after` adds tables after it, `workspace`
    lines to [city.workspace]. The text may carry str.format placeholders: they are left for
    the caller."""
    return (f'name = "{name}"\n{named_mayor_city(workspace)}[[session]]\nid = "gc-1"\n{bead}[session.metadata]\n'
            f"{metadata}{after}")


# ---------------------------------------------------------------------------- a worker pool and a mayor


def worker_and_mayor_scenario(*, rigs: str = "", work: str = "") -> str:
    """A one-tick scenario whose tick desires a named mayor (on demand: work w-1 is assigned to
    it) and a pool worker (scale_check 1), creates and starts both and records decisions, so
    every count table has something in it. `rigs` adds [[city.rigs]] tables, `work` more
    [[work]] tables."""
    return f"""name = "t"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 3
scale_check = "printf 1"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "on_demand"
{rigs}[scale_check]
worker = 1
[[work]]
id = "w-1"
status = "open"
assignee = "mayor"
{work}[[step]]
do = "tick"
"""


# ---------------------------------------------------------------------------- a running named witness


def running_named_witness(timers: str, last_activity: str) -> str:
    """The [[city.agent]], [[city.named_session]], [[session]] and [[runtime]] tables of a
    named on-demand repo/witness (bead gc-1, runtime repo--witness) created and woken at
    06:40, active last at `last_activity`; `timers` adds lines to the agent (max_session_age,
    idle_timeout, ...). A scenario's head (name, start, [city.workspace]) goes before it."""
    return f"""
[[city.agent]]
name = "witness"
dir = "repo"
max_active_sessions = 1
{timers}
[[city.named_session]]
template = "witness"
dir = "repo"
[[session]]
id = "gc-1"
[session.metadata]
template = "repo/witness"
agent_name = "repo/witness"
alias = "repo/witness"
session_name = "repo--witness"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "repo/witness"
configured_named_mode = "on_demand"
state = "active"
state_reason = "creation_complete"
generation = "2"
instance_token = "tok-1"
last_woke_at = "2026-07-19T06:40:00Z"
creation_complete_at = "2026-07-19T06:40:00Z"
[[runtime]]
name = "repo--witness"
session_id = "gc-1"
instance_token = "tok-1"
started_at = "2026-07-19T06:40:00Z"
last_activity = "{last_activity}"
"""


# ---------------------------------------------------------------------------- apps


def scenario_app(tmp_path: Path, text: str, **options: Any) -> CitywatchApp:
    """The app on a scenario file written from `text`, without a config watcher; any other
    CitywatchApp option by keyword."""
    from tui.app import CitywatchApp

    return CitywatchApp(open_scenario(write_scenario(tmp_path, text)), watch=False, **options)


def city_app(path: Path, *, watch: bool = False, **options: Any) -> CitywatchApp:
    """The app on the city.toml at `path`; with `watch`, its config watcher debounces edits for
    50 ms only, so a test sees a saved edit quickly. Any other CitywatchApp option by keyword."""
    from tui.app import CitywatchApp

    if watch:
        options.setdefault("watch_debounce_ms", 50)
    return CitywatchApp(open_city(str(path)), watch=watch, **options)
