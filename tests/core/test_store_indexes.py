"""The store's indexes travel with its snapshots: a restored snapshot answers every lookup as
a store rebuilt from its beads would, whatever writes came before or after."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.world import beads as B
from core.world.beads import WorkBead
from core.world.store import Store

T0 = datetime(2026, 7, 1, tzinfo=UTC)
VALUES = ("a", "b", "r/w-1", "")
ops = st.lists(st.one_of(
    st.tuples(st.just("create"), st.sampled_from(VALUES), st.sampled_from(VALUES), st.sampled_from(VALUES)),
    st.tuples(st.just("update"), st.integers(0, 9), st.sampled_from((B.ALIAS, B.TEMPLATE, B.SESSION_NAME)),
              st.sampled_from(VALUES)),
    st.tuples(st.just("close"), st.integers(0, 9)),
    st.tuples(st.just("reopen"), st.integers(0, 9)),
    st.tuples(st.just("work"), st.integers(0, 6), st.sampled_from(("open", "in_progress", "closed")),
              st.sampled_from(VALUES), st.sampled_from(VALUES)),
    st.tuples(st.just("snapshot")),
), max_size=40)


def apply(store: Store, op: tuple, n: int) -> None:
    ids = sorted(store.sessions.keys())
    kind = op[0]
    if kind == "create":
        md = {B.SESSION_NAME: op[1], B.ALIAS: op[2], B.TEMPLATE: op[3]}
        store.create_session(md, T0 + timedelta(seconds=n))
    elif kind in ("update", "close", "reopen") and ids:
        bid = ids[op[1] % len(ids)]
        b = store.sessions[bid]
        if kind == "update":
            store.update_session(bid, {op[2]: op[3]})
        elif kind == "close" and b.open:
            store.close_session(bid, "drained", T0)
        elif kind == "reopen" and not b.open:
            store.reopen_session(bid, {B.STATE: "asleep"})
    elif kind == "work":
        store.put_work(WorkBead(f"w-{op[1]}", op[2], op[3], op[4]))


def answers(store: Store) -> tuple:
    keys = [v for v in VALUES if v]
    return (
        [b.id for b in store.open_sessions()],
        {(k, v): [b.id for b in store.open_by(k, v)] for k in Store.SESSION_KEYS for v in keys},
        {v: sorted(w.id for w in store.work_assigned_to(v)) for v in keys},
        {v: sorted(w.id for w in store.work_routed_to(v)) for v in keys},
        [w.id for w in store.assigned_work()],
        store.routes(),
    )


@settings(max_examples=150, deadline=None)
@given(ops)
def test_a_restored_snapshot_answers_like_a_rebuilt_store(sequence):
    store = Store()
    snaps = []
    for n, op in enumerate(sequence):
        if op[0] == "snapshot":
            seen = answers(store)  # reads first: the snapshot then carries the creation order too
            snaps.append((store.snapshot(), seen))
        else:
            apply(store, op, n)
    snaps.append((store.snapshot(), answers(store)))
    for snap, seen in snaps:
        restored = Store()
        restored.restore(snap)
        rebuilt = Store()
        rebuilt.restore(replace(snap, index=None))
        assert answers(restored) == answers(rebuilt) == seen
    # writing to a restored store leaves the snapshot it came from as it was
    first, seen = snaps[0]
    restored = Store()
    restored.restore(first)
    restored.create_session({B.SESSION_NAME: "a", B.ALIAS: "b", B.TEMPLATE: "r/w-1"}, T0)
    restored.put_work(WorkBead("w-new", "open", "a", "b"))
    again = Store()
    again.restore(first)
    assert answers(again) == seen


@settings(max_examples=100, deadline=None)
@given(ops)
def test_open_sessions_read_between_writes_are_the_current_beads(sequence):
    """open_sessions() is kept between writes: every read, wherever it falls, gives the open beads
    as they are now (the same objects the store holds), and a caller changing the list it got
    changes nothing for the next caller."""
    store = Store()
    for n, op in enumerate(sequence):
        if op[0] == "snapshot":
            restored = Store()
            restored.restore(store.snapshot())
            store = restored
        else:
            apply(store, op, n)
        got = store.open_sessions()
        expected = sorted((b for b in store.sessions.values() if b.open), key=lambda b: (b.created_at, B.natural_key(b.id)))
        assert [b.id for b in got] == [b.id for b in expected]
        assert all(b is store.sessions[b.id] for b in got)
        got.clear()
        assert [b.id for b in store.open_sessions()] == [b.id for b in expected]


work_beads = st.lists(st.builds(WorkBead, st.sampled_from([f"w-{i}" for i in range(8)]),
                                st.sampled_from(("open", "in_progress", "closed")), st.sampled_from(VALUES),
                                st.sampled_from(VALUES)), max_size=20)


@settings(max_examples=100, deadline=None)
@given(work_beads, work_beads)
def test_work_put_at_once_answers_like_work_put_one_by_one(first, then):
    one, bulk = Store(), Store()
    for w in first + then:
        one.put_work(w)
    bulk.put_work_many(first)
    bulk.put_work_many(then)
    assert dict(bulk.work) == dict(one.work)
    assert answers(bulk) == answers(one)
