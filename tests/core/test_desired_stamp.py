"""stampRunSessionIdentity's work_dir rule (workDirStampHasOwnershipEvidence): a pool session's
work_dir is stamped on its in-progress work only where the bead already names that very path as
its legacy `work_dir`; a session outside a pool stamps it in any case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.stamp import stamp_run_session_identity
from core.world.beads import SessionBead, WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def stamped(session_md: dict, work_md: dict) -> dict[str, str]:
    world = World(T0)
    world.store.put_session(SessionBead("gc-1", T0, {"template": "w", "session_name": "w-gc-1", **session_md}))
    w = world.store.put_work(WorkBead("wk-1", status="in_progress", assignee="w-gc-1", metadata=tuple(work_md.items())))
    ctx = BuildContext(City(root="/c", path="/c/city.toml", agents=[Agent(name="w", max_active_sessions=3)]), world,
                       "current", [])
    stamp_run_session_identity(ctx, [w])
    return dict(world.store.work_bead("wk-1").metadata)


POOL = {"pool_managed": "true"}


@pytest.mark.parametrize("work_dir, legacy, stamps", [
    ("/w/a", "/w/a", True),
    ("/w/a", " /w/a ", True),      # the legacy path is read trimmed
    ("/w/a", "/w/b", False),       # another path is no evidence
    ("/w/a", "", False),
    ("XXXX", "", False),           # whatever the path is called, no legacy work_dir means no evidence
    ("XXXX", "XXXX", True),
])
def test_a_pool_session_stamps_its_work_dir_only_where_the_bead_already_names_it(work_dir, legacy, stamps):
    md = stamped({**POOL, "work_dir": work_dir}, {"work_dir": legacy} if legacy else {})
    assert md["gc.session_name"] == "w-gc-1"
    assert md.get("gc.work_dir") == (work_dir if stamps else None)


def test_a_session_outside_a_pool_stamps_its_work_dir_without_evidence():
    md = stamped({"session_origin": "manual", "work_dir": "/w/a"}, {"work_dir": "/w/b"})
    assert (md["gc.session_name"], md["gc.work_dir"]) == ("w-gc-1", "/w/a")
