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


def test_a_fresh_create_claims_no_owner_so_another_beads_agent_name_defers_its_alias_whatever_it_is():
    """createPoolSessionBeadWithGuardedAlias checks the alias with EnsureAliasAvailableWithConfig,
    which passes no owner: an open bead already carrying the identity as its agent_name blocks it,
    whatever the identity is called (an owner equal to it would let that agent_name pass)."""
    for name in ("worker", "XXXX"):
        agent = Agent(name=name, max_active_sessions=1)
        ctx = BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[agent]), World(T0), "current", [])
        ctx.store.create_session({B.TEMPLATE: name, B.AGENT_NAME: name, B.SESSION_NAME: "held"}, T0, bead_id="gc-h")
        bead, why, err = create_pool_bead(ctx, agent, name, 0, "")
        assert not err and bead is not None and not bead.alias, name
        assert [(w.rule, w.detail) for w in why] == [
            ("alias.deferred", f"{name} unavailable at create: held by gc-h (agent_name)")], name


# ---------------------------------------------------------------- a refused create

from core.desired.budget import CreateBudget  # noqa: E402
from core.desired.entries import Request  # noqa: E402
from core.desired.realize import realize_template  # noqa: E402


def _refused_then_resumed(refuse: str) -> BuildContext:
    """Two resumes of one template: the first names a failed-create bead, so it falls through to
    a fresh create, which is refused (`refuse`: the demand read was partial, or no create token is
    left); the second resumes a bead whose identity names no slot, so it claims the lowest free.
    That bead holds the second request's work, so the first request cannot reuse it."""
    ctx = _ctx()
    ctx.store.create_session({B.TEMPLATE: "worker", B.SESSION_NAME: "worker-gc-f", B.STATE: "failed-create"}, T0,
                             bead_id="gc-f")
    ctx.store.create_session({B.TEMPLATE: "worker", B.SESSION_NAME: "worker-gc-b", B.STATE: "awake"}, T0,
                             bead_id="gc-b")
    budget = CreateBudget(0)
    if refuse == "partial":
        ctx.result.partial_templates.add("worker")
    else:
        budget = CreateBudget(1)
        assert budget.try_claim("other")  # the tick's only token is gone
    realize_template(ctx, WORKER, [Request("worker", "resume", "gc-f", "w-1"),
                                   Request("worker", "resume", "gc-b", "w-2")], {"gc-b"}, budget)
    return ctx


def test_a_refused_fresh_create_gives_its_slot_back_to_the_next_request():
    """selectOrPlanPoolSessionBead claims the lowest free slot before the partial-read and budget
    gates and deletes it from usedSlots when either refuses, so the next request of the template
    can claim slot 1 (TestRealizePoolDesiredSessionsLimitsFreshCreatesToWakeBudget's gate)."""
    for refuse in ("partial", "budget"):
        ctx = _refused_then_resumed(refuse)
        (entry,) = ctx.result.entries.values()
        assert (entry.bead_id, entry.pool_slot, entry.identity) == ("gc-b", 1, "worker-1"), refuse


def test_a_refused_fresh_create_says_which_gate_refused_it():
    """realizePoolDesiredSessions logs a refused create with the error and the gate's consequence:
    a partial demand read blocks fresh creates, a spent budget defers them."""
    assert ('buildDesiredState: pool "worker" request: pool session create skipped: demand read partial '
            '(partial demand read, fresh create blocked)') in _refused_then_resumed("partial").result.logs
    assert ('buildDesiredState: pool "worker" request: pool session create budget exhausted (fresh create deferred)'
            in _refused_then_resumed("budget").result.logs)
