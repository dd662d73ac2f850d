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


def test_each_in_progress_bead_is_stamped_on_its_own_and_its_root_once():
    """stampRunSessionIdentity walks every collected bead: work that is not in progress, has no
    assignee, names no open session, or whose session has neither identifier nor work_dir is
    skipped without stopping the walk. A session with a name but no work_dir stamps the name; one
    with a work_dir but no identifier stamps the work_dir. A run root (gc.root_bead_id) in the same
    store gets the session's stamps too (once, with the session's own work_dir rule); a root that
    is the bead itself, or lives in another store, is not stamped from here."""
    world = World(T0)
    store = world.store
    store.put_session(SessionBead("gc-1", T0, {"template": "w", "session_name": "w-gc-1", "session_origin": "manual",
                                               "work_dir": "/w/a"}))
    store.put_session(SessionBead("gc-2", T0, {"template": "w", "session_origin": "manual"}))
    store.put_session(SessionBead("gc-3", T0, {"template": "w", "session_name": "w-gc-3", "session_origin": "manual"}))
    store.put_session(SessionBead("gc-4", T0, {"template": "w", "session_origin": "manual", "work_dir": "/w/d"}))
    for rid, st in (("root", ""), ("far", "r1")):
        store.put_work(WorkBead(rid, status="open", store=st))
    work = [WorkBead("o-1", status="open", assignee="w-gc-1"), WorkBead("b-1", status="in_progress", assignee=" "),
            WorkBead("u-1", status="in_progress", assignee="nobody"), WorkBead("e-1", status="in_progress", assignee="gc-2"),
            WorkBead("n-1", status="in_progress", assignee="w-gc-3"), WorkBead("d-1", status="in_progress", assignee="gc-4"),
            WorkBead("s-1", status="in_progress", assignee="w-gc-1", metadata=(("gc.root_bead_id", "s-1"),)),
            WorkBead("k-3", status="in_progress", assignee="w-gc-1", metadata=(("gc.root_bead_id", "far"),)),
            WorkBead("k-1", status="in_progress", assignee="w-gc-1", metadata=(("gc.root_bead_id", " root "),)),
            WorkBead("k-2", status="in_progress", assignee="w-gc-3", metadata=(("gc.root_bead_id", "root"),))]
    for w in work:
        store.put_work(w)
    ctx = BuildContext(City(root="/c", path="/c/city.toml", agents=[Agent(name="w", max_active_sessions=3)]), world,
                       "current", [])
    stamp_run_session_identity(ctx, work)

    def stamps(wid: str) -> tuple[str | None, str | None]:
        md = dict(store.work_bead(wid).metadata)
        return md.get("gc.session_name"), md.get("gc.work_dir")

    assert [stamps(w) for w in ("o-1", "b-1", "u-1", "e-1")] == [(None, None)] * 4
    assert stamps("n-1") == ("w-gc-3", None) and stamps("d-1") == (None, "/w/d")
    assert stamps("s-1") == ("w-gc-1", "/w/a") and stamps("k-1") == ("w-gc-1", "/w/a")
    assert stamps("root") == ("w-gc-1", "/w/a")    # k-2's session (w-gc-3) comes after the root was stamped
    assert stamps("far") == (None, None)
