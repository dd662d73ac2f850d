"""A create or a singleton normalization whose alias is held: exactly what the build writes and
reports (createPoolSessionBead, the singleton normalization's deferral with its backoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.scenario.file import load_scenario

CITY = '''name = "held aliases"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 2
scale_check = "printf 1"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
scale_check = "printf 1"
[scale_check]
worker = 1
mayor = 1
[[session]]
id = "gc-m"
[session.metadata]
template = "manual"
session_name = "hand"
alias = "worker-1"
state = "awake"
session_origin = "manual"
manual_session = "true"
[[session]]
id = "gc-h"
[session.metadata]
template = "manual"
session_name = "hand2"
alias = "mayor"
state = "awake"
session_origin = "manual"
manual_session = "true"
[[session]]
id = "gc-s"
[session.metadata]
template = "mayor"
session_name = "mayor-gc-s"
agent_name = "mayor-1"
alias = "mayor-1"
pool_slot = "1"
pool_managed = "true"
session_origin = "ephemeral"
state = "awake"
[[work]]
id = "w-1"
status = "in_progress"
assignee = "gc-s"
'''


def model(tmp_path: Path):
    p = tmp_path / "held.toml"
    p.write_text(CITY)
    return load_scenario(str(p)).model()


def test_a_create_whose_alias_is_held_is_written_without_it(tmp_path):
    m = model(tmp_path)
    out = m.do({"do": "build"})
    acts = [a.to_json() for a in out.actions if a.bead_id == "gc-1"]
    assert acts == [
        {"kind": "create_bead", "bead_id": "gc-1", "session_name": "worker-gc-1", "reason": "pool-demand",
         "detail": "worker-1", "template": "worker"},
        {"kind": "defer_alias", "bead_id": "gc-1", "session_name": "worker-gc-1", "reason": "alias-unavailable",
         "detail": "worker-1", "template": "worker"}]
    md = dict(m.world.store.session("gc-1").metadata)
    assert md.pop("instance_token").startswith("tok-")
    assert md == {"template": "worker", "agent_name": "worker-1", "session_name": "worker-gc-1",
                  "state": "start-pending", "pending_create_claim": "true",
                  "pending_create_started_at": "2026-07-19T12:00:00Z", "session_origin": "ephemeral",
                  "pool_managed": "true", "generation": "1", "continuation_epoch": "1",
                  "canonical_instance_name": "worker-1", "pool_slot": "1", "canonical_pool_slot": "1"}
    e = out.desired.entries["worker-gc-1"]
    assert (e.identity, e.alias, e.source) == ("worker-1", "", "new")
    assert (e.why[-1].rule, e.why[-1].detail) == ("alias.deferred", "worker-1 unavailable at create: held by gc-m (alias)")
    # Gas City writes no line for a create without its alias: the deferral is in the action and
    # the entry's why, not in the controller's log
    assert not [line for line in out.logs if "worker-1" in line]


def test_a_singleton_normalization_waits_for_its_alias_with_backoff(tmp_path):
    m = model(tmp_path)
    out = m.do({"do": "build"})
    assert [a.to_json() for a in out.actions if a.bead_id == "gc-s"] == [
        {"kind": "defer_alias", "bead_id": "gc-s", "session_name": "mayor-gc-s", "reason": "alias-held",
         "detail": "mayor held by gc-h (alias)", "template": "mayor"}]
    md = m.world.store.session("gc-s").metadata
    assert {k: md.get(k, "") for k in ("agent_name", "alias", "pool_slot", "pool_alias_conflict",
                                       "pool_alias_conflict_count", "pool_alias_conflict_at", "alias_history",
                                       "gc.trigger_bead_id")} == {
        "agent_name": "mayor-1", "alias": "", "pool_slot": "1", "pool_alias_conflict": "mayor",
        "pool_alias_conflict_count": "1", "pool_alias_conflict_at": "2026-07-19T12:00:00Z",
        "alias_history": "mayor-1", "gc.trigger_bead_id": "w-1"}
    e = out.desired.entries["mayor-gc-s"]
    assert (e.identity, e.source) == ("mayor", "resume")
    assert [(w.rule, w.detail) for w in e.why[2:]] == [
        ("slot.canonical", "canonical singletons never take a slot (pool_slot stays empty)"),
        ("alias.deferred", "mayor is held by gc-h (alias); retried with backoff")]
    assert ('buildDesiredState: pool "mayor": deferring singleton pool identity normalization for bead gc-s: '
            'normalizing singleton pool identity for bead gc-s to "mayor": session alias already exists: "mayor" '
            'already belongs to gc-h') in out.logs

    again = m.do({"do": "build"})  # inside the backoff window: nothing is written or reported
    assert not [a for a in again.actions if a.bead_id == "gc-s"]
    assert m.world.store.session("gc-s").get("pool_alias_conflict_count") == "1"
    assert (again.desired.entries["mayor-gc-s"].why[-1].rule, again.desired.entries["mayor-gc-s"].why[-1].detail) == (
        "alias.backoff", "last attempt 2026-07-19T12:00:00Z (count 1) is inside the backoff window: nothing written")

    m.world.advance(timedelta(hours=1).total_seconds())
    later = m.do({"do": "build"})
    assert [a.reason for a in later.actions if a.bead_id == "gc-s"] == ["alias-held"]
    md = m.world.store.session("gc-s").metadata
    assert (md["pool_alias_conflict_count"], md["pool_alias_conflict_at"]) == ("2", "2026-07-19T13:00:00Z")


def test_an_unreadable_or_negative_conflict_count_reads_as_zero(tmp_path):
    for text in ("junk", "-2"):
        m = model(tmp_path)
        m.world.store.update_session("gc-s", {"pool_alias_conflict": "mayor", "pool_alias_conflict_count": text,
                                              "pool_alias_conflict_at": "2026-07-19T12:00:00Z"})
        out = m.do({"do": "build"})
        last = out.desired.entries["mayor-gc-s"].why[-1]
        assert (last.rule, last.detail) == (
            "alias.backoff", "last attempt 2026-07-19T12:00:00Z (count 0) is inside the backoff window: nothing written")


def test_a_deferral_moves_the_old_alias_to_the_front_of_its_history_whatever_its_name():
    """UpdatedAliasMetadata with an empty new alias: every old alias is kept (newest first, no
    repeats); only the new alias, which is empty, would be left out."""
    from core.desired.alias import defer_changes
    from core.world.beads import SessionBead

    t = datetime(2026, 7, 19, 12, tzinfo=UTC)
    for old in ("mayor-1", "XXXX", "x"):
        b = SessionBead("gc-s", t, {"alias": old, "alias_history": f"older,{old},oldest"})
        ch = defer_changes(b, "mayor", t)
        assert (ch["alias"], ch["alias_history"]) == ("", f"{old},older,oldest")
        assert (ch["pool_alias_conflict"], ch["pool_alias_conflict_count"]) == ("mayor", "1")


def test_a_fresh_create_checks_its_alias_against_every_open_bead_whatever_its_id(tmp_path):
    """The new bead has no id yet when its alias is checked (Gas City passes no self id), so no
    existing bead is passed over as the bead itself."""
    for holder in ("gc-m", "XXXX"):
        p = tmp_path / f"{holder}.toml"
        p.write_text(CITY.replace('id = "gc-m"', f'id = "{holder}"'))
        out = load_scenario(str(p)).model().do({"do": "build"})
        assert [(a.kind, a.detail) for a in out.actions if a.bead_id == "gc-1"] == [
            ("create_bead", "worker-1"), ("defer_alias", "worker-1")], holder
        assert out.desired.entries["worker-gc-1"].why[-1].detail == \
            f"worker-1 unavailable at create: held by {holder} (alias)"


def test_each_created_bead_gets_its_own_instance_token(tmp_path):
    p = tmp_path / "two.toml"
    p.write_text(CITY.replace("[scale_check]\nworker = 1", "[scale_check]\nworker = 2"))
    m = load_scenario(str(p)).model()
    m.do({"do": "build"})
    tokens = {bid: m.world.store.session(bid).get("instance_token") for bid in ("gc-1", "gc-2")}
    assert all(t.startswith("tok-") for t in tokens.values())
    assert tokens["gc-1"] != tokens["gc-2"]
