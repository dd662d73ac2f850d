"""`explain` answers for every session of every scenario: after every step, each bead id and
each desired identity gets a found explanation with a non-empty rule chain, a JSON form that
serializes, and a text form; at the end, through the same path as `citywatch explain`."""

from __future__ import annotations

import json
import pathlib
from dataclasses import replace

import pytest

from core.explain.explanation import explain_session, render_explanation
from core.explain.records import Explanation
from core.explain.run import explain_target, run_target
from core.model.facade import ModelError
from core.outcome import Outcome
from core.scenario.file import load_scenario

ROOT = pathlib.Path(__file__).parent.parent / "scenarios"
FILES = sorted(ROOT.rglob("*.toml"))


def _keys(model) -> list[tuple[str, str]]:
    keys = [("bead", b.id) for b in model.world.store.all_sessions()]
    d = model.last_desired
    for e in (d.sorted_entries() if d else []):
        if ("identity", e.identity) not in keys:
            keys.append(("identity", e.identity))
    return keys


def test_scenarios_exist() -> None:
    assert len(FILES) > 200
    assert any(p.parent.name == "incidents" for p in FILES)


def _check(model, kind: str, key: str, where: str, outcome=None, history=None) -> Explanation:
    x = explain_session(model, key, outcome=outcome, history=history)
    where = f"{where}: explain {kind} {key!r}"
    assert x.found, where
    assert x.rules, f"{where}: empty rule list"
    for r in x.rules:
        assert r.rule and "." in r.rule and r.detail, f"{where}: bad rule {r}"
    assert x.summary, where
    assert json.loads(json.dumps(x.to_json(), sort_keys=True))["summary"] == x.summary, where
    assert render_explanation(x).startswith(x.summary), where
    if kind == "bead":
        assert x.matched_by == "bead id" and x.lifecycle.bead == key, where
        desired = model.last_desired is not None and any(e.bead_id == key for e in model.last_desired.entries.values())
        assert x.desired == desired, where
        if not desired:
            assert x.rules[-1].rule.startswith("undesired."), where
    else:
        # A more specific spelling (another bead's session name) may win; the answer is still
        # about something that carries that name.
        names = {x.identity.desired_identity, x.alias.desired, *x.identity.spellings}
        assert key in names, f"{where}: answered for {x['lifecycle']['bead']} ({names})"
    return x


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_explain_every_session_after_every_step(path: pathlib.Path) -> None:
    scn = load_scenario(str(path))
    model = scn.model()
    for n, st in enumerate(scn.steps, 1):
        try:
            out = scn.apply(model, st)
        except ModelError as e:
            out = Outcome(error=str(e))
        for kind, key in _keys(model):
            _check(model, kind, key, f"{path.name} step {n}", outcome=out)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_explain_target_every_session(path: pathlib.Path) -> None:
    ran = run_target(str(path))
    for kind, key in _keys(ran.model):
        x = explain_target(str(path), key)
        assert x.target.steps_run == ran.steps_run == x.target.steps_total
        assert x.session == key and x.rules, f"{path.name}: {key}"
        assert x == replace(_check(ran.model, kind, key, path.name, ran.last, ran.history), target=x.target)
