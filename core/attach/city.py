"""Where a live city keeps things, and the names attach needs that the model does not:
the city name, the tmux socket, the session and bead providers.

Resolution follows Gas City: city name = `.gc/site.toml` `workspace_name`, else `[workspace]
name`, else the directory's basename; tmux socket = `[session] socket`, else the city name;
session provider = `[session] provider` (default `tmux`); bead provider = `[beads] provider`
(default `bd`), with a `.gc/beads.json` meaning the file store whatever the config says.
Only the files are read; nothing is created.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import tomli

from core.guards.safeio import CONFIG_MAX_BYTES, read_regular
from core.tracefile.layout import CITY_TRACE_ROOT
from core.tracefile.problems import ReadWarning


@dataclass
class CityLayout:
    """Where a live city's files are and how it runs: its tmux socket and session and bead providers."""
    root: str
    name: str
    tmux_socket: str
    session_provider: str
    bead_provider: str
    warnings: list[ReadWarning] = field(default_factory=list)

    @property
    def city_toml(self) -> str:
        return os.path.join(self.root, "city.toml")

    @property
    def gc_dir(self) -> str:
        return os.path.join(self.root, ".gc")

    @property
    def beads_json(self) -> str:
        return os.path.join(self.root, ".gc", "beads.json")

    @property
    def events_jsonl(self) -> str:
        return os.path.join(self.root, ".gc", "events.jsonl")

    @property
    def trace_root(self) -> str:
        return os.path.join(self.root, CITY_TRACE_ROOT)

    @property
    def runtime_observable(self) -> bool:
        return self.session_provider in ("", "tmux")


def _read_toml(path: str, source: str, warns: list[ReadWarning]) -> dict[str, Any]:
    try:
        return tomli.loads(read_regular(path, CONFIG_MAX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        why = "it is not UTF-8 text"
    except (OSError, ValueError, RecursionError) as e:  # TOMLDecodeError is a ValueError
        why = str(e)
    warns.append(ReadWarning(source, "unreadable", f"cannot read ({why}); using defaults", path))
    return {}


def _table(d: dict[str, Any], key: str) -> dict[str, Any]:
    v = d.get(key)
    return v if isinstance(v, dict) else {}


def _str(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def resolve_layout(root: str, socket_override: str = "") -> CityLayout:
    """Read city.toml and .gc/site.toml under `root` into a CityLayout; unreadable files become
    warnings. A .gc/beads.json makes the bead provider "file"."""
    root = os.path.abspath(root)
    warns: list[ReadWarning] = []
    city = _read_toml(os.path.join(root, "city.toml"), "config", warns)
    site = _read_toml(os.path.join(root, ".gc", "site.toml"), "config", warns)
    name = _str(site.get("workspace_name")) or _str(_table(city, "workspace").get("name")) or os.path.basename(root)
    session = _table(city, "session")
    socket = socket_override or _str(session.get("socket")) or name
    provider = _str(session.get("provider")) or "tmux"
    beads = _str(_table(city, "beads").get("provider")) or "bd"
    if os.path.exists(os.path.join(root, ".gc", "beads.json")):
        beads = "file"
    return CityLayout(root, name, socket, provider, beads, warns)
