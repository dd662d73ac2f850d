"""What a recorded tick keeps of the store, its event lines and its build: a write keeps what
it did not change (index paths, labels), a replaced bead version keeps its metadata compactly
and nothing derived, a step's lines share the lines the step before had, and a recorded build
shares every equal part with the one before. None of it changes what anyone reads."""

from __future__ import annotations

from datetime import UTC, datetime

from core.desired.entries import DesiredEntry, DesiredResult, Request, Why
from core.views.event_line import EventLine, StepLines
from core.world import beads as B
from core.world.beads import FrozenMeta, WorkBead
from core.world.store import Store

T0 = datetime(2026, 7, 1, tzinfo=UTC)
KEY = {k: i for i, k in enumerate(Store.SESSION_KEYS)}


def store_with_bead() -> tuple[Store, str]:
    s = Store()
    b = s.create_session({B.TEMPLATE: "r/w", B.SESSION_NAME: "w-1", B.AGENT_NAME: "r/w", B.STATE: "active"}, T0)
    return s, b.id


def test_a_write_that_leaves_every_indexed_key_keeps_every_index():
    s, bid = store_with_bead()
    before = s.snapshot().index
    s.update_session(bid, {B.STATE: "asleep"})
    after = s.snapshot().index
    assert before is not None and after is not None
    assert all(a is b for a, b in zip(before.sessions, after.sessions, strict=True))
    assert [b.id for b in s.open_by(B.AGENT_NAME, "r/w")] == [bid]


def test_a_work_write_that_keeps_its_assignee_and_route_keeps_the_work_indexes():
    s = Store()
    s.put_work(WorkBead("w-1", "open", assignee="r/w-1", routed_to="r/w"))
    by_assignee, by_route = s._work_by_assignee, s._work_by_route
    s.put_work(WorkBead("w-1", "in_progress", assignee="r/w-1", routed_to="r/w", priority=2))
    assert s._work_by_assignee is by_assignee and s._work_by_route is by_route
    s.put_work(WorkBead("w-1", "in_progress", assignee="r/w-2", routed_to="r/w"))
    assert [w.id for w in s.work_assigned_to("r/w-2")] == ["w-1"] and s.work_assigned_to("r/w-1") == []
    s.put_work(WorkBead("w-1", "closed", assignee="r/w-2", routed_to="r/w"))
    assert s.work_assigned_to("r/w-2") == [] and s.work_routed_to("r/w") == []


def test_a_key_moved_and_moved_back_between_snapshots_leaves_the_index_as_it_was():
    """Sync and the build each set agent_name their way within one tick: the snapshot's index is
    the previous snapshot's, while a key that really moved is found under its new value."""
    s, bid = store_with_bead()
    before = s.snapshot().index
    s.update_session(bid, {B.AGENT_NAME: "w-1"})
    s.update_session(bid, {B.AGENT_NAME: "r/w"})
    s.update_session(bid, {B.SESSION_NAME: "w-2"})
    after = s.snapshot().index
    assert before is not None and after is not None
    assert after.sessions[KEY[B.AGENT_NAME]] is before.sessions[KEY[B.AGENT_NAME]]
    assert after.sessions[KEY[B.SESSION_NAME]] is not before.sessions[KEY[B.SESSION_NAME]]
    assert [b.id for b in s.open_by(B.AGENT_NAME, "r/w")] == [bid]
    assert s.open_by(B.SESSION_NAME, "w-1") == [] and [b.id for b in s.open_by(B.SESSION_NAME, "w-2")] == [bid]
    s.restore(s.snapshot())
    assert [b.id for b in s.open_by(B.SESSION_NAME, "w-2")] == [bid]


def test_a_replaced_version_holds_its_metadata_compactly_and_nothing_derived():
    s, bid = store_with_bead()
    old = s.sessions[bid]
    md = dict(old.metadata)
    assert old.assignee_identities() == (bid, "w-1")
    s.update_session(bid, {B.STATE: "asleep"})
    assert isinstance(old.metadata, FrozenMeta) and old._derived is None
    assert old.metadata == md and md == old.metadata and list(old.metadata.items()) == list(md.items())
    assert repr(old.metadata) == repr(md) and old.assignee_identities() == (bid, "w-1")
    assert type(s.sessions[bid].metadata) is dict  # the live version reads at full speed


def test_a_closed_bead_holds_its_metadata_compactly():
    s, bid = store_with_bead()
    s.close_session(bid, "drained", T0)
    closed = s.sessions[bid]
    assert isinstance(closed.metadata, FrozenMeta) and closed.get(B.STATE) == "drained"
    reopened = s.reopen_session(bid, {B.STATE: "asleep"})
    assert type(reopened.metadata) is dict and reopened.get(B.CLOSE_REASON) == ""


def test_frozen_metadata_reads_as_the_dict_it_was_made_from():
    md = {"b": "2", "a": "1"}
    f = FrozenMeta(md)
    assert f["a"] == "1" and f.get("b") == "2" and f.get("c") is None and f.get("c", "") == ""
    assert "a" in f and "c" not in f and len(f) == 2 and list(f) == ["b", "a"]
    assert f == FrozenMeta(dict(md)) and f != FrozenMeta({"b": "2", "a": "9"}) and f != {"b": "2"}
    assert f == FrozenMeta({"a": "1", "b": "2"})  # another key order, equal as a dict is
    assert dict(f) == md and {**f} == md


def test_labels_equal_to_the_beads_keep_its_set():
    s, bid = store_with_bead()
    old = s.sessions[bid]
    new = s.update_session(bid, {B.STATE: "asleep"}, labels=frozenset(set(old.labels)))  # an equal set
    assert new.labels is old.labels


def lines(frame: int, texts: list[str]) -> list[EventLine]:
    return [EventLine(frame, frame, T0, "trace", t, t[-1]) for t in texts]


def test_a_steps_lines_share_what_the_step_before_had_and_read_back_in_order():
    first = StepLines(1, 1, T0, lines(1, ["x 1", "y 2", "x 1"]))
    given = lines(2, ["y 2", "z 3", "y 2", "x 1"])
    second = StepLines(2, 2, T0, given, first)
    assert list(second) == given and second[2] == given[2] and len(second) == 4
    shared = {id(t) for t in first._palette}
    assert [id(t) in shared for t in second._palette] == [True, False, True]  # y 2, z 3, x 1


def entry(name: str, identity: str, env: dict[str, str], why: list[Why]) -> DesiredEntry:
    return DesiredEntry(name, "r/w", identity, identity, 1, "new", env=env, why=why)


def test_a_changed_entry_and_request_list_share_their_equal_parts():
    old = DesiredResult(entries={"a": entry("a", "r/w-1", {"GC_ALIAS": "r/w-1"}, [Why("shape", "pool")])},
                        requests={"r/w": [Request("r/w", "new", work_bead_id="w-1")]},
                        scale_check_counts={"r/w": 2}, logs=["same", "old"])
    new = DesiredResult(entries={"a": entry("a", "r/w-2", {"GC_ALIAS": "r/w-1"}, [Why("shape", "pool"), Why("x", "y")])},
                        requests={"r/w": [Request("r/w", "new", work_bead_id="w-1"), Request("r/w", "resume")]},
                        scale_check_counts={"r/w": 2}, logs=["same", "new"])
    new.logs[0] = "".join(["sa", "me"])  # an equal text, not the same object
    e, reqs = new.entries["a"], new.requests["r/w"]
    new.share_unchanged(old)
    a = old.entries["a"]
    assert new.entries["a"] is e and e.identity == "r/w-2" and e.env is a.env and e.why[0] is a.why[0]
    assert new.requests["r/w"] is reqs and reqs[0] is old.requests["r/w"][0] and reqs[1].tier == "resume"
    assert new.scale_check_counts is old.scale_check_counts and new.logs[0] is old.logs[0]
    assert new.logs == ["same", "new"]


def test_a_retired_build_drops_its_groups_and_roots_and_still_answers():
    def build(identity: str) -> DesiredResult:
        return DesiredResult(entries={"a": entry("a", identity, {}, []), "b": entry("b", "r/w-9", {}, [])},
                             roots={"r/w", identity})

    old, new = build("r/w-1"), build("r/w-2")
    new.share_unchanged(old)
    old.retire(new)
    assert old.entries._by_template is None and old.roots == set()
    assert [e.identity for e in old.entries.of_template("r/w")] == ["r/w-1", "r/w-9"]
    assert new.entries._by_template is not None and new.roots == {"r/w", "r/w-2"}
    same = build("r/w-2")
    same.share_unchanged(new)  # everything equal: one entries map and one roots set for both
    new.retire(same)
    assert new.entries._by_template is not None and new.roots is same.roots == {"r/w", "r/w-2"}
    same.retire(same)
    assert same.entries._by_template is not None
