"""A long watch forgets closed session beads nothing can reach (World.forget_closed),
and forgetting them changes no decision the model makes."""

from __future__ import annotations

from datetime import timedelta

from core.demo import open_demo
from core.world import beads as B
from core.world.beads import WaitBead, WorkBead, natural_key
from core.world.world import World


def closed_world(n: int) -> tuple[World, list[str]]:
    w = World()
    ids = []
    for i in range(n):
        b = w.store.create_session({B.SESSION_NAME: f"worker-{i}", B.TEMPLATE: "worker"},
                                   w.now + timedelta(seconds=i))
        w.store.close_session(b.id, "drained", w.now)
        ids.append(b.id)
    return w, ids


def test_the_oldest_unreachable_closed_beads_go_and_the_newest_stay():
    w, ids = closed_world(120)
    live = w.store.create_session({B.SESSION_NAME: "worker-live", B.TEMPLATE: "worker"}, w.now)
    assert w.forget_closed(100) == 20
    assert set(w.store.sessions) == set(ids[20:]) | {live.id}


def test_nothing_is_forgotten_until_the_closed_beads_pass_the_bound_by_a_tenth():
    w, ids = closed_world(110)
    assert w.forget_closed(100) == 0 and len(w.store.sessions) == 110
    w, ids = closed_world(111)
    assert w.forget_closed(100) == 11


def test_closed_beads_something_still_refers_to_are_kept_whatever_their_age():
    w, ids = closed_world(40)
    named = w.store.create_session({B.SESSION_NAME: "mayor", B.CONFIGURED_NAMED_IDENTITY: "mayor"}, w.now)
    w.store.close_session(named.id, "drained", w.now)
    w.runtime.start("worker-1", session_id="x", instance_token="t", template="worker", now=w.now, env={})
    w.store.put_work(WorkBead("w-1", status="in_progress", assignee=ids[2]))
    w.store.put_work(WorkBead("w-2", status="open", assignee="worker-3"))
    w.store.put_work(WorkBead("w-3", status="closed", assignee=ids[4]))  # closed work holds nothing
    w.store.put_wait(WaitBead("wait-1", ids[5], dep_ids=(ids[6],)))
    w.store.put_wait(WaitBead("wait-2", ids[7], state="expired"))  # a finished wait holds nothing
    assert w.forget_closed(0) == 41 - 6
    assert set(w.store.sessions) == {named.id, ids[1], ids[2], ids[3], ids[5], ids[6]}


def run(keep: int, steps: int):
    d = open_demo(history_limit=50)
    d.keep_closed = keep
    texts = []
    for _ in range(steps):
        d.step()
        texts.append([ln.text for ln in d.live.lines])
    return d, texts


def test_forgetting_changes_no_decision_and_bounds_the_store():
    kept, lines_kept = run(40, 1200)
    full, lines_full = run(10**9, 1200)
    closed = kept.model.world.store.closed_session_count()
    closed_work = sum(1 for w in kept.model.world.store.work.values() if w.status == "closed")
    assert kept.forgotten > 0 and closed <= 44 and closed_work <= 44
    assert full.model.world.store.closed_session_count() > 400
    assert sum(1 for w in full.model.world.store.work.values() if w.status == "closed") > 60
    forgot_note = [i for i, t in enumerate(lines_kept) if any("beads in memory; older ones" in x for x in t)]
    assert len(forgot_note) == 1
    i = forgot_note[0]
    lines_kept[i] = [x for x in lines_kept[i] if "beads in memory; older ones" not in x]
    assert lines_kept == lines_full
    open_kept = {b.id: b.metadata for b in kept.model.world.store.open_sessions()}
    assert open_kept == {b.id: b.metadata for b in full.model.world.store.open_sessions()}
    assert sorted(kept.model.world.runtime.sessions) == sorted(full.model.world.runtime.sessions)


def test_closed_work_a_live_wait_names_is_kept():
    w = World()
    for i in range(30):
        w.store.put_work(WorkBead(f"w-{i}", status="closed"))
    w.store.put_work(WorkBead("w-open", status="open"))
    w.store.put_wait(WaitBead("wait-1", "gc-9", dep_ids=("w-0",)))
    assert w.forget_closed(10) == 20  # down to 10 closed: the waited-on w-0 and the nine newest
    assert sorted(w.store.work, key=natural_key) == ["w-0", *[f"w-{i}" for i in range(21, 30)], "w-open"]
