"""The session bead syncSessionBeads (cmd/gc/session_beads.go) creates for a desired entry no
open bead holds: its identity metadata (desiredSessionIdentity), its state from
syncSessionCachedState (`active` when the runtime IsRunning, else start-pending with a create
claim), a pool instance's session name derived from the new bead's id (PoolSessionName), and the
managed alias only when ensureSessionAliasAvailable lets the create owner have it
(EnsureAliasAvailableWithConfigForOwner(store, cfg, managedAlias, "", managedAlias))."""

from __future__ import annotations

from factories import T0, make_city, session_bead

from core.config.city_config import Agent, NamedSession
from core.desired.entries import DesiredEntry
from core.desired.realize import instance_token
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import sync_entry
from core.world.runtime import RuntimeSession
from core.world.world import World

WORKER = Agent(name="worker", max_active_sessions=3, wake_mode="fresh", provider="claude")
MAYOR = Agent(name="mayor", max_active_sessions=1)


def tick_ctx(*beads, runtime: RuntimeSession | None = None) -> TickContext:
    world = World()
    world.now = T0
    for b in beads:
        world.store.put_session(b)
    if runtime is not None:
        world.runtime.sessions = world.runtime.sessions.set(runtime.name, runtime)
    city = make_city(WORKER, MAYOR, named=[NamedSession(template="mayor", mode="always")])
    return TickContext(city, world, "current", Outcome())


def pool_entry(**fields) -> DesiredEntry:
    base = dict(session_name="worker-1", template="worker", identity="worker-1", alias="worker-1", pool_slot=1,
                source="new")
    return DesiredEntry(**{**base, **fields})


def named_entry() -> DesiredEntry:
    return DesiredEntry(session_name="mayor", template="mayor", identity="mayor", alias="mayor", pool_slot=0,
                        source="named-always", named_identity="mayor", named_mode="always")


def test_a_pool_instance_is_created_start_pending_under_the_pool_name_of_its_own_id():
    """desiredSessionIdentity (generation 1, continuation epoch 1, the slot as pool_slot and
    canonical_pool_slot), start-pending with pending_create_claim and its stamp, pool_managed for
    an ephemeral origin, dependency_only, wake_mode and the resolved provider's keys; the session
    name is PoolSessionName(template, bead id), the title and agent label the agent name."""
    ctx = tick_ctx()
    e = pool_entry(dependency_only=True)
    sync_entry(ctx, e, set())
    b = ctx.store.session("gc-1")
    stamp = "2026-05-16T12:00:00Z"
    launch = {k: v for k, v in b.metadata.items()
              if k in ("command", "provider", "provider_kind", "resume_flag", "resume_style", "resume_command")}
    assert launch.get("provider") == "claude"
    assert {k: v for k, v in b.metadata.items() if k not in launch} == {
        "state": "start-pending", "generation": "1", "continuation_epoch": "1",
        "instance_token": instance_token("gc-1", "1"), "agent_name": "worker-1",
        "canonical_instance_name": "worker-1", "session_origin": "ephemeral", "synced_at": stamp,
        "template": "worker", "session_name": "worker-gc-1", "wake_mode": "fresh", "pool_slot": "1",
        "canonical_pool_slot": "1", "pending_create_claim": "true", "pending_create_started_at": stamp,
        "dependency_only": "true", "pool_managed": "true", "alias": "worker-1"}
    assert b.get("instance_token") == instance_token("gc-1", "1") != instance_token("gc-1", "2")
    assert (b.title, b.labels) == ("worker-1", frozenset({"gc:session", "agent:worker-1"}))
    assert (e.bead_id, e.env) == ("gc-1", {"GC_SESSION_ID": "gc-1"})
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions] == [
        ("create_bead", "gc-1", "worker-gc-1", "sync", "worker-1", "worker")]
    assert ctx.out.logs == ["session beads: created gc-1 for worker-1 (start-pending)"]


def test_a_pool_instance_whose_slot_comes_from_its_name_is_a_pool_bead_too():
    """resolvePoolSlot reads slot 2 from worker-2 when the entry carries none: pool_slot and the
    pool session name follow."""
    ctx = tick_ctx()
    sync_entry(ctx, pool_entry(session_name="worker-2", identity="worker-2", alias="worker-2", pool_slot=0), set())
    b = ctx.store.session("gc-1")
    assert (b.session_name, b.get("pool_slot"), b.get("canonical_pool_slot"), b.agent_name) == \
        ("worker-gc-1", "2", "2", "worker-2")


def test_a_plain_entry_keeps_its_session_name_and_has_no_pool_keys():
    """A non-pool, non-named (manual) entry: its desired session name is the bead's, no slot,
    no pool_managed, no dependency_only, no wake_mode when the agent sets none."""
    ctx = tick_ctx()
    e = DesiredEntry(session_name="mayor-chat", template="mayor", identity="mayor", alias="", pool_slot=0,
                     source="manual", manual=True)
    sync_entry(ctx, e, set())
    b = ctx.store.session("gc-1")
    assert b.session_name == "mayor-chat"
    assert b.get("session_origin") == "manual"
    for k in ("pool_slot", "canonical_pool_slot", "pool_managed", "dependency_only", "wake_mode", "alias",
              "configured_named_session"):
        assert b.get(k) == "", k


def test_a_named_entry_whose_runtime_is_a_zombie_is_created_active_without_a_claim():
    """syncSessionCachedState asks only IsRunning: a pane whose agent process died still runs,
    so the new bead is `active` and carries no create claim."""
    ctx = tick_ctx(runtime=RuntimeSession("mayor", process_alive=False))
    e = named_entry()
    sync_entry(ctx, e, set())
    b = ctx.store.session("gc-1")
    assert (b.state, b.get("pending_create_claim"), b.get("pending_create_started_at")) == ("active", "", "")
    assert {k: b.get(k) for k in ("configured_named_session", "configured_named_identity",
                                  "configured_named_mode", "alias", "session_origin")} == {
        "configured_named_session": "true", "configured_named_identity": "mayor",
        "configured_named_mode": "always", "alias": "mayor", "session_origin": "named"}
    assert ctx.out.logs == ["session beads: created gc-1 for mayor (active)"]


def test_a_pool_alias_held_by_another_bead_is_left_off_the_new_bead():
    """ensureSessionAliasAvailable refuses the alias (another open bead holds it as its alias):
    the refusal is logged and the pool bead is created without it."""
    ctx = tick_ctx(session_bead("gc-7", session_name="other", alias="worker-1", template="worker"))
    sync_entry(ctx, pool_entry(), set())
    b = ctx.store.session("gc-1")
    assert b.open and b.alias == ""
    assert ctx.out.logs == [
        'session beads: alias "worker-1" for worker-1 unavailable: session alias already exists: "worker-1" '
        "already belongs to gc-7",
        "session beads: created gc-1 for worker-1 (start-pending)"]


def test_a_pool_create_owns_its_alias_against_a_bead_carrying_it_as_agent_name():
    """The create asserts the alias as its owner: a bead whose agent_name is that alias does not
    block it (the agent_name exception of ensureSessionAliasAvailable)."""
    ctx = tick_ctx(session_bead("gc-7", session_name="old", agent_name="worker-1", template="worker"))
    sync_entry(ctx, pool_entry(), set())
    assert ctx.store.session("gc-1").alias == "worker-1"


def test_a_plain_create_owns_its_alias_too():
    """The owner is the managed alias for every create, not only a pool or named one: a manual
    entry's alias held as another bead's agent_name, or reserved for a configured named session,
    is still claimed."""
    ctx = tick_ctx(session_bead("gc-7", session_name="old", agent_name="mayor", template="mayor"))
    e = DesiredEntry(session_name="mayor-chat", template="mayor", identity="mayor", alias="mayor", pool_slot=0,
                     source="manual", manual=True)
    sync_entry(ctx, e, {"mayor"})
    assert ctx.store.session("gc-1").alias == "mayor"


def test_a_named_create_stops_when_its_alias_is_taken():
    """For a configured named session the refused alias is the create's error: logged twice
    (the refusal, then `creating bead for`), no bead is written and the entry keeps no id."""
    ctx = tick_ctx(session_bead("gc-7", session_name="x", alias="mayor", template="worker"))
    e = named_entry()
    sync_entry(ctx, e, {"mayor"})
    err = 'session alias already exists: "mayor" already belongs to gc-7'
    assert ctx.out.logs == [f'session beads: alias "mayor" for mayor unavailable: {err}',
                            f"session beads: creating bead for mayor: {err}"]
    assert [b.id for b in ctx.store.sessions.values()] == ["gc-7"]
    assert e.bead_id == "" and not ctx.out.actions


def test_a_named_create_claims_its_reserved_identity():
    """The configured identity is reserved for the named session, and the create is its owner."""
    ctx = tick_ctx()
    sync_entry(ctx, named_entry(), {"mayor"})
    assert ctx.store.session("gc-1").alias == "mayor"


def test_a_refused_create_is_logged_and_leaves_the_entry_without_a_bead():
    ctx = tick_ctx()
    ctx.store.write_faults = [["create", 1, "disk full"]]
    e = pool_entry()
    sync_entry(ctx, e, set())
    assert not ctx.store.sessions and e.bead_id == "" and not ctx.out.actions
    assert ctx.out.logs == ["session beads: creating bead for worker-1: disk full"]
