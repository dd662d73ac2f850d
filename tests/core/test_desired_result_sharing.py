"""DesiredResult.share_unchanged: consecutive recorded builds share the entries and request
lists that did not change (tick history keeps hundreds of builds), and only those."""

from __future__ import annotations

from core.desired.entries import DesiredEntry, DesiredResult, Entries, Request


def entry(name: str, identity: str) -> DesiredEntry:
    return DesiredEntry(session_name=name, template="w", identity=identity, alias=identity, pool_slot=1, source="new")


def result(*entries: DesiredEntry, requests: dict | None = None) -> DesiredResult:
    return DesiredResult(entries=Entries({e.session_name: e for e in entries}), requests=requests or {})


def test_equal_values_become_the_previous_objects_and_changed_ones_stay_new():
    prev = result(entry("a", "w-1"), entry("b", "w-2"), requests={"w": [Request("w", "new")], "v": [Request("v", "new")]})
    new = result(entry("a", "w-1"), entry("b", "w-9"), entry("c", "w-3"),
                 requests={"w": [Request("w", "new")], "v": [Request("v", "resume")]})
    kept_b, kept_c, kept_v = new.entries["b"], new.entries["c"], new.requests["v"]
    new.share_unchanged(prev)
    assert new.entries["a"] is prev.entries["a"]
    assert new.entries["b"] is kept_b and new.entries["c"] is kept_c
    assert new.requests["w"] is prev.requests["w"] and new.requests["v"] is kept_v
    assert new.entries["b"].identity == "w-9"


def test_a_template_whose_entries_did_not_change_keeps_the_previous_group():
    """When another template changed, the entries map is new, but the per-template group of an
    unchanged template is the previous one (one copy in the recorded history); a changed
    template's group stays new, and both still answer of_template."""
    def v(name: str, identity: str) -> DesiredEntry:
        return DesiredEntry(session_name=name, template="v", identity=identity, alias=identity, pool_slot=1,
                            source="new")

    prev = result(entry("a", "w-1"), entry("b", "w-2"), v("x", "v-1"))
    new = result(entry("a", "w-1"), entry("b", "w-2"), v("x", "v-2"))
    new_v = new.entries._by_template["v"]
    new.share_unchanged(prev)
    assert new.entries is not prev.entries
    assert new.entries._by_template["w"] is prev.entries._by_template["w"]
    assert new.entries._by_template["v"] is new_v
    assert [e.identity for e in new.entries.of_template("w")] == ["w-1", "w-2"]
    assert [e.identity for e in new.entries.of_template("v")] == ["v-2"]


def test_nothing_to_share_with():
    new = result(entry("a", "w-1"), requests={"w": [Request("w", "new")]})
    a, w = new.entries["a"], new.requests["w"]
    new.share_unchanged(None)
    new.share_unchanged(new)
    assert new.entries["a"] is a and new.requests["w"] is w


def test_the_state_json_rows_of_an_entry_and_a_request():
    """The desired[] and requests[] rows of the state JSON (docs/scenario-format.md and
    docs/scenario-extensions.md name every key)."""
    from core.desired.entries import Why

    e = DesiredEntry(session_name="mayor", template="town/mayor", identity="town/mayor", alias="town/mayor",
                     pool_slot=0, source="named-always", bead_id="gc-1", named_identity="town/mayor",
                     named_mode="always", manual=False, dependency_only=False, work_bead_id="w-1",
                     env={"GC_TEMPLATE": "town/mayor", "GC_ALIAS": "town/mayor"},
                     why=[Why("shape.named", "a configured named session")])
    assert e.to_json() == {
        "session_name": "mayor", "template": "town/mayor", "identity": "town/mayor", "alias": "town/mayor",
        "pool_slot": 0, "source": "named-always", "bead_id": "gc-1", "named": True, "named_identity": "town/mayor",
        "named_mode": "always", "manual": False, "dependency_only": False, "work_bead_id": "w-1",
        "env": {"GC_ALIAS": "town/mayor", "GC_TEMPLATE": "town/mayor"},
        "why": [{"rule": "shape.named", "detail": "a configured named session"}]}
    assert list(e.to_json()["env"]) == ["GC_ALIAS", "GC_TEMPLATE"]
    floor = DesiredEntry(session_name="db-gc-2", template="db", identity="db-gc-2", alias="", pool_slot=0,
                         source="dependency-floor", manual=True, dependency_only=True)
    assert (floor.to_json()["named"], floor.to_json()["manual"], floor.to_json()["dependency_only"]) == (False, True, True)
    r = Request("w", "resume", session_bead_id="gc-3", work_bead_id="w-2", priority=5, floor=True, inflight=True)
    assert r.to_json() == {"tier": "resume", "session_bead_id": "gc-3", "work_bead_id": "w-2", "priority": 5,
                           "floor": True, "inflight": True}
    assert Request("w", "new").to_json() == {"tier": "new", "session_bead_id": "", "work_bead_id": "", "priority": 0,
                                             "floor": False, "inflight": False}
