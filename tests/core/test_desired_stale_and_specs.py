"""Which canonical-singleton bead is stale (staleNonExpandingPoolSessionBeadInfo), which named spec
an assignee names (FindNamedSessionSpec), and the alias-deferral record (recordDeferred...)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent, City, NamedSession
from core.desired.alias import defer_changes, in_deferred_state
from core.desired.context import BuildContext
from core.desired.realize import bead_stale_suffixed
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
MAYOR = Agent(name="mayor", dir="town", max_active_sessions=1)
POOL = Agent(name="mayor", dir="town", max_active_sessions=3)


def ctx_of(*agents: Agent, named=(), semantics="current") -> BuildContext:
    city = City(root="/c", path="/c/city.toml", agents=list(agents), named_sessions=list(named))
    return BuildContext(city, World(T0), semantics, [])


@pytest.mark.parametrize("md, title, labels, stale", [
    ({"template": "town/mayor", "agent_name": "town/mayor"}, "", (), False),
    ({"template": "town/mayor", "agent_name": "town/mayor-1"}, "", (), True),
    ({"template": "town/mayor", "alias": "mayor-2"}, "", (), True),
    ({"template": "town/mayor"}, "town/mayor-3", (), True),
    ({"template": "town/mayor"}, "", ("agent:town/mayor-1",), True),
    ({"template": "town/mayor"}, "", ("agent: town/mayor-1 ",), True),
    ({"template": "town/mayor"}, "", ("template:town/mayor-1",), False),
    # every agent: label counts, not only the one agent_name falls back to
    ({"template": "town/mayor", "agent_name": "town/mayor"}, "", ("agent:town/mayor-1",), True),
    ({"template": "town/mayor", "agent_name": "town/mayor"}, "", ("agent:town/mayor",), False),
    # ephemeral origin without pool markers is legacy-manual only for a multi-session template
    ({"template": "town/mayor", "agent_name": "town/mayor-1", "session_origin": "ephemeral"}, "", (), True),
    ({"template": "town/mayor", "pool_slot": " 1 "}, "", (), True),
    ({"template": "town/mayor", "pool_slot": "  "}, "", (), False),
    ({"template": "town/mayor", "agent_name": "town/mayor-1", "session_origin": "manual"}, "", (), False),
])
def test_a_stale_singleton_bead(md, title, labels, stale):
    b = SessionBead("b", T0, md, True, title, frozenset(labels))
    assert bead_stale_suffixed(ctx_of(MAYOR), MAYOR, b) is stale
    assert bead_stale_suffixed(ctx_of(POOL), POOL, b) is False            # not a canonical singleton
    assert bead_stale_suffixed(ctx_of(MAYOR, semantics="pre-2053"), MAYOR, b) is False


def test_named_spec_by_identity_and_by_a_unique_binding_bare_name():
    w = Agent(name="worker", dir="rig", binding="gt")
    boss = NamedSession(template="worker", dir="rig", binding="gt", name="boss")
    ctx = ctx_of(w, MAYOR, named=[boss, NamedSession(template="mayor", dir="town")])
    assert ctx.named_spec("rig/gt.boss") == (boss, w)
    assert ctx.named_spec(" rig/gt.boss/ ") == (boss, w)
    assert ctx.named_spec("rig/gt.boss//") is None   # NormalizeNamedSessionTarget trims one trailing slash
    assert ctx.named_spec("town/mayor")[1] is MAYOR
    assert ctx.named_spec("") is None and ctx.named_spec("nobody") is None
    bare = ctx_of(w, named=[NamedSession(template="worker", dir="rig", binding="gt", name="boss")])
    assert bare.named_spec("boss")[0].name == "boss"
    assert bare.named_spec("x.boss") is None
    two = ctx_of(w, named=[NamedSession(template="worker", dir="rig", binding="gt", name="boss"),
                           NamedSession(template="worker", dir="rig", binding="gu", name="boss")])
    assert two.named_spec("boss") is None                                  # ambiguous bare name
    orphan = ctx_of(named=[NamedSession(template="ghost", name="boss")])
    assert orphan.named_spec("boss") is None                               # no backing agent


def test_defer_changes_and_the_deferred_state():
    now = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)
    b = SessionBead("b", T0, {"alias": "mayor-1", "alias_history": "mayor-0", "pool_alias_conflict_count": "2"})
    assert defer_changes(b, "mayor", now) == {
        "pool_alias_conflict": "mayor", "pool_alias_conflict_count": "3",
        "pool_alias_conflict_at": "2026-05-04T12:30:00Z", "alias": "", "alias_history": "mayor-1,mayor-0"}  # newest first
    assert defer_changes(SessionBead("b", T0, {"pool_alias_conflict_count": "x"}), "mayor", now) == {
        "pool_alias_conflict": "mayor", "pool_alias_conflict_count": "1", "pool_alias_conflict_at": "2026-05-04T12:30:00Z"}
    assert not in_deferred_state(SessionBead("b", T0, {"alias": "a", "pool_alias_conflict": "a"}))
    assert in_deferred_state(SessionBead("b", T0, {"pool_alias_conflict": "a"}))
    assert in_deferred_state(SessionBead("b", T0, {"pending_create_claim": "true"}))
    assert in_deferred_state(SessionBead("b", T0, {"state": "creating"}))
    assert in_deferred_state(SessionBead("b", T0, {"state": "start-pending"}))
    assert not in_deferred_state(SessionBead("b", T0, {"state": "awake"}))
