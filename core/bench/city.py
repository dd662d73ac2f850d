"""The benchmark's synthetic city: a `city.toml` made of identical rig blocks, each holding one
agent of every identity shape Gas City knows.

A block is a rig (`rigNNN`, its agents' `dir`; its path bound in `.gc/site.toml`) of ten agents:

| agent | shape |
|---|---|
| refinery | canonical singleton (max 1, no namepool) with a scale_check |
| witness | max 1 with `min_active_sessions = 0` (instance expansion): the workers' dependency |
| worker | slot pool (max 8), `depends_on` the witness (a dependency floor), idle sleep |
| polecat | namepool (max 3) with `max_session_age` and `idle_timeout` |
| crew | unlimited pool (no max) with `idle_timeout` |
| builder | slot pool (max 4) with a scale_check and `min_active_sessions = 1` (min fill) |
| scout | slot pool (max 6) fed by routed work |
| reviewer | slot pool (max 2) with `max_session_age` |
| mayor | backs an `always` named session |
| deacon | backs an `on_demand` named session |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

AGENTS_PER_BLOCK = 10
NAMEPOOL = ("furiosa", "nux", "slit")


@dataclass(frozen=True)
class Size:
    """How big a synthetic city is: agents, session beads and work beads in the whole world."""

    name: str
    agents: int
    sessions: int
    work: int

    @property
    def blocks(self) -> int:
        return self.agents // AGENTS_PER_BLOCK


SIZES = {
    "S": Size("S", 20, 200, 2_000),
    "M": Size("M", 200, 2_000, 20_000),
    "L": Size("L", 1_000, 10_000, 100_000),
}


def rig_name(block: int) -> str:
    """The benchmark city's rig name for block number `block` ("rig007")."""
    return f"rig{block:03d}"


def city_text(size: Size, *, revision_note: str = "") -> str:
    """The city.toml of `size`. `revision_note` goes into a comment, so a rewrite with a new note
    is a new revision with the same agents."""
    out = [
        f"# citywatch benchmark city, size {size.name}{(' ' + revision_note) if revision_note else ''}",
        "[workspace]",
        f'name = "bench-{size.name.lower()}"',
        "",
        "[daemon]",
        'patrol_interval = "30s"',
        "max_wakes_per_tick = 5",
        "",
    ]
    for k in range(size.blocks):
        rig = rig_name(k)
        out += [
            "[[rigs]]",
            f'name = "{rig}"',
            f'prefix = "k{k:03d}"',
            "max_active_sessions = 40",
            "",
        ]
        out += _block_agents(rig)
    return "\n".join(out) + "\n"


def _block_agents(rig: str) -> list[str]:
    def agent(name: str, *lines: str) -> list[str]:
        return ["[[agent]]", f'name = "{name}"', f'dir = "{rig}"', *lines, ""]

    return [
        *agent("refinery", "max_active_sessions = 1", 'scale_check = "printf 1"'),
        *agent("witness", "max_active_sessions = 1", "min_active_sessions = 0"),
        *agent("worker", "max_active_sessions = 8", 'sleep_after_idle = "2m"', f'depends_on = ["{rig}/witness"]'),
        *agent("polecat", "max_active_sessions = 3", 'namepool = "names/polecats.txt"', 'max_session_age = "10m"',
               'idle_timeout = "6m"'),
        *agent("crew", 'idle_timeout = "5m"'),
        *agent("builder", "max_active_sessions = 4", "min_active_sessions = 1", 'scale_check = "printf 2"'),
        *agent("scout", "max_active_sessions = 6"),
        *agent("reviewer", "max_active_sessions = 2", 'max_session_age = "30m"'),
        *agent("mayor"),
        *agent("deacon"),
        "[[named_session]]", 'template = "mayor"', f'dir = "{rig}"', 'mode = "always"', "",
        "[[named_session]]", 'template = "deacon"', f'dir = "{rig}"', 'mode = "on_demand"', "",
    ]


def write_city(size: Size, root: str, revision_note: str = "") -> str:
    """Write the city of `size` under `root` (city.toml, the namepool file, the rig directories)
    and return the city.toml path."""
    os.makedirs(os.path.join(root, "names"), exist_ok=True)
    os.makedirs(os.path.join(root, ".gc"), exist_ok=True)
    with open(os.path.join(root, "names", "polecats.txt"), "w") as f:
        f.write("\n".join(NAMEPOOL) + "\n")
    site = []
    for k in range(size.blocks):
        rig_dir = os.path.join(root, "rigs", rig_name(k))
        os.makedirs(rig_dir, exist_ok=True)
        site += ["[[rig]]", f'name = "{rig_name(k)}"', f'path = "{rig_dir}"', ""]
    with open(os.path.join(root, ".gc", "site.toml"), "w") as f:
        f.write("\n".join(site))
    path = os.path.join(root, "city.toml")
    with open(path, "w") as f:
        f.write(city_text(size, revision_note=revision_note))
    return path
