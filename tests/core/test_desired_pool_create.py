"""What a freshly minted pool bead carries (createPoolSessionBeadWithGuardedAlias with
poolTriggerMetadata): the work bead that triggered it and that bead's store only when known, an
instance token of its own, and why its alias was deferred when a configured named session
reserves it."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City, NamedSession
from core.desired.context import BuildContext
from core.desired.realize import create_pool_bead
from core.world import beads as B
from core.world.world import World

T0 = datetime(2026, 7, 19, 12, tzinfo=UTC)
WORKER = Agent(name="worker", max_active_sessions=4)


def _ctx(**city: object) -> BuildContext:
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[WORKER], **city), World(T0), "current", [])


def test_a_triggered_create_records_the_work_bead_and_its_store_only_when_given():
    ctx = _ctx()
    bead, _, err = create_pool_bead(ctx, WORKER, "worker-1", 1, "w-7", trigger_store="rig:alpha")
    assert not err and bead is not None
    assert (bead.get(B.TRIGGER_BEAD_ID), bead.get(B.TRIGGER_BEAD_STORE_REF)) == ("w-7", "rig:alpha")
    bare, _, _ = create_pool_bead(ctx, WORKER, "worker-2", 2, "w-8")
    assert bare is not None and bare.get(B.TRIGGER_BEAD_ID) == "w-8"
    assert B.TRIGGER_BEAD_STORE_REF not in bare.metadata   # no store ref without a known store


def test_each_new_pool_bead_gets_its_own_instance_token():
    """Gas City draws a fresh random token per create; two beads never share one."""
    ctx = _ctx()
    first, _, _ = create_pool_bead(ctx, WORKER, "worker-1", 1, "")
    second, _, _ = create_pool_bead(ctx, WORKER, "worker-2", 2, "")
    assert first is not None and second is not None
    assert first.get(B.INSTANCE_TOKEN) and first.get(B.INSTANCE_TOKEN) != second.get(B.INSTANCE_TOKEN)


def test_an_alias_reserved_by_a_configured_named_session_is_deferred_naming_the_reservation():
    ctx = _ctx(named_sessions=[NamedSession(template="worker", name="worker-1")])
    bead, why, _ = create_pool_bead(ctx, WORKER, "worker-1", 1, "")
    assert bead is not None and not bead.alias
    assert [(w.rule, w.detail) for w in why] == [
        ("alias.deferred", "worker-1 unavailable at create: held by a configured [[named_session]] (reserved)")]
