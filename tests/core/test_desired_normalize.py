"""normalizeNonExpandingPoolSessionInfoForSelection: collapsing a reused canonical-singleton bead
onto the canonical identity, field by field, and when nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City, NamedSession
from core.desired.context import BuildContext
from core.desired.realize import normalize_singleton
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
MAYOR = Agent(name="mayor", dir="town", max_active_sessions=1)


def setup(md: dict, title: str = "", labels=(), named=(), extra=()):
    w = World(T0)
    for bid, emd in extra:
        w.store.create_session(emd, T0, bead_id=bid)
    w.store.create_session(md, T0, bead_id="gc-1", title=title, labels=labels)
    ctx = BuildContext(City(root="/c", path="/c/city.toml", agents=[MAYOR], named_sessions=list(named)), w,
                       "current", [])
    return ctx, ctx.store.session("gc-1")


STALE = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor-1", "alias": "town/mayor-1",
         "alias_history": "town/mayor-0", "pool_slot": "1", "pool_managed": "true", "session_origin": "ephemeral"}


def test_a_stale_bead_collapses_onto_the_canonical_identity():
    ctx, b = setup(STALE, title="town/mayor-1", labels=("agent:town/mayor-1", "team:red"))
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert {k: nb.get(k) for k in ("agent_name", "alias", "alias_history", "pool_slot")} == {
        "agent_name": "town/mayor", "alias": "town/mayor", "alias_history": "town/mayor-1,town/mayor-0", "pool_slot": ""}
    assert nb.title == "town/mayor" and nb.labels == {"gc:session", "agent:town/mayor", "team:red"}
    assert [a.to_json() for a in ctx.actions] == [
        {"kind": "normalize", "bead_id": "gc-1", "session_name": "mayor-gc-1", "reason": "canonical-singleton",
         "detail": "town/mayor-1 -> town/mayor", "template": "town/mayor"}]
    assert [(w.rule, w.detail) for w in why] == [
        ("alias.reclaimed", "the canonical alias town/mayor was free: claimed and conflict keys cleared"),
        ("alias.normalized", "stale slot identity collapsed onto town/mayor")]
    assert ('buildDesiredState: pool "town/mayor": collapsing phantom pool identity for bead gc-1 to "town/mayor"'
            in ctx.result.logs)


def test_a_deferred_reclaim_takes_the_free_alias_and_clears_the_conflict():
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "pool_managed": "true",
          "pool_alias_conflict": "town/mayor", "pool_alias_conflict_count": "2",
          "pool_alias_conflict_at": "2026-05-04T11:00:00Z"}
    ctx, b = setup(md)
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.get("pool_alias_conflict"), nb.get("pool_alias_conflict_count"),
            nb.get("pool_alias_conflict_at")) == ("town/mayor", "", "", "")
    assert ctx.actions[0].detail == "town/mayor -> town/mayor"


def test_a_canonical_bead_is_left_alone_and_its_leftover_conflict_keys_cleared():
    done = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "alias": "town/mayor"}
    ctx, b = setup(done)
    assert normalize_singleton(ctx, MAYOR, b) == (b, []) and not ctx.actions   # no label is added by itself
    ctx, b = setup({**done, "pool_alias_conflict": "town/mayor"})
    nb, _ = normalize_singleton(ctx, MAYOR, b)
    assert nb.get("pool_alias_conflict") == "" and "agent:town/mayor" in nb.labels


def test_manual_named_and_non_singleton_beads_are_never_normalized():
    for md in ({**STALE, "session_origin": "manual"}, {**STALE, "configured_named_session": "true"}):
        ctx, b = setup(md)
        assert normalize_singleton(ctx, MAYOR, b) == (b, [])
    pool = Agent(name="mayor", dir="town", max_active_sessions=2)
    ctx, b = setup(STALE)
    assert normalize_singleton(ctx, pool, b) == (b, [])


def test_a_held_canonical_alias_defers_the_collapse_and_a_named_reservation_does_not():
    ctx, b = setup(STALE, named=[NamedSession(template="mayor", dir="town", name="mayor")])
    nb, _ = normalize_singleton(ctx, MAYOR, b)   # the reservation is of this very identity
    assert nb.alias == "town/mayor"
    ctx, b = setup(STALE, extra=[("gc-h", {"session_name": "other", "alias": "town/mayor"})])
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert nb.get("agent_name") == "town/mayor-1" and nb.get("pool_alias_conflict") == "town/mayor"
    assert why[0].detail == "town/mayor is held by gc-h (alias); retried with backoff"
    assert ctx.actions[0].detail == "town/mayor held by gc-h (alias)"
    assert ('buildDesiredState: pool "town/mayor": deferring singleton pool identity normalization for bead gc-1: '
            'normalizing singleton pool identity for bead gc-1 to "town/mayor": session alias already exists: '
            '"town/mayor" already belongs to gc-h') in ctx.result.logs
