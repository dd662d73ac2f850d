"""Building blocks for the hostile-input tests: small valid inputs of every kind, and the ways a
hostile user turns one of their files into something that is not a file citywatch should read."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.guards.safeio import STATE_MAX_BYTES

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

CITY = """\
include = ["conf/extra.toml"]

[workspace]
name = "hostile"

[[agent]]
name = "mayor"

[[agent]]
name = "worker"
dir = "hostile"
max_active_sessions = 3
namepool = "names.txt"

[imports.gs]
source = "packs/gs"
"""
FRAGMENT = '[[agent]]\nname = "scout"\ndir = "hostile"\nmax_active_sessions = 2\n'
PACK = '[pack]\nname = "gs"\nschema = 1\n\n[[agent]]\nname = "deacon"\n'
AGENT_TOML = 'max_active_sessions = 1\n'
SITE = 'workspace_name = "hostile"\n'

SCENARIO = """\
name = "a small valid scenario"
city_file = "city/city.toml"

[[step]]
do = "tick"

[[expect]]
after = 1
not_desired = ["nobody"]
"""

# Every file of a city directory that `config show` and attach read, relative to the city root.
CONFIG_FILES = {
    "city.toml": CITY,
    "conf/extra.toml": FRAGMENT,
    "packs/gs/pack.toml": PACK,
    "packs/gs/agents/polecat/agent.toml": AGENT_TOML,
    "names.txt": "ace\nbuzz\n",
    ".gc/site.toml": SITE,
}


def write_city(root: Path) -> Path:
    """A valid city at `root` using every kind of config file (fragment, pack, agent.toml,
    namepool, site binding)."""
    for rel, text in CONFIG_FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def write_live_state(root: Path, staging: Path) -> None:
    """What a running controller leaves under .gc/: a bead store, an events log and a trace."""
    from core.tracefile.cycle import CycleTracer, Provenance
    from core.tracefile.layout import CITY_TRACE_ROOT
    from core.tracefile.writer import TraceWriter

    early = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    beads = {"seq": 2, "beads": [
        {"id": "gc-1", "title": "hostile/worker-1", "status": "open", "issue_type": "session", "created_at": early,
         "labels": ["gc:session"], "metadata": {"template": "hostile/worker", "agent_name": "hostile/worker-1",
                                                "session_name": "worker-gc-1", "state": "active"}},
        {"id": "w-1", "title": "work", "status": "open", "issue_type": "task", "created_at": early,
         "metadata": {"gc.routed_to": "hostile/worker"}},
    ]}
    gc = root / ".gc"
    gc.mkdir(parents=True, exist_ok=True)
    (gc / "beads.json").write_text(json.dumps(beads))
    (gc / "events.jsonl").write_text(json.dumps({"seq": 1, "type": "session.woke", "ts": early,
                                                 "subject": "gc-1"}) + "\n")
    writer = TraceWriter(str(staging), fsync=False)  # as the controller would: written elsewhere, copied in
    tracer = CycleTracer(writer, Provenance("hostile", str(root), host="h", pid=1, started_at=NOW,
                                            gc_version="1.4.0", gc_commit="9e89da7c"))
    tracer.write_cycle([{"record_type": "decision", "site_code": "build.desired", "reason_code": "scaled",
                         "outcome_code": "desired", "template": "hostile/worker"}], NOW)
    shutil.copytree(staging, root / CITY_TRACE_ROOT)


def live_files(root: Path) -> dict[str, Path]:
    """The live-state files attach reads, by kind."""
    from core.tracefile.layout import CITY_TRACE_ROOT, list_segments

    trace = root / CITY_TRACE_ROOT
    return {"beads.json": root / ".gc" / "beads.json", "events.jsonl": root / ".gc" / "events.jsonl",
            "head.json": trace / "head.json", "segment": trace / list_segments(str(trace))[0]}


# ---------------------------------------------------------------------- hostile replacements

HOSTILE_KINDS = ("fifo", "dev-zero", "oversized", "directory")


def make_hostile(path: Path, kind: str) -> None:
    """Replace the file at `path` by a FIFO nobody writes to, a link to /dev/zero, a sparse file
    one byte over the largest cap, or a directory."""
    if path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "oversized":
        with open(path, "wb") as f:
            f.truncate(STATE_MAX_BYTES + 1)  # sparse: over every cap, and costs no disk
    elif kind == "directory":
        path.mkdir()
    else:
        raise ValueError(kind)
