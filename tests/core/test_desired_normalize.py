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


def test_only_the_stale_fields_are_rewritten():
    """Each field is rewritten on its own rule (normalizeNonExpandingPoolSessionInfo): a stale alias
    does not touch an agent_name that names no slot, a custom title stays, a label outside the
    `agent:` family stays even when its value looks like a slot; the canonical `agent:` label
    comes with any change."""
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "alias": "town/mayor-1", "pool_managed": "true"}
    ctx, b = setup(md, title="Mayor's desk", labels=("owner:town/mayor-2",))
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.agent_name, nb.title) == ("town/mayor", "", "Mayor's desk")
    assert nb.labels == {"gc:session", "owner:town/mayor-2", "agent:town/mayor"}
    assert [w.rule for w in why] == ["alias.reclaimed", "alias.normalized"]


def test_a_bare_slot_agent_label_is_the_agent_name_and_is_replaced():
    """sessionBeadAgentNameInfo reads the `agent:` label when agent_name is empty: a bare
    `agent:mayor-1` names slot 1, so agent_name is set and the label swapped for the canonical one."""
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "alias": "town/mayor", "pool_managed": "true"}
    ctx, b = setup(md, labels=("agent:mayor-1",))
    nb, _ = normalize_singleton(ctx, MAYOR, b)
    assert nb.agent_name == "town/mayor" and nb.labels == {"gc:session", "agent:town/mayor"}


def test_a_bead_without_an_alias_or_deferral_keeps_no_alias():
    """Only a stale alias, or no alias with the canonical one deferred, is rewritten: a bead with
    no alias and no deferral loses its pool_slot and gets the canonical label, nothing else."""
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "pool_slot": "1"}
    ctx, b = setup(md)
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.get("alias_history"), nb.get("pool_slot")) == ("", "", "")
    assert "agent:town/mayor" in nb.labels
    assert [w.rule for w in why] == ["alias.normalized"]


def test_a_canonical_alias_with_a_leftover_deferral_is_not_reclaimed_again():
    """alias == canonical clears the conflict keys only; the alias is not rewritten (no
    alias_history entry, no reclaim) even though the deferral names it."""
    done = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "alias": "town/mayor",
            "alias_history": "town/mayor-3", "pool_alias_conflict": "town/mayor"}
    ctx, b = setup(done)
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.get("alias_history"), nb.get("pool_alias_conflict")) == ("town/mayor", "town/mayor-3", "")
    assert [w.rule for w in why] == ["alias.normalized"]


def test_a_stale_title_alone_brings_the_canonical_label():
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "alias": "town/mayor"}
    ctx, b = setup(md, title="town/mayor-1")
    nb, _ = normalize_singleton(ctx, MAYOR, b)
    assert nb.title == "town/mayor" and "agent:town/mayor" in nb.labels


def test_a_bead_already_labelled_canonical_still_has_its_stale_fields_rewritten():
    """The canonical label being there already adds no label, but the stale alias and pool_slot
    are still written: the update is skipped only when nothing at all changes."""
    md = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor", "alias": "town/mayor-1",
          "pool_slot": "1"}
    ctx, b = setup(md, labels=("agent:town/mayor",))
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.get("pool_slot"), nb.labels) == ("town/mayor", "", {"gc:session", "agent:town/mayor"})
    assert len(ctx.actions) == 1 and [w.rule for w in why] == ["alias.reclaimed", "alias.normalized"]


def test_the_reclaim_is_blocked_neither_by_the_bead_itself_nor_by_an_agent_name_of_the_canonical_identity():
    """EnsureAliasAvailableWithConfigForOwner(store, city, canonical, info.ID, canonical): the bead's
    own fields never block it, and another bead's agent_name equal to the canonical identity is
    the owner's own concrete identity, which passes; only a session_name or alias blocks."""
    md = {"template": "town/mayor", "session_name": "town/mayor", "agent_name": "town/mayor", "alias": "town/mayor-1"}
    twin = ("gc-0", {"template": "town/mayor", "session_name": "twin", "agent_name": "town/mayor"})
    ctx, b = setup(md, extra=[twin])
    nb, why = normalize_singleton(ctx, MAYOR, b)
    assert (nb.alias, nb.get("pool_alias_conflict")) == ("town/mayor", "")
    assert [w.rule for w in why] == ["alias.reclaimed", "alias.normalized"]
