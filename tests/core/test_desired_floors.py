"""Dependency floors (ensureDependencyOnlyTemplate and selectOrCreateDependencyPoolSessionBead in
cmd/gc/build_desired_state.go): which bead a floor reuses or creates, and what its entry says."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.floors import ensure_floor
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 7, 19, 12, tzinfo=UTC)
DEP = {B.TEMPLATE: "app/db", B.DEPENDENCY_ONLY: "true", B.POOL_MANAGED: "true", B.STATE: "awake"}


def floor_ctx(*beads: SessionBead, semantics: str = "current", db: Agent | None = None) -> tuple[BuildContext, Agent]:
    db = db or Agent(name="db", dir="app", max_active_sessions=1)
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    city = City(root="/tmp", path="/tmp/city.toml", agents=[db, Agent(name="api", dir="app", depends_on=["app/db"])])
    return BuildContext(city, world, semantics, []), db


def test_a_floor_entry_carries_no_alias_and_is_not_identity_stamped():
    """The store-backed floor resolves its template through resolveTemplateForSessionBeadInfo and
    never calls setTemplateEnvIdentity, so EnvIdentityStamped stays false (only the no-store floor
    stamps it); Alias is empty and InstanceName is the session name. Both a fresh floor bead and a
    reused one."""
    reused = SessionBead("gc-9", T0, {**DEP, B.AGENT_NAME: "app/db", B.SESSION_NAME: "db-gc-9"})
    for beads in ((), (reused,)):
        ctx, db = floor_ctx(*beads)
        ensure_floor(ctx, db, "app/api")
        (entry,) = ctx.result.entries.values()
        assert entry.env_identity_stamped is False
        assert (entry.alias, entry.identity, entry.dependency_only, entry.pool_slot) == (
            "", entry.session_name, True, 0)
        assert entry.env["GC_ALIAS"] == "app/db"


def test_a_fresh_floor_beside_this_ticks_earlier_floor_bead_is_explained_once():
    """The earlier floor bead of this tick is both the reason the new bead was minted and, by its
    identity and create claim, a lingering twin: the entry explains the duplicate once, as the
    fresh duplicate it is."""
    earlier = SessionBead("gc-1", T0, {B.TEMPLATE: "app/db", B.AGENT_NAME: "app/db", B.SESSION_NAME: "db-gc-1",
                                       B.POOL_MANAGED: "true", B.SESSION_ORIGIN: "ephemeral",
                                       B.STATE: "start-pending", B.PENDING_CREATE_CLAIM: "true"})
    ctx, db = floor_ctx(earlier)
    ctx.result.floor_created = {"app/db": ["gc-1"]}
    ensure_floor(ctx, db, "app/api")
    (entry,) = ctx.result.entries.values()
    assert entry.bead_id != "gc-1"
    dup = [w.detail for w in entry.why if w.rule == "demand.duplicate_floor"]
    assert len(dup) == 1 and dup[0].startswith("a second floor bead for app/db: gc-1 was created")


def test_a_canonical_singleton_floor_reuses_the_bead_carrying_its_identity_over_an_earlier_one():
    """findReusableCanonicalNonExpandingDependencyPoolSessionInfo: of the reusable dependency beads
    the first that is not stale and identifies as the canonical name; an earlier bead that carries
    no identity at all is neither, and is only the fallback."""
    anonymous = SessionBead("gc-1", T0, {**DEP, B.SESSION_NAME: "db-gc-1"})
    canonical = SessionBead("gc-2", T0, {**DEP, B.AGENT_NAME: "app/db", B.SESSION_NAME: "db-gc-2"})
    ctx, db = floor_ctx(anonymous, canonical)
    ensure_floor(ctx, db, "app/api")
    (entry,) = ctx.result.entries.values()
    assert entry.bead_id == "gc-2"
    assert entry.why[2].rule == "slot.canonical"


def test_a_fresh_floor_bead_takes_the_slot_one_identity_of_the_builds_semantics():
    """poolDesiredRequestIdentity(cfgAgent, 1): before #1989 a single-session template's slot-1
    instance is app/db-1 at pool_slot 1; today it is the bare app/db with no slot."""
    for semantics, want in (("current", ("app/db", "")), ("pre-1989", ("app/db-1", "1"))):
        ctx, db = floor_ctx(semantics=semantics)
        ensure_floor(ctx, db, "app/api")
        (entry,) = ctx.result.entries.values()
        bead = ctx.store.session(entry.bead_id)
        assert bead is not None and (bead.agent_name, bead.get(B.POOL_SLOT)) == want, semantics


def test_a_fresh_floor_bead_has_no_trigger():
    """selectOrCreateDependencyPoolSessionBead creates with nil metadata: a floor is nobody's work,
    so its bead records no trigger bead and its session gets no GC_TRIGGER_* environment."""
    ctx, db = floor_ctx()
    ensure_floor(ctx, db, "app/api")
    (entry,) = ctx.result.entries.values()
    bead = ctx.store.session(entry.bead_id)
    assert bead is not None and B.TRIGGER_BEAD_ID not in bead.metadata
    assert not [k for k in entry.env if k.startswith("GC_TRIGGER")]


def test_a_floor_whose_create_fails_is_skipped_with_the_reason():
    """ensureDependencyOnlyTemplate logs the create's error and adds no entry (the tmux_alias is
    validated before anything is written)."""
    ctx, db = floor_ctx(db=Agent(name="db", dir="app", max_active_sessions=1, tmux_alias="s-db"))
    ensure_floor(ctx, db, "app/api")
    assert not ctx.result.entries and not ctx.store.all_sessions()
    assert 'buildDesiredState: dependency floor "app/db": invalid session name: "s-db" uses reserved prefix "s-" (skipping)' \
        in ctx.result.logs
