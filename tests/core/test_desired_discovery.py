"""The discovery overlay's guards (catalog F5, F6, F8)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.discovery import discover
from core.desired.entries import DesiredEntry
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_with(agents: list[Agent], *beads: SessionBead) -> BuildContext:
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=agents), world, "current", [])


def test_stale_max_one_bead_skipped_when_a_dependency_floor_is_desired():
    stale = SessionBead("gc-stale", T0, {"template": "gascity/db", "agent_name": "gascity/db-1",
                                         "alias": "gascity/db-1", "session_name": "s-db-stale", "state": "awake",
                                         "pool_managed": "true", "pool_slot": "1"},
                        title="gascity/db-1")
    ctx = ctx_with([Agent(name="db", dir="gascity", max_active_sessions=1)], stale)
    ctx.result.entries["s-db-canonical"] = DesiredEntry("s-db-canonical", "gascity/db", "s-db-canonical", "", 0,
                                                        "dependency-floor", dependency_only=True)
    ctx.result.partial_templates.add("gascity/db")  # even a partial read does not revive it
    discover(ctx)
    assert "s-db-stale" not in ctx.result.entries
    assert "gascity/db" in ctx.result.roots


def test_a_plain_bead_with_a_stale_numbered_alias_is_not_rediscovered_beside_the_canonical_singleton():
    """The stale-duplicate guard is not limited to controller capacity: a plain (not pool-managed,
    not ephemeral) bead whose alias still names an old `db-1` identity stays out of the desired
    set once the canonical singleton is desired; a manual bead with the same alias rejoins."""
    stale = SessionBead("gc-plain", T0, {"template": "gascity/db", "alias": "gascity/db-1",
                                         "session_name": "s-db-plain", "state": "awake"})
    manual = SessionBead("gc-manual", T0, {"template": "gascity/db", "alias": "gascity/db-1",
                                           "session_name": "s-db-manual", "state": "awake",
                                           "session_origin": "manual"})
    ctx = ctx_with([Agent(name="db", dir="gascity", max_active_sessions=1)], stale, manual)
    ctx.result.entries["s-db"] = DesiredEntry("s-db", "gascity/db", "gascity/db", "gascity/db", 0, "new")
    discover(ctx)
    assert "s-db-plain" not in ctx.result.entries
    assert ctx.result.entries["s-db-manual"].source == "manual"


def test_drained_controller_bead_is_not_rediscovered_even_when_the_template_is_desired():
    drained = SessionBead("gc-d", T0, {"template": "claude", "session_name": "s-drained", "state": "asleep",
                                       "sleep_reason": "drained", "pool_managed": "true"})
    live = SessionBead("gc-l", T0, {"template": "claude", "session_name": "s-live", "state": "active",
                                    "pool_managed": "true", "pool_slot": "2"})
    ctx = ctx_with([Agent(name="claude", max_active_sessions=5)], drained, live)
    ctx.result.entries["s-other"] = DesiredEntry("s-other", "claude", "claude-1", "claude-1", 1, "new")
    discover(ctx)
    assert "s-drained" not in ctx.result.entries
    assert ctx.result.entries["s-live"].source == "discovered"
    assert ctx.result.entries["s-live"].env["GC_ALIAS"] == "claude-2"


def test_legacy_aliasless_ephemeral_bead_keeps_its_session_name_identity():
    legacy = SessionBead("gc-legacy", T0, {"template": "demo/ant", "agent_name": "demo/ant",
                                           "session_name": "s-gc-legacy", "session_origin": "ephemeral",
                                           "state": "creating"})
    ctx = ctx_with([Agent(name="ant", dir="demo", max_active_sessions=4, min_active_sessions=0)], legacy)
    discover(ctx)
    e = ctx.result.entries["s-gc-legacy"]
    assert (e.identity, e.manual, e.alias) == ("demo/s-gc-legacy", True, "")


# ---------------------------------------------------------------- canonicalSessionIdentity, isStaleCreatingInfo

from datetime import timedelta  # noqa: E402

from core.desired.discovery import canonical_identity, has_canonical_singleton_entry, stale_creating  # noqa: E402


def _sem_ctx(agents: list[Agent], semantics: str) -> BuildContext:
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=agents), World(T0), semantics, [])


def test_canonical_identity_follows_the_stamped_slot_under_the_build_semantics():
    """A stamped slot names the instance identity the build's semantics give that slot: before
    #2053 a max-1 agent with no min expands to no instance; with min set it does, where the
    current rules keep it the canonical singleton."""
    plain = Agent(name="w", max_active_sessions=1)
    with_min = Agent(name="w", max_active_sessions=1, min_active_sessions=1)
    b = SessionBead("gc-1", T0, {"template": "w", "pool_slot": "1"})
    assert canonical_identity(_sem_ctx([plain], "pre-2053"), plain, b) == "w"
    assert canonical_identity(_sem_ctx([with_min], "pre-2053"), with_min, b) == "w-1"
    assert canonical_identity(_sem_ctx([with_min], "current"), with_min, b) == "w"


def test_canonical_identity_reads_the_slot_through_the_config():
    """A bead of another template holds no slot of this one: its identity is the template's name."""
    w3 = Agent(name="w", max_active_sessions=3)
    ctx = _sem_ctx([w3], "current")
    assert canonical_identity(ctx, w3, SessionBead("gc-1", T0, {"template": "other", "pool_slot": "2"})) == "w"
    assert canonical_identity(ctx, w3, SessionBead("gc-2", T0, {"template": "w", "pool_slot": "2"})) == "w-2"


def test_only_a_canonical_singleton_template_has_a_canonical_singleton_entry():
    w3 = Agent(name="w", max_active_sessions=3)
    assert not has_canonical_singleton_entry(_sem_ctx([w3], "current"), w3)


def test_a_creating_bead_is_stale_from_exactly_one_minute():
    """isStaleCreatingInfo: stale once now is not before the start (pending_create_started_at, else
    creation) plus one minute."""
    ctx = _sem_ctx([], "current")
    assert stale_creating(ctx, SessionBead("gc-1", T0 - timedelta(seconds=60), {}))
    assert not stale_creating(ctx, SessionBead("gc-2", T0 - timedelta(seconds=59.999), {}))
    started = {"pending_create_started_at": "2026-05-04T11:59:00Z"}
    assert stale_creating(ctx, SessionBead("gc-3", T0, started))
    assert not stale_creating(ctx, SessionBead("gc-4", T0 - timedelta(hours=1), {"pending_create_started_at": "2026-05-04T11:59:01Z"}))


def test_a_slot_carrying_bead_of_a_max_one_template_with_a_min_is_ephemeral_only_with_the_carve_out():
    """isEphemeralSessionInfoForAgent asks SupportsInstanceExpansion under the build's semantics:
    max 1 with a min expands since #1989 (so before #2053 an alias `w-2` makes the bead pool
    capacity), never before #1989."""
    from core.desired.discovery import ephemeral_for

    a = Agent(name="w", max_active_sessions=1, min_active_sessions=1)
    b = SessionBead("gc-1", T0, {"template": "w", "alias": "w-2", "session_name": "s-w", "state": "awake"})
    assert ephemeral_for(_sem_ctx([a], "pre-2053"), a, b)
    assert not ephemeral_for(_sem_ctx([a], "pre-1989"), a, b)
