"""DesiredResult.share_unchanged: consecutive recorded builds share the entries and request
lists that did not change (tick history keeps hundreds of builds), and only those."""

from __future__ import annotations

from core.desired.model import DesiredEntry, DesiredResult, Entries, Request


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


def test_nothing_to_share_with():
    new = result(entry("a", "w-1"), requests={"w": [Request("w", "new")]})
    a, w = new.entries["a"], new.requests["w"]
    new.share_unchanged(None)
    new.share_unchanged(new)
    assert new.entries["a"] is a and new.requests["w"] is w
