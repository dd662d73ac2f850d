"""The store's kept answers about work (the open work list, the closed work count) follow every
way the work map changes: single writes, metadata updates, bulk loads, forgetting, and a restored
snapshot."""

from __future__ import annotations

from core.world.beads import WorkBead
from core.world.store import Store


def recount(s: Store) -> tuple[list[str], int]:
    return (sorted((w.id for w in s.work.values() if w.status != "closed"), key=lambda i: int(i[2:])),
            sum(1 for w in s.work.values() if w.status == "closed"))


def answers(s: Store) -> tuple[list[str], int]:
    return [w.id for w in s.open_work()], s.closed_work_count()


def test_open_work_and_the_closed_count_follow_every_write():
    s = Store()
    s.put_work_many([WorkBead(f"w-{i}", status="closed" if i % 3 == 0 else "open") for i in range(1, 13)])
    assert answers(s) == recount(s) == (["w-1", "w-2", "w-4", "w-5", "w-7", "w-8", "w-10", "w-11"], 4)
    s.put_work(s.work["w-2"].with_(status="closed"))  # open -> closed
    assert answers(s) == recount(s)
    s.put_work(s.work["w-3"].with_(status="open"))  # closed -> open
    s.put_work(WorkBead("w-13", status="closed"))  # a new closed bead
    s.update_work_metadata("w-4", {"k": "v"}, assignee="worker")
    assert answers(s) == recount(s)
    snap = s.snapshot()
    assert s.forget_work(["w-6", "w-9", "w-1"]) == 2  # w-1 is open: kept
    assert answers(s) == recount(s) and s.closed_work_count() == 3
    s.restore(snap)
    assert answers(s) == recount(s) and s.closed_work_count() == 5
    s.put_work_many([WorkBead("w-14", status="closed")])
    assert answers(s) == recount(s) and s.closed_work_count() == 6


def test_a_caller_changing_the_open_work_list_changes_nothing_kept():
    s = Store()
    s.put_work(WorkBead("w-1"))
    s.open_work().clear()
    assert [w.id for w in s.open_work()] == ["w-1"]


def test_open_work_kept_in_order_across_writes_matches_a_full_sort():
    s = Store()
    s.put_work_many([WorkBead(f"w-{i}", status="open" if i % 2 else "closed") for i in range(1, 40)])
    s.open_work()
    for i, status in [(5, "closed"), (6, "open"), (41, "open"), (0, "open"), (100, "closed"), (7, "in_progress")]:
        s.put_work(WorkBead(f"w-{i}", status=status))
        assert answers(s) == recount(s)


def test_ids_that_sort_alike_leave_the_order_to_the_full_sort():
    s = Store()
    s.put_work(WorkBead("w-1"))
    s.open_work()
    snap = s.snapshot()
    s.put_work(WorkBead("w-01"))  # sorts equal to w-1: the full sort orders them, by map order
    assert sorted(w.id for w in s.open_work()) == ["w-01", "w-1"]
    s.restore(snap)
    assert [w.id for w in s.open_work()] == ["w-1"]
