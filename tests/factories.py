"""Factories the tests share: in-memory cities and session beads, city.toml files on disk, and
scenario files (written, loaded, run and checked). A test that needs something more particular
builds it from these and says what differs."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.config.model import Agent, City, NamedSession
from core.model import Model
from core.scenario import ScenarioError, check, load_scenario, run
from core.world.beads import SessionBead

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)  # the start of the scenarios below


# ---------------------------------------------------------------------------- in memory


def make_city(*agents: Agent, named: list[NamedSession] | None = None, root: str = ".",
              path: str = "city.toml", **fields: Any) -> City:
    """A City of these agents and named sessions; any other City field by keyword."""
    return City(root=root, path=path, agents=list(agents), named_sessions=named or [], **fields)


def session_bead(bid: str = "b1", created: datetime = T0, **md: str) -> SessionBead:
    """A session bead with this id, creation time and metadata (as given, empty values kept)."""
    return SessionBead(bid, created, md)


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

NAMED_MAYOR_CITY = """start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "mayor"
[[city.named_session]]
template = "mayor"
mode = "always"
"""

NAMED_MAYOR_IDENTITY = """session_name = "mayor"
agent_name = "mayor"
alias = "mayor"
template = "mayor"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "mayor"
configured_named_mode = "always"
"""


def named_mayor_scenario(name: str, metadata: str, *, bead: str = "", after: str = "") -> str:
    """A scenario whose city has one agent, `mayor`, as an always-on named session, and its
    session bead gc-1 with this metadata (NAMED_MAYOR_IDENTITY is the full named identity);
    `bead` adds fields to the [[session]] table, `after` adds tables after it. The text may
    carry str.format placeholders: they are left for the caller."""
    return (f'name = "{name}"\n{NAMED_MAYOR_CITY}[[session]]\nid = "gc-1"\n{bead}[session.metadata]\n'
            f"{metadata}{after}")
