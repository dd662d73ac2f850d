"""Desired entries grouped by template as they are set (what the build's floor and discovery
steps ask instead of scanning every entry)."""

from __future__ import annotations

from core.desired.entries import DesiredEntry, DesiredResult, Entries


def e(name: str, template: str) -> DesiredEntry:
    return DesiredEntry(name, template, name, name, 0, "new")


def test_entries_group_by_template_and_follow_an_overwrite():
    entries = Entries()
    entries["a"] = e("a", "r/w")
    entries["b"] = e("b", "r/w")
    entries["c"] = e("c", "r/x")
    assert [x.session_name for x in entries.of_template("r/w")] == ["a", "b"]
    entries["a"] = e("a", "r/x")  # the same session name now desired for another template
    assert [x.session_name for x in entries.of_template("r/w")] == ["b"]
    assert [x.session_name for x in entries.of_template("r/x")] == ["c", "a"]
    assert entries.of_template("none") == []
    assert dict(entries) == {"a": entries["a"], "b": entries["b"], "c": entries["c"]}


def test_a_result_built_from_a_plain_dict_groups_its_entries():
    r = DesiredResult(entries={"a": e("a", "r/w")})
    assert isinstance(r.entries, Entries)
    assert [x.session_name for x in r.entries.of_template("r/w")] == ["a"]
