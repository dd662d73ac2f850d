"""ensureSessionAliasAvailable (alias_holder): which open bead, or which reservation, keeps a bead
from claiming an alias, one case per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.desired.alias import alias_holder, superseded_named_predecessor
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def store_with(*beads: tuple[str, dict]):
    w = World(T0)
    for i, (bid, md) in enumerate(beads):
        w.store.create_session(md, T0 + timedelta(seconds=i), bead_id=bid)
    return w.store


def holder(store, alias, self_id="me", owner="", named=(), self_named=""):
    b, rule = alias_holder(store, alias, self_id, owner, set(named), self_named)
    return (b.id if b else None), rule


def test_each_field_of_another_open_bead_holds_the_alias():
    assert holder(store_with(("x", {"session_name": "w-1"})), "w-1") == ("x", "session_name")
    assert holder(store_with(("x", {"alias": "w-1"})), "w-1") == ("x", "alias")
    assert holder(store_with(("x", {"agent_name": "w-1"})), "w-1") == ("x", "agent_name")
    assert holder(store_with(("x", {"agent_name": "w-1"})), " w-1 ") == ("x", "agent_name")
    assert holder(store_with(("x", {"alias": "w-1"})), "") == (None, "")
    assert holder(store_with(("x", {"alias": "w-2"})), "w-1") == (None, "")


def test_the_bead_itself_a_failed_create_and_a_closed_bead_never_hold_it():
    st = store_with(("me", {"alias": "w-1"}), ("f", {"alias": "w-1", "state": "failed-create"}), ("c", {"alias": "w-1"}))
    st.close_session("c", "done", T0)
    assert holder(st, "w-1") == (None, "")


def test_the_earliest_holder_is_named():
    st = store_with(("b2", {"agent_name": "w-1"}), ("b1", {"alias": "w-1"}))
    assert holder(st, "w-1") == ("b2", "agent_name")


def test_the_owner_may_share_an_agent_name_but_not_an_alias():
    st = store_with(("x", {"agent_name": "mayor"}))
    assert holder(st, "mayor", owner="mayor") == (None, "")
    assert holder(st, "mayor", owner="other") == ("x", "agent_name")
    assert holder(store_with(("x", {"alias": "mayor"})), "mayor", owner="mayor") == ("x", "alias")


PRED = {"session_name": "mayor", "state": "asleep", "configured_named_session": "true",
        "configured_named_identity": "mayor"}


@pytest.mark.parametrize("md, superseded", [
    (PRED, True),
    ({**PRED, "configured_named_session": "", "configured_named_identity": "mayor"}, True),
    ({**PRED, "state": "awake"}, False),
    ({**PRED, "session_name": "mayor-2"}, False),
    ({**PRED, "configured_named_session": "", "configured_named_identity": ""}, False),
    ({**PRED, "configured_named_identity": "boss", "template": "mayor/"}, True),   # signals: the template
    ({**PRED, "configured_named_identity": "boss"}, False),
    # the configured_named_session flag alone marks it named; the alias carries the signal
    ({**PRED, "configured_named_identity": "", "alias": "mayor"}, True),
])
def test_an_asleep_named_predecessor_never_blocks_its_own_identity(md, superseded):
    """#4741: the predecessor holding the identity as its session name is skipped for its owner."""
    assert superseded_named_predecessor(SessionBead("p", T0, md), "mayor") is superseded
    holds = md["session_name"] == "mayor"
    want = (None, "") if superseded or not holds else ("p", "session_name")
    assert holder(store_with(("p", md)), "mayor", owner="mayor") == want
    assert holder(store_with(("p", md)), "mayor", owner="") == (("p", "session_name") if holds else (None, ""))


def test_a_configured_named_identity_is_reserved_for_its_named_session():
    st = store_with(("me", {"configured_named_session": "true", "configured_named_identity": "boss"}),
                    ("other", {"configured_named_session": "true", "configured_named_identity": "chief"}))
    assert holder(st, "boss", self_id="x", named={"boss"}) == (None, "reserved")
    assert holder(st, "boss", self_id="me", named={"boss"}) == (None, "")
    assert holder(st, "boss", self_id="other", named={"boss"}) == (None, "reserved")
    assert holder(st, "boss", self_id="x", owner="boss", named={"boss"}) == (None, "")
    assert holder(st, "boss", self_id="x", named={"boss"}, self_named="boss") == (None, "")
    assert holder(st, "boss", self_id="", named={"boss"}) == (None, "reserved")


def test_a_declared_owner_or_named_identity_is_judged_without_the_beads_record():
    """The bead's configured identity stands in for the owner only when none was given: a claimant
    that declares another identity is refused the reservation even if its bead names it."""
    st = store_with(("me", {"configured_named_session": "true", "configured_named_identity": "boss"}))
    assert holder(st, "boss", self_id="me", owner="chief", named={"boss"}) == (None, "reserved")
    assert holder(st, "boss", self_id="me", named={"boss"}, self_named="chief") == (None, "reserved")
    assert holder(st, "boss", self_id="me", owner="chief", named={"boss"}, self_named="chief") == (None, "reserved")


def test_named_signals_and_canonical_identification():
    from core.desired.alias import _named_signals_match, retry_due
    from core.desired.realize import identifies_canonical

    b = SessionBead("p", T0, {"alias": "mayor"})
    assert _named_signals_match(b, "mayor/") and _named_signals_match(b, " mayor ")
    assert not _named_signals_match(b, "") and not _named_signals_match(b, "/")
    assert _named_signals_match(SessionBead("p", T0, {"agent_name": "BOX"}), "BOX")  # only slashes are trimmed
    assert _named_signals_match(SessionBead("p", T0, {"template": "town/mayor/"}), "town/mayor")
    # NormalizeNamedSessionTarget trims one trailing slash, not a run of them
    assert not _named_signals_match(b, "mayor//")
    assert not _named_signals_match(SessionBead("p", T0, {"alias": "mayor//"}), "mayor")
    assert identifies_canonical(SessionBead("p", T0, {"agent_name": " town/mayor "}), "town/mayor")
    assert identifies_canonical(SessionBead("p", T0, {}, True, "town/mayor"), "town/mayor")
    assert identifies_canonical(SessionBead("p", T0, {}, True, "", frozenset({"agent:town/mayor"})), "town/mayor")
    assert not identifies_canonical(SessionBead("p", T0, {"alias": "town/mayor-1"}), "town/mayor")
    assert retry_due("2026-05-04T12:00:00Z", "junk", T0 + timedelta(seconds=30))
    assert not retry_due("2026-05-04T12:00:00Z", "junk", T0 + timedelta(seconds=29))
