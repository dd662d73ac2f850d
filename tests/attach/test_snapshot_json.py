"""The attach snapshot's JSON form, pinned key for key and in order: a full snapshot of a live
city directory (open and closed session beads, a tmux listing with a zombie, a stray session and
signal keys, holds, a quarantine, an alias conflict and a circuit, events, the trace's head,
last cycle and decisions, drift, alarms and warnings) and of a city read through a supervisor's
API (its own `city` and `sources` keys). The golden files are what `citywatch attach --json`
printed for these cities before the snapshot became typed records; `to_json()` must keep them.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from citykit import NOW, beads_json, build_city
from supervisorkit import Supervisor, fixture_city

from core.attach.api.client import ApiTarget
from core.attach.api.session import ApiAttachSession
from core.attach.api.stream import Backoff
from core.attach.session import AttachOptions, AttachSession

GOLDEN = Path(__file__).parent / "golden"
EDIT = {"gc-1": {"quarantined_until": "2026-06-01T13:00:00Z", "held_until": "2026-06-01T11:00:00Z",
                 "wait_hold": "true", "pin_awake": "true", "session_circuit_state": "open"},
        "gc-2": {"held_until": "not a time"}}
# A tmux that lists three sessions: a linked worker with a drain signal, a linked mayor whose
# panes are all dead, and a session no bead claims.
FAKE_TMUX = """#!/bin/sh
case "$3" in
list-sessions) printf 'worker-gc-1\\t$1\\t1780304400\\t0\\t1780311600\\t\\t1\\nmayor\\t$2\\t1780304400\\t1\\t1780311000\\t\\t1\\nstray\\t$3\\t1780304400\\t0\\t0\\t\\t1\\n';;
list-panes) printf 'worker-gc-1\\t0\\tclaude\\t11\\nmayor\\t1\\tclaude\\t12\\nstray\\t0\\tbash\\t13\\n';;
show-environment) case "$5" in
  =worker-gc-1) printf 'GC_SESSION_ID=gc-1\\nGC_TEMPLATE=fixture/worker\\nGC_DRAIN=1\\n-GC_OLD\\n';;
  =mayor) printf 'GC_SESSION_ID=gc-4\\nGC_TEMPLATE=mayor\\n';;
  esac;;
esac
"""


def file_session(tmp_path: Path) -> tuple[AttachSession, Path]:
    """The live city, attached with the fake tmux; the beads file's mtime is fixed (it is shown)."""
    kit = build_city(tmp_path, traced_path="/srv/fixture")
    kit.write(".gc/beads.json", beads_json(edit=EDIT))
    stamp = NOW.timestamp() - 600
    os.utime(kit.root / ".gc" / "beads.json", (stamp, stamp))
    tmux = tmp_path / "bin" / "tmux"
    tmux.parent.mkdir()
    tmux.write_text(FAKE_TMUX)
    tmux.chmod(0o755)
    opts = AttachOptions(tmux=str(tmux), tmux_socket=str(tmp_path / "sock"), clock=lambda: NOW)
    return AttachSession.open(str(kit.root), opts), kit.root


def api_session(sup: Supervisor) -> ApiAttachSession:
    return ApiAttachSession.open(ApiTarget(sup.url, timeout=5), "fixture", AttachOptions(clock=lambda: NOW),
                                 stream=False, backoff=Backoff(initial=0.02, factor=2.0, maximum=0.2, jitter=0.0),
                                 rng=random.Random(1))


def printed(doc: dict, **places: str) -> str:
    """The JSON as attach prints it (keys in the snapshot's order), with the test's own
    directories and URL named by placeholders."""
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    for name, value in places.items():
        text = text.replace(value, f"<{name}>")
    return text


def test_a_file_attach_snapshot_prints_its_pinned_json(tmp_path: Path) -> None:
    s, root = file_session(tmp_path)
    try:
        snap = s.snapshot()
    finally:
        s.close()
    assert [r.name for r in snap.runtime] == ["mayor", "stray", "worker-gc-1"]  # the fake tmux was listed
    got = printed(snap.to_json(), CITY=str(root), TMP=str(tmp_path))
    assert got == (GOLDEN / "file_snapshot.json").read_text()


def test_an_api_attach_snapshot_prints_its_pinned_json(tmp_path: Path) -> None:
    with Supervisor([fixture_city()], tmp_path) as sup:
        s = api_session(sup)
        try:
            snap = s.snapshot()
        finally:
            s.close()
        got = printed(snap.to_json(), URL=sup.url)
    assert snap.sources.api is not None and snap.city.bead_source == "api"
    assert got == (GOLDEN / "api_snapshot.json").read_text()


def test_live_input_rows_keep_what_was_written_absent_null_or_odd() -> None:
    """Events and trace decisions are live input: an absent key stays absent (an event) or reads
    "" (a decision), a null stays null, a value of an odd type is shown as written."""
    from core.attach.snapshot import EventRow
    from core.attach.trace_view import decision_row

    ev = EventRow.of({"payload": {"a": 1}, "seq": "7", "actor": None, "extra": True, "type": "session.woke"})
    assert json.dumps(ev.to_json()) == '{"seq": "7", "type": "session.woke", "actor": null, "payload": {"a": 1}}'
    d = decision_row({"seq": 3, "site_code": "reconciler.pool.accept", "fields": None, "template": 5})
    assert list(d.to_json()) == ["seq", "tick_id", "trace_id", "ts", "site_code", "reason_code", "outcome_code",
                                 "template", "session_name", "trace_mode", "fields"]
    assert (d.seq, d.tick_id, d.template, d.fields) == (3, "", 5, {})
