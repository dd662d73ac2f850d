"""The warning syncSessionBeads' close pass (cmd/gc/session_beads.go) writes before closing an
orphaned bead of a still-configured agent that no [[named_session]] declares. Gas City skips it
only for a bead whose origin is ephemeral (isEphemeralSessionBead, session_origin.go), not for
every bead carrying a pool marker: an explicit non-ephemeral origin wins over a pool_slot."""

from __future__ import annotations

from factories import scenario_model

CITY = """name = "plain"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker-old"
template = " worker "
state = "asleep"
{meta}"""
WARNING = ("session beads: plain template session gc-1 (worker) is no longer controller-managed; "
           "declare [[named_session]] to keep a canonical alias-backed session")


def close_pass(tmp_path, meta: str):
    m = scenario_model(tmp_path, CITY.format(meta=meta))
    out = m.do({"do": "sync", "close": True})
    assert [(a.kind, a.bead_id, a.reason) for a in out.actions] == [("close", "gc-1", "orphaned")]
    return out.logs


def test_a_pool_slot_under_a_non_ephemeral_origin_still_warns(tmp_path):
    # sessionOrigin returns the explicit origin ("named") before looking at pool_slot, so the
    # bead is not ephemeral and Gas City warns; the template is trimmed for the lookup and line
    assert WARNING in close_pass(tmp_path, 'session_origin = "named"\npool_slot = "1"\n')


def test_an_ephemeral_bead_is_closed_without_the_warning(tmp_path):
    # no explicit origin, pool_managed=true: sessionOrigin derives "ephemeral"
    assert not [line for line in close_pass(tmp_path, 'pool_managed = "true"\n') if "plain template" in line]
