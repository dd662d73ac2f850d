"""The update syncSessionBeads (cmd/gc/session_beads.go) makes to the open bead that already
holds a desired entry's session name: each identity and configuration key is queued only when it
differs (dependency_only, the configured-named keys set for a named entry and cleared for any
other, wake_mode, a missing continuation_epoch, the resolved provider's keys, never blanked, and
a reopened bead's close_reason / closed_at), and the batch is written with synced_at only when
something changed."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, make_city, session_bead

from core.config.city_config import Agent, NamedSession
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import sync_entry
from core.world.world import World

STAMP = "2026-05-16T12:01:00Z"
MAYOR = Agent(name="mayor", max_active_sessions=1, provider="claude")
WORKER = Agent(name="worker", max_active_sessions=3, wake_mode="fresh")


def tick_ctx(*beads) -> TickContext:
    world = World()
    world.now = T0 + timedelta(minutes=1)
    for b in beads:
        world.store.put_session(b)
    world.store.journal.clear()
    city = make_city(MAYOR, WORKER, named=[NamedSession(template="mayor", mode="always")])
    return TickContext(city, world, "current", Outcome())


def named_entry(mode: str = "always") -> DesiredEntry:
    return DesiredEntry(session_name="mayor", template="mayor", identity="mayor", alias="mayor", pool_slot=0,
                        source="named-always", named_identity="mayor", named_mode=mode)


def written(ctx: TickContext) -> dict[str, str]:
    """The fields of the one write this sync made (after values), {} when none."""
    assert len(ctx.store.journal) <= 1, ctx.store.journal
    return {k: v[1] for k, v in ctx.store.journal[0].fields.items()} if ctx.store.journal else {}


MAYOR_OK = dict(session_name="mayor", alias="mayor", agent_name="mayor", template="mayor", session_origin="named",
                configured_named_session="true", configured_named_identity="mayor", configured_named_mode="always",
                continuation_epoch="3", provider="claude")


def in_sync_mayor(**md: str):
    ctx = tick_ctx()
    from core.reconcile.sync import launch_metadata

    launch = launch_metadata(ctx, named_entry())
    return session_bead("gc-1", **{**MAYOR_OK, **launch, **md})


def test_a_bead_in_agreement_is_not_written():
    ctx = tick_ctx(in_sync_mayor())
    e = named_entry()
    sync_entry(ctx, e, {"mayor"})
    assert written(ctx) == {}
    assert (e.bead_id, e.env) == ("gc-1", {"GC_SESSION_ID": "gc-1"})
    assert not ctx.out.logs and not ctx.out.actions


def test_stale_named_and_config_keys_are_rewritten_with_synced_at():
    """The entry is not dependency_only, its mode is on_demand, its agent has no wake mode; the
    bead says otherwise, has lost its continuation epoch and still carries a close record."""
    ctx = tick_ctx(in_sync_mayor(dependency_only="true", configured_named_mode="always", wake_mode="fresh",
                                 continuation_epoch="", close_reason="suspended", closed_at="2026-05-16T11:00:00Z",
                                 configured_named_session="yes"))
    sync_entry(ctx, named_entry("on_demand"), {"mayor"})
    assert written(ctx) == {"dependency_only": "", "configured_named_mode": "on_demand", "wake_mode": "",
                            "continuation_epoch": "1", "close_reason": "", "closed_at": "",
                            "configured_named_session": "true", "synced_at": STAMP}


def test_a_bead_of_another_named_identity_is_left_alone():
    """A named entry whose session name is held by a bead minted for another configured identity:
    the conflict is logged, nothing is written, the entry still records the bead."""
    ctx = tick_ctx(in_sync_mayor(configured_named_identity=" witness ", dependency_only="true"))
    e = named_entry()
    sync_entry(ctx, e, {"mayor"})
    assert written(ctx) == {}
    assert (e.bead_id, e.env) == ("gc-1", {"GC_SESSION_ID": "gc-1"})
    assert ctx.out.logs == ['session beads: configured named session "mayor" conflicts with live bead gc-1']


def test_a_padded_identity_of_the_same_session_is_no_conflict():
    """namedSessionIdentity reads the identity trimmed: the bead is the entry's own, and the
    padded value is rewritten."""
    ctx = tick_ctx(in_sync_mayor(configured_named_identity=" mayor "))
    sync_entry(ctx, named_entry(), {"mayor"})
    assert not ctx.out.logs
    assert written(ctx) == {"configured_named_identity": "mayor", "synced_at": STAMP}


def test_a_named_bead_without_an_identity_is_given_it():
    ctx = tick_ctx(in_sync_mayor(configured_named_identity=""))
    sync_entry(ctx, named_entry(), {"mayor"})
    assert written(ctx) == {"configured_named_identity": "mayor", "synced_at": STAMP}


def test_a_close_record_alone_is_cleared():
    for md in ({"close_reason": "suspended"}, {"closed_at": "2026-05-16T11:00:00Z"}):
        ctx = tick_ctx(in_sync_mayor(**md))
        sync_entry(ctx, named_entry(), {"mayor"})
        assert written(ctx) == {**{k: "" for k in md}, "synced_at": STAMP}


def test_a_set_continuation_epoch_is_kept():
    ctx = tick_ctx(in_sync_mayor(continuation_epoch="7", dependency_only="true"))
    sync_entry(ctx, named_entry(), {"mayor"})
    assert written(ctx) == {"dependency_only": "", "synced_at": STAMP}


def test_a_dependency_only_entry_marks_its_bead():
    ctx = tick_ctx(in_sync_mayor())
    e = named_entry()
    e.dependency_only = True
    sync_entry(ctx, e, {"mayor"})
    assert written(ctx) == {"dependency_only": "true", "synced_at": STAMP}


def test_provider_keys_are_refreshed_but_never_blanked():
    """A changed provider is rewritten; a stored key the resolution does not yield is kept."""
    ctx = tick_ctx(in_sync_mayor(provider="codex", resume_command="old resume", builtin_ancestor="x"))
    sync_entry(ctx, named_entry(), {"mayor"})
    w = written(ctx)
    assert w.get("provider") == "claude" and "builtin_ancestor" not in w
    assert ctx.store.session("gc-1").get("builtin_ancestor") == "x"


def test_a_non_named_entry_clears_the_configured_named_keys_and_takes_the_agent_wake_mode():
    ctx = tick_ctx(session_bead("gc-1", session_name="worker-gc-1", alias="worker-1", agent_name="worker-1",
                                template="worker", session_origin="ephemeral", pool_managed="true", pool_slot="1",
                                continuation_epoch="1", configured_named_session="true",
                                configured_named_identity="worker-1", configured_named_mode="always"))
    e = DesiredEntry(session_name="worker-gc-1", template="worker", identity="worker-1", alias="worker-1",
                     pool_slot=1, source="resume", named_mode="always")  # a mode without an identity is no named entry
    sync_entry(ctx, e, set())
    assert written(ctx) == {"configured_named_session": "", "configured_named_identity": "",
                            "configured_named_mode": "", "wake_mode": "fresh", "synced_at": STAMP}


def pool_bead(**md: str):
    base = dict(session_name="worker-gc-1", agent_name="worker-1", template="worker", session_origin="ephemeral",
                pool_managed="true", continuation_epoch="1", wake_mode="fresh")
    return session_bead("gc-1", **{**base, **md})


def pool_entry(**fields) -> DesiredEntry:
    base = dict(session_name="worker-gc-1", template="worker", identity="worker-1", alias="worker-1", pool_slot=1,
                source="resume")
    return DesiredEntry(**{**base, **fields})


def test_the_entry_slot_is_written_even_when_its_identity_names_none():
    """resolvePoolSlot is the fallback only: an entry's own slot 1 is written although its
    identity (a namepool name) carries no number."""
    ctx = tick_ctx(pool_bead(agent_name="worker-alpha", alias="worker-alpha"))
    sync_entry(ctx, pool_entry(identity="worker-alpha", alias="worker-alpha"), set())
    assert written(ctx) == {"pool_slot": "1", "synced_at": STAMP}


def test_an_entry_without_a_slot_takes_the_one_its_identity_names():
    ctx = tick_ctx(pool_bead(agent_name="worker-2", alias="worker-2"))
    sync_entry(ctx, pool_entry(identity="worker-2", alias="worker-2", pool_slot=0), set())
    assert written(ctx) == {"pool_slot": "2", "synced_at": STAMP}


def test_a_pool_instance_without_a_desired_alias_claims_its_identity():
    """managedAlias falls back to the instance name for an ephemeral pool instance."""
    ctx = tick_ctx(pool_bead(pool_slot="1"))
    sync_entry(ctx, pool_entry(alias=""), set())
    assert written(ctx) == {"alias": "worker-1", "synced_at": STAMP}
    assert [(a.kind, a.detail) for a in ctx.out.actions] == [("claim_alias", "worker-1")]


def test_an_ephemeral_entry_without_a_slot_claims_no_alias():
    ctx = tick_ctx(pool_bead(agent_name="worker", session_name="worker-x"))
    sync_entry(ctx, pool_entry(session_name="worker-x", identity="worker", alias="", pool_slot=0), set())
    assert written(ctx) == {}


def test_a_manual_entry_with_a_slot_claims_no_alias():
    """Only a managed (ephemeral) pool instance falls back to its instance name."""
    ctx = tick_ctx(pool_bead(agent_name="worker-3", session_name="worker-x", session_origin="manual",
                             pool_managed="", pool_slot="3"))
    sync_entry(ctx, pool_entry(session_name="worker-x", identity="worker-3", alias="", pool_slot=0, manual=True),
               set())
    assert written(ctx) == {}


def test_the_latest_of_several_open_holders_is_the_one_synced():
    """canonicalDuplicateSessionBead keeps the later of two beads that share a session name
    (neither owns a pool name derived from its id)."""
    md = dict(pool_bead(pool_slot="1", alias="worker-1").metadata)
    ctx = tick_ctx(*(session_bead(bid, T0 + timedelta(seconds=i), **md) for i, bid in enumerate(("gc-1", "gc-2", "gc-3"))))
    e = pool_entry()
    sync_entry(ctx, e, set())
    assert e.bead_id == "gc-3"


def test_a_pool_instance_by_its_entry_slot_has_its_alias_revalidated():
    """A managed pool instance (slot 1 from the entry, its namepool identity names none) whose
    alias already agrees is still checked every sync: another open bead holding that alias
    makes it record the conflict and give the alias up (its slot is still written)."""
    other = session_bead("gc-0", T0 - timedelta(hours=1), session_name="elsewhere", alias="worker-alpha",
                         template="worker")
    ctx = tick_ctx(other, pool_bead(agent_name="worker-alpha", alias="worker-alpha"))
    sync_entry(ctx, pool_entry(identity="worker-alpha", alias="worker-alpha"), set())
    assert written(ctx) == {"pool_slot": "1", "alias": "", "pool_alias_conflict": "worker-alpha", "pool_alias_conflict_count": "1",
                            "pool_alias_conflict_at": STAMP, "synced_at": STAMP}
