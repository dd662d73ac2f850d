"""recoverRunningPendingCreate (session_lifecycle_parallel.go): a claimed bead whose runtime is
already up and ours is committed without a Start. Heal has made it `awake` by then, so the commit
re-confirms it (active, creation_complete) without opening a new awake interval: awake_started_at
(StartsAwakeInterval, only for a state that confirms a pending start) is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import scenario_model

from core.outcome import Outcome
from core.reconcile import hashes
from core.reconcile.commit import recover_running_pending_create
from core.reconcile.context import TickContext

R29 = Path(__file__).parent.parent / "scenarios" / "reconcile" / "R29-live-pending-create-healed.toml"


@pytest.mark.parametrize("awake_started_at", ["", "2026-03-08T11:59:30Z"])
def test_a_live_pending_create_is_committed_and_keeps_its_awake_interval(tmp_path, awake_started_at):
    text = R29.read_text().replace('state = "creating"\n',
                                   f'state = "creating"\nawake_started_at = "{awake_started_at}"\n')
    m = scenario_model(tmp_path, text, "r29.toml")
    out = m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    keys = ("state", "state_reason", "pending_create_claim", "pending_create_started_at", "awake_started_at")
    assert {k: b.get(k) for k in keys} == {"state": "active", "state_reason": "creation_complete",
                                          "pending_create_claim": "", "pending_create_started_at": "",
                                          "awake_started_at": awake_started_at}
    healed = [(t.site_code, t.outcome_code, t.template, t.session_name) for t in out.trace
              if t.reason_code == "pending_create_healed"]
    assert healed == [("reconciler.session.rollback_pending_create", "healed", "worker", "worker-gc-1")]
    # the commit records the hashes of the agent as configured now (CommitStartedPatch's CoreHash)
    assert b.get("started_config_hash") == hashes.core_hash(m.city.agents[0])


@pytest.mark.parametrize(("state", "confirmed", "new_interval"), [
    ("creating", True, True), ("start-pending", True, True), ("asleep", True, True), ("drained", True, True),
    ("", True, True), ("awake", True, False), ("active", False, False), ("draining", False, False)])
def test_which_states_the_recovery_confirms_and_opens_an_interval_from(tmp_path, state, confirmed, new_interval):
    m = scenario_model(tmp_path, R29.read_text(), "r29.toml")
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    m.world.store.update_session("gc-1", {"state": state, "state_reason": "x", "awake_started_at": "old"})
    b = recover_running_pending_create(ctx, m.world.store.session("gc-1"), "worker")
    assert (b.get("state"), b.get("state_reason")) == (("active", "creation_complete") if confirmed else (state, "x"))
    assert b.get("awake_started_at") == ("2026-03-08T12:00:00Z" if new_interval else "old")
    assert b.get("pending_create_claim") == ""
