"""What to reload and how: the config files to watch, loading a new revision, and the record of
each revision an export needs to reproduce it.

The TUI's watcher only notices file changes; every decision lives here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import tomli

from core.config.errors import ConfigError
from core.config.model import City


@dataclass(frozen=True)
class ConfigSource:
    """Where one config revision came from, enough to write it back into a scenario.

    `kind` is "file" (a city.toml on disk: `path`, its parsed `table` and `text`) or "inline" (a
    scenario's `[city]` table, whose relative paths resolve against `base_dir`).
    """

    kind: str
    path: str
    base_dir: str
    table: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    text: str = ""
    revision: str = ""
    packs_dir: str = ""  # --packs: local copies of remote packs, by name


@dataclass(frozen=True)
class Loaded:
    """A reload attempt: either a validated city with its source, or the located error."""

    city: City | None
    source: ConfigSource | None
    error: ConfigError | None = None

    @property
    def ok(self) -> bool:
        return self.city is not None


def city_file(path: str) -> str:
    """The city.toml a user means by `path` (a file, or a directory holding city.toml)."""
    if os.path.isdir(path):
        path = os.path.join(path, "city.toml")
    return os.path.abspath(path)


def load(path: str, packs_dir: str = "") -> Loaded:
    """Load and validate the city at `path` (remote imports resolved from `packs_dir` when
    given). Never raises for bad input: the error comes back located (`file:line:col` or
    `file: field`), so the caller can keep the last good config."""
    from core.config.load import load_city
    from core.config.validate import validate_city

    path = city_file(path)
    try:
        city = load_city(path, packs_dir=packs_dir or None)
        validate_city(city)
    except ConfigError as e:
        return Loaded(None, None, e)
    except OSError as e:
        return Loaded(None, None, ConfigError(path, f"cannot read the config: {e.strerror or e}"))
    return Loaded(city, file_source(path, city.revision, packs_dir))


def file_source(path: str, revision: str = "", packs_dir: str = "") -> ConfigSource:
    """Record the text and table of the city file as loaded (for export)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8", errors="replace")
        table = tomli.loads(text)
    except (OSError, tomli.TOMLDecodeError):
        text, table = "", {}
    return ConfigSource("file", path, os.path.dirname(path), table, text, revision, packs_dir)


def inline_source(table: dict[str, Any], scenario_path: str, revision: str = "") -> ConfigSource:
    return ConfigSource("inline", scenario_path, os.path.dirname(os.path.abspath(scenario_path)), table, "",
                        revision)


def watch_targets(city: City, exclude: Iterable[str] = ()) -> tuple[list[str], set[str]]:
    """The directories to watch (non-recursively: editors save by writing a temp file and
    renaming it over the original) and the set of files whose change means "reload".

    Every file the loader read counts: the city.toml, pack files, agent files, include fragments
    and namepool files. `exclude` drops files that are not config (a scenario file holding an
    inline city is re-read only on explicit request)."""
    skip = {os.path.abspath(p) for p in exclude}
    files = {os.path.abspath(f) for f in city.files if os.path.abspath(f) not in skip}
    if city.path and os.path.isfile(city.path) and os.path.abspath(city.path) not in skip:
        files.add(os.path.abspath(city.path))
    dirs = sorted({os.path.dirname(f) for f in files if os.path.isdir(os.path.dirname(f))})
    return dirs, files


def is_relevant(changed_path: str, files: set[str]) -> bool:
    """Does a change to `changed_path` (as the watcher reports it) call for a reload?"""
    return os.path.abspath(changed_path) in files


def config_notes(city: City) -> list[str]:
    """What an operator should know about a loaded config that the agent list does not say:
    imports that could not be resolved, rig-default templates not stamped into any rig, and
    the loader's warnings."""
    notes = []
    for imp in city.imports:
        if imp.unresolved_reason:
            notes.append(f"import {imp.binding} ({imp.scope}) not resolved: {imp.source}: {imp.unresolved_reason}")
    if city.rig_defaults:
        names = ", ".join(a.qualified_name for a in city.rig_defaults)
        notes.append(f"{len(city.rig_defaults)} rig default template(s) not stamped into any rig: {names}")
    notes.extend(w.render() for w in city.warnings)
    return notes
