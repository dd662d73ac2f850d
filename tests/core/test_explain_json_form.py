"""The explanation's JSON form is pinned: `citywatch explain --json` prints, byte for byte, what
it printed before the explanation became typed records (fixtures/explain-golden, one file per
case: a deferred alias with its retry, a lowered max with history and a scale_check read, a
closed orphan that is not desired, an open circuit's hold), and `Explanation.to_json()` keeps
its key order and gives plain JSON values (lists, not tuples) that survive a JSON round trip."""

from __future__ import annotations

import json
import pathlib

import pytest

from core.explain.explanation import explain_session
from core.explain.records import Explanation
from core.explain.run import run_target
from core.views.roster import agent_detail, agent_rows
from tui.cli import main

ROOT = pathlib.Path(__file__).parent.parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "explain-golden"
S8 = "tests/scenarios/incidents/S8-deferred-alias-backoff.toml"

CASES = [
    ("S8-gc-2", S8, "gc-2"),
    ("RELOAD-max-lowered-worker", "tests/scenarios/reconcile/RELOAD-max-lowered.toml", "worker"),
    ("R18-gc-1", "tests/scenarios/reconcile/R18-orphan-dead-closed.toml", "gc-1"),
    ("CIRC04-gc-session-a", "tests/scenarios/fidelity/CIRC04-restored-open-breaker-logs-once.toml", "gc-session-a"),
]


@pytest.mark.parametrize("name, path, key", CASES, ids=[c[0] for c in CASES])
def test_explain_json_is_byte_for_byte_the_pinned_form(name, path, key, monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)  # the target's path is printed as given
    assert main(["explain", path, key, "--json"]) == 0
    assert capsys.readouterr().out == (GOLDEN / f"{name}.json").read_text()


def _plain(v: object) -> bool:
    """Only the types json.loads gives back (so a round trip is the identity)."""
    if isinstance(v, dict):
        return all(isinstance(k, str) and _plain(x) for k, x in v.items())
    if isinstance(v, list):
        return all(_plain(x) for x in v)
    return v is None or isinstance(v, (str, int, float, bool))


def test_to_json_keeps_its_key_order_and_round_trips() -> None:
    ran = run_target(str(ROOT / S8))
    x = explain_session(ran.model, "gc-2", outcome=ran.last, history=ran.history, awake=ran.awake)
    assert isinstance(x, Explanation) and x.alias is not None and x.alias.retry is not None
    doc = x.to_json()
    assert _plain(doc)
    assert json.loads(json.dumps(doc)) == doc
    # the order the Why panel and the text form list the fields in, not only the key set
    assert json.dumps(doc, indent=1) + "\n" == (GOLDEN / "S8-gc-2.in-order.json").read_text()


def test_a_session_nothing_matches_and_a_templates_detail_keep_their_forms() -> None:
    ran = run_target(str(ROOT / S8))
    missing = explain_session(ran.model, "nobody").to_json()
    assert list(missing) == ["session", "found", "summary", "rules", "desired", "matched_by", "also_matches",
                             "identity", "alias", "slot", "demand", "lifecycle"]
    assert missing["found"] is False and missing["rules"] == [] and missing["lifecycle"] == {}
    for row in agent_rows(ran.model):
        detail = agent_detail(ran.model, row.key)
        assert detail is not None
        doc = detail.to_json()
        assert list(doc) == ["summary", "identity", "demand"] and _plain(doc)
        assert list(doc["identity"]) == ["template", "shape", "shape_detail", "bounds", "suspended", "no_session",
                                         "suspended_by"]
        assert list(doc["demand"]) == ["scale_check", "source", "partial", "desired", "open", "running"]
        assert doc["identity"]["template"] == row.key and doc["demand"]["desired"] == row.desired
