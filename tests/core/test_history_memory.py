"""What a recorded tick keeps: only the newest frames keep their derived views, consecutive
frames share the desired entries that did not change, and none of it changes what a frame shows."""

from __future__ import annotations

from core.bench.measure import step
from core.bench.session import open_bench
from core.desired.entries import DesiredEntry, DesiredResult, Request, Why
from core.session.history import History
from core.views.board import board


def test_only_the_newest_frames_keep_their_board(tmp_path):
    s = open_bench("S", str(tmp_path))
    for _ in range(7):
        step(s)
    frames = list(s.driver.history)
    warm = s.driver.history.warm
    assert all("board" in f._cache for f in frames[-warm:])
    assert not any(f._cache for f in frames[:-warm])
    old = frames[1]
    rebuilt = board(old)  # travelling back derives the view again
    assert [r.key for r in rebuilt.sessions] and "board" in old._cache


def test_a_dropped_board_is_rebuilt_equal(tmp_path):
    s = open_bench("S", str(tmp_path))
    step(s)
    frame = s.driver.live
    before = board(frame)
    for _ in range(s.driver.history.warm + 1):
        step(s)
    assert not frame._cache
    assert board(frame) == before


def test_history_needs_a_warm_frame():
    h = History(limit=3, warm=0)
    assert h.warm == 1


def entry(name: str, alias: str) -> DesiredEntry:
    return DesiredEntry(name, "r/w", "r/w-1", alias, 1, "resume", "gc-1", env={"GC_ALIAS": alias},
                        why=[Why("shape.slot_pool", "max 3")])


def test_unchanged_entries_and_requests_are_shared_with_the_previous_build():
    old = DesiredResult(entries={"a": entry("a", "r/w-1"), "b": entry("b", "r/w-2")},
                        requests={"r/w": [Request("r/w", "resume", "gc-1")]})
    new = DesiredResult(entries={"a": entry("a", "r/w-1"), "b": entry("b", "changed"), "c": entry("c", "x")},
                        requests={"r/w": [Request("r/w", "resume", "gc-1")]})
    b_new, c_new = new.entries["b"], new.entries["c"]
    new.share_unchanged(old)
    assert new.entries["a"] is old.entries["a"]
    assert new.entries["b"] is b_new and new.entries["b"].alias == "changed"
    assert new.entries["c"] is c_new
    assert new.requests["r/w"] is old.requests["r/w"]
    new.share_unchanged(None)  # nothing to share with
    assert new.entries is not old.entries and new.requests is old.requests  # every request list was shared


def test_a_build_that_changed_nothing_shares_its_containers_too():
    def build() -> DesiredResult:
        r = DesiredResult(entries={"a": entry("a", "r/w-1"), "b": entry("b", "r/w-2")},
                          requests={"r/w": [Request("r/w", "resume", "gc-1")]}, roots={"r/w"})
        r.base_keys = tuple(sorted(r.entries))
        return r

    old, new = build(), build()
    new.share_unchanged(old)
    assert new.entries is old.entries and new.requests is old.requests
    assert new.base_keys is old.base_keys and new.roots is old.roots
    moved = build()
    moved.entries = type(moved.entries)({"b": moved.entries["b"], "a": moved.entries["a"]})  # another order
    moved.share_unchanged(old)
    assert moved.entries is not old.entries and list(moved.entries) == ["b", "a"]
    assert moved.entries.of_template("r/w") == [old.entries["b"], old.entries["a"]]


def test_recorded_frames_share_unchanged_entries_and_show_the_same(tmp_path):
    s = open_bench("S", str(tmp_path))
    for _ in range(4):
        step(s)
    prev, live = list(s.driver.history)[-2:]
    shared = [k for k, e in live.desired.entries.items() if prev.desired.entries.get(k) is e]
    assert shared, "an S tick changes only a few sessions"
    assert all(live.desired.entries[k] == prev.desired.entries[k] for k in shared)


def test_the_screen_reads_history_while_the_run_timer_appends():
    """The run timer records frames on a worker thread while the screen iterates the history
    (the Checks panel, the Events lines, travel): no read may fail or see a frame twice."""
    import sys
    import threading

    from core.demo import open_demo

    d = open_demo(history_limit=50)
    for _ in range(60):
        d.step()
    frames = d.history.frames()
    done, reading = threading.Event(), threading.Event()

    def record() -> None:
        reading.wait()
        for i in range(30_000):
            d.history.append(frames[i % len(frames)])
        done.set()

    worker = threading.Thread(target=record)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL back and forth as often as the interpreter allows
    worker.start()
    reads = 0
    try:
        while not done.is_set():
            seen = [f.index for f in d.history]
            assert len(seen) <= 50
            d.history.lines_until(10**9, 2000)
            list(reversed(d.history))
            reads += 1
            reading.set()
    finally:
        reading.set()
        worker.join()
        sys.setswitchinterval(switch)
    assert reads > 1
