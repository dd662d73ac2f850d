"""A Sessions row says which identity its session has or is changing to as a field, so an action
on the row (assign work) names that identity without reading it back out of the "old → new"
cell drawn for the operator."""

from __future__ import annotations

from core.demo import open_demo
from core.views.board import board


def test_a_changing_row_names_the_identity_it_changes_to():
    d = open_demo()
    d.step()  # the demo's refinery bead is still harbor/refinery-1; the city wants harbor/refinery
    row = next(r for r in board(d.frame()).sessions if r.bead_id == "gc-1")
    assert row.identity == "harbor/refinery-1 → harbor/refinery"
    assert row.target_identity == "harbor/refinery"
    entry = d.frame().desired.entries[row.key]
    assert row.target_identity == entry.identity


def test_every_row_with_a_bead_or_an_entry_names_an_identity():
    d = open_demo()
    for _ in range(30):
        d.step()
    rows = board(d.frame()).sessions
    for r in rows:
        if "→" not in r.identity:
            assert r.target_identity == r.identity, r
