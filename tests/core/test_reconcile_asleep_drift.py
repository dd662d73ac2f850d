"""The asleep named-session drift repair of reconcileSessionBeads (cmd/gc/session_reconciler.go):
a named session that is not alive and whose started_config_hash differs from the agent's
runtime.CoreFingerprint is repaired in place, resetConfiguredNamedSessionForConfigDriftInfo with
alive=false and state "asleep" (nothing is stopped, the conversation key is replaced), and the
tick records repair_in_place; a legacy or other-version hash is only rebaselined
(silentRebaselineSessionHashes, its stderr line and the rebaselined_* outcome). No template, no
stored hash, no configured agent or a current hash leaves the bead to the rest of the tick."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile import hashes
from core.reconcile.config_drift import asleep_named_drift
from core.reconcile.context import TickContext
from core.reconcile.session_key import fresh_session_key
from core.world.runtime import RuntimeSession
from core.world.world import World

MAYOR = Agent(name="mayor")
CURRENT = hashes.core_hash(MAYOR)
ENTRY = DesiredEntry("mayor", "mayor", "mayor", "mayor", 0, "named", named_identity="mayor")
SITE = "reconciler.session.config_drift"


def setup(stored: str = "v5:old", *, zombie: bool = False, **md: str) -> TickContext:
    """A tick over asleep named bead gc-1 (session `mayor`) started with core hash `stored`;
    `zombie` leaves its pane listed with the agent process dead."""
    world = World()
    if zombie:
        world.runtime.sessions = world.runtime.sessions.set(
            "mayor", RuntimeSession("mayor", session_id="gc-1", process_alive=False))
    fields = {"session_name": "mayor", "template": "mayor", "session_origin": "named", "state": "asleep",
              "session_key": "k-1", "started_config_hash": stored, "started_live_hash": "v5:live", **md}
    world.store.put_session(session_bead("gc-1", **fields), "create")
    return TickContext(make_city(MAYOR), world, "current", Outcome())


def decisions(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in ctx.out.trace]


def test_a_drifted_asleep_named_session_is_repaired_in_place_and_nothing_is_stopped():
    ctx = setup(zombie=True)
    assert asleep_named_drift(ctx, ctx.store.session("gc-1"), ENTRY) is True
    b = ctx.store.session("gc-1")
    assert (b.state, b.get("started_config_hash"), b.get("started_live_hash"), b.get("pending_create_claim"),
            b.get("continuation_reset_pending")) == ("asleep", "", "", "", "true")
    # ConfigDriftResetPatch's fresh conversation key (the model's is derived from bead and time)
    assert b.get("session_key") == fresh_session_key("gc-1", ctx.now) != "k-1"
    assert decisions(ctx) == [(SITE, "config_drift", "repair_in_place", "mayor", "mayor",
                               {"stored_hash": "v5:old", "current_hash": CURRENT})]
    # the dead pane is the reconciler's to clean up elsewhere: the repair stops nothing
    assert ctx.rt.get("mayor") is not None and ctx.out.actions == []


def test_the_template_falls_back_to_the_beads_when_the_entry_has_none():
    ctx = setup()
    entry = DesiredEntry("mayor", "", "mayor", "mayor", 0, "named", named_identity="mayor")
    assert asleep_named_drift(ctx, ctx.store.session("gc-1"), entry) is True
    assert [t.outcome_code for t in ctx.out.trace] == ["repair_in_place"]


def test_the_entrys_template_is_used_when_the_bead_carries_none():
    ctx = setup(template="")
    assert asleep_named_drift(ctx, ctx.store.session("gc-1"), ENTRY) is True
    assert decisions(ctx)[0][2:4] == ("repair_in_place", "mayor")


@pytest.mark.parametrize(("stored", "template"), [
    (CURRENT, "mayor"),  # no drift
    ("", "mayor"),  # never started with a hash
    ("v5:old", "ghost"),  # no configured agent
])
def test_without_a_drift_the_bead_is_left_alone(stored, template):
    ctx = setup(stored, template=template)
    entry = DesiredEntry("mayor", template, "mayor", "mayor", 0, "named", named_identity="mayor")
    before = ctx.store.session("gc-1")
    assert asleep_named_drift(ctx, before, entry) is False
    assert ctx.store.session("gc-1").metadata == before.metadata
    assert (ctx.out.trace, ctx.out.logs) == ([], [])


def test_no_template_at_all_is_left_alone():
    ctx = setup(template="")
    entry = DesiredEntry("mayor", "", "mayor", "mayor", 0, "named", named_identity="mayor")
    assert asleep_named_drift(ctx, ctx.store.session("gc-1"), entry) is False
    assert ctx.out.trace == []


@pytest.mark.parametrize(("stored", "outcome"), [
    ("0123abcd0123abcd0123", "rebaselined_unversioned"),
    ("v4:0123abcd0123abcd0123", "rebaselined_version_mismatch"),
])
def test_a_legacy_hash_is_rebaselined_and_the_conversation_kept(stored, outcome):
    ctx = setup(stored)
    assert asleep_named_drift(ctx, ctx.store.session("gc-1"), ENTRY) is True
    b = ctx.store.session("gc-1")
    live = hashes.live_hash(MAYOR)
    assert (b.state, b.get("session_key"), b.get("started_config_hash"), b.get("started_live_hash")) == \
        ("asleep", "k-1", CURRENT, live)
    assert decisions(ctx) == [(SITE, "config_drift", outcome, "mayor", "mayor",
                               {"stored_hash": stored, "current_hash": CURRENT})]
    assert ctx.out.logs == [f"rebaselined legacy hash for mayor (stored={hashes.truncate_for_log(stored)} "
                            f"current={hashes.truncate_for_log(CURRENT)})"]
