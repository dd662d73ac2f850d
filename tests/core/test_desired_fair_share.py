"""How the per-tick create limit is split between pool templates with fresh-create demand
(poolplan.fairShares): one token per floor template first, then the elastic quarter, then
round-robin up to each template's demand, from a seed-rotated start."""

from __future__ import annotations

from core.desired.budget import _fair_shares


def _given(shares: dict[str, int] | None) -> dict[str, int]:
    """The templates that got tokens (Go's map holds only those)."""
    return {t: n for t, n in (shares or {}).items() if n}


def test_a_floor_template_gets_its_whole_demand_in_the_general_round():
    """The floor reserve gives one token; the rest of a floor template's demand competes in the
    round-robin, capped at its demand, and what nobody wants is spare."""
    shares, spare = _fair_shares([("a", 3, True), ("b", 1, False)], 8, 0)
    assert (_given(shares), spare) == ({"a": 3, "b": 1}, 4)


def test_a_template_already_at_its_demand_does_not_stop_the_round_for_the_next():
    """Seed 1 starts the ring at b, which its elastic token already satisfied; a still gets its demand."""
    shares, spare = _fair_shares([("a", 3, True), ("b", 1, False)], 8, 1)
    assert (_given(shares), spare) == ({"a": 3, "b": 1}, 4)


def test_the_rounds_go_on_until_the_limit_is_dealt():
    """Two elastic templates: a quarter of 8 (2) is the elastic slice, the other 6 are dealt
    one at a time round the ring over several rounds."""
    shares, spare = _fair_shares([("a", 5, False), ("b", 5, False)], 8, 0)
    assert (_given(shares), spare) == ({"a": 4, "b": 4}, 0)


def test_the_elastic_slice_stops_mid_round():
    """Three elastic templates, slice 2: only a and b take from it; c leads the next round."""
    shares, spare = _fair_shares([("a", 5, False), ("b", 5, False), ("c", 5, False)], 8, 0)
    assert (_given(shares), spare) == ({"a": 3, "b": 3, "c": 2}, 0)


def test_floor_tokens_stop_when_the_floor_budget_runs_out():
    """Three floor templates and a limit of 2 (no elastic demand, no slice): the first two in
    the ring get a token, the third none."""
    shares, spare = _fair_shares([("a", 1, True), ("b", 1, True), ("c", 1, True)], 2, 0)
    assert (_given(shares), spare) == ({"a": 1, "b": 1}, 0)
    shares, spare = _fair_shares([("a", 1, True), ("b", 1, True), ("c", 1, True)], 2, 2)
    assert (_given(shares), spare) == ({"c": 1, "a": 1}, 0)
