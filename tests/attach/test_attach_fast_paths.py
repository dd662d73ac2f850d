"""Attach's fast paths on a large city give what the plain paths give: a bead store loaded in one
pass, time stamps parsed once per listing, trace lines decoded without json's per-call steps.
Checked on the benchmark's S city written as a live city directory, and on odd input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.attach.beads_source import BeadsFile, decode_bead, decode_beads, parse_file_store
from core.attach.world_map import live_world, session_bead, work_bead
from core.bench.live_city import write_live_city
from core.guards.safeio import load_json
from core.world.beads import SessionBead
from core.world.world import World

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def live_city(tmp_path_factory) -> tuple[str, datetime]:
    root = str(tmp_path_factory.mktemp("live-s"))
    return root, write_live_city("S", root)


def _plain_world(beads, now: datetime, *, open_only: bool = False) -> World:
    """live_world's store the plain way: one put_session per session bead, every status known."""
    w = World(now, prefix="gc")
    status_by_id = {b.id: b.status for b in beads.beads}
    if open_only:
        status_by_id = {t: "closed" for b in beads.beads for t in b.blockers} | status_by_id
    for b in beads.beads:
        if b.is_session:
            w.store.put_session(session_bead(b, now))
    w.store.put_work_many(work_bead(b, status_by_id, now) for b in beads.beads if not b.is_session)
    w.store.journal.clear()
    return w


def _same_store(a: World, b: World) -> None:
    sa, sb = a.store.snapshot(), b.store.snapshot()
    assert (sa.sessions, sa.work) == (sb.sessions, sb.work)
    assert sa.index == sb.index  # the id sets of each index in the same order, not only the same ids
    assert [x.id for x in a.store.open_sessions()] == [x.id for x in b.store.open_sessions()]


def test_a_live_citys_store_loads_as_one_put_per_bead_would(live_city) -> None:
    root, now = live_city
    f = BeadsFile(f"{root}/.gc/beads.json")
    f.poll()
    beads = f.current
    assert len(beads.sessions()) > 50 and any(b.open for b in _plain_world(beads, now).store.sessions.values())
    live = live_world(beads, None, now)
    _same_store(live, _plain_world(beads, now))
    assert live.store.journal == []


def test_readiness_reads_blockers_whether_or_not_statuses_were_needed() -> None:
    rows = [
        {"id": "gc-1", "status": "open", "issue_type": "session", "metadata": {"session_name": "a", "template": "t"}},
        {"id": "gc-1", "status": "closed", "issue_type": "session", "metadata": {"session_name": "b", "template": "t"}},
        {"id": "gc-2", "status": "open", "issue_type": "session", "metadata": {"session_name": "c", "template": "t"}},
        {"id": "w-1", "status": "open", "issue_type": "task"},
        {"id": "w-2", "status": "open", "issue_type": "task", "dependencies": [{"depends_on_id": "w-1", "type": "blocks"}]},
        {"id": "w-3", "status": "open", "issue_type": "task", "dependencies": [{"depends_on_id": "w-9", "type": "blocks"}]},
        {"id": "w-4", "status": "closed", "issue_type": "task"},
    ]
    bs = parse_file_store({"seq": 4, "beads": rows}, "beads.json")
    for open_only in (False, True):
        live = live_world(bs, None, NOW, open_only=open_only)
        _same_store(live, _plain_world(bs, NOW, open_only=open_only))  # a repeated id: one put each
        assert sorted(w.id for w in live.store.work.values() if w.ready) == ["w-1"] + (["w-3"] if open_only else [])
    no_blockers = parse_file_store({"beads": [rows[3], rows[6]]}, "beads.json")
    assert live_world(no_blockers, None, NOW).store.work_bead("w-1").ready


def test_bulk_session_puts_into_a_store_that_has_some_are_one_put_each() -> None:
    first = SessionBead("gc-1", NOW, {"session_name": "a", "template": "t"})
    again = SessionBead("gc-1", NOW, {"session_name": "z", "template": "t"})
    other = SessionBead("gc-2", NOW, {"session_name": "b", "template": "t"})
    bulk, plain = World(NOW), World(NOW)
    bulk.store.put_session(first)
    plain.store.put_session(first)
    journaled = len(bulk.store.journal)
    bulk.store.put_sessions_many([again, other])
    for b in (again, other):
        plain.store.put_session(b)
    _same_store(bulk, plain)
    assert len(bulk.store.journal) == journaled  # the bulk load journals nothing


def test_time_stamps_parsed_once_per_listing_decode_as_each_bead_alone(live_city) -> None:
    root, _ = live_city
    rows = json.loads(Path(root, ".gc", "beads.json").read_bytes())["beads"]
    odd = [
        {"id": "x-1", "created_at": "2026-07-01T10:00:00+02:00", "updated_at": "0001-01-01T00:00:00Z",
         "defer_until": "not a time", "priority": True, "title": 7, "assignee": None, "metadata": {"n": 1, "s": "x"}},
        {"id": "x-2", "created_at": ["2026-07-01T10:00:00Z"], "updated_at": 5, "priority": "3", "type": "bug",
         "labels": ["a", 1, True], "status": " in_progress "},
        {"id": "x-3", "created_at": "2026-07-01T10:00:00+02:00", "priority": 1 << 70, "issue_type": ""},
    ]
    beads, warns = decode_beads(rows + odd, "beads", "beads.json")
    assert warns == [] and beads == [decode_bead(r) for r in rows + odd]
    assert beads[-3].created_at == beads[-1].created_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("line", [
    b'{"a":1,"b":[1,2,{"c":null}],"d":"\xc3\xa9\\u00e9"}',
    b'{"a":1}   ',
    b'{"a":1}\t\r',
    b'{"a":1} {"b":2}',
    b'{"a":1}x',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":',
    b'{"a" 1}',
    b'{"a":"\xff"}',
    b'{"a":"\xed\xa0\x80"}',
    b'{"a":' + b"[" * 70 + b"]" * 70 + b"}",
    b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"":{"":{"":1}}}',
])
def test_a_json_object_line_decodes_as_its_text_does(line: bytes) -> None:
    """load_json takes bytes that open an object by a shorter path (a trace segment's lines):
    it must answer what the same text answers on the general path, value or error."""
    try:
        text = line.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as e:
        with pytest.raises(UnicodeDecodeError) as got:
            load_json(line)
        assert str(got.value) == str(e)
        return

    def outcome(raw: bytes | str) -> tuple[str, object]:
        try:
            return "value", load_json(raw)
        except ValueError as e:
            return "error", f"{type(e).__name__}: {e}"

    assert outcome(line) == outcome(text)
