"""scripts/mutation.py without running mutmut: the score it reports, how it reads mutmut's results
and docs/mutation.md, and that every documented equivalent mutant names a module it runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load():
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_the_score_counts_no_test_mutants_as_survivors_and_leaves_equivalents_out(monkeypatch):
    m = load()
    res = {"core.trackers.a.x_f__mutmut_1": "killed", "core.trackers.a.x_f__mutmut_2": "timeout",
           "core.trackers.a.x_f__mutmut_3": "survived", "core.trackers.a.x_f__mutmut_4": "no tests",
           "core.trackers.a.x_f__mutmut_5": "survived", "core.trackers.a.x_f__mutmut_6": "not checked",
           "core.trackers.a.x_f__mutmut_7": "killed"}
    monkeypatch.setattr(m, "results", lambda module: res)
    eq = {"core.trackers.a.x_f__mutmut_5": "same value", "core.trackers.a.x_f__mutmut_7": "was equivalent",
          "core.trackers.a.x_f__mutmut_99": "gone", "core.identity.x_g__mutmut_1": "other module"}
    s = m.tally("trackers", eq)
    assert (s.killed, s.survived, s.no_tests, s.equivalent, s.not_checked) == (
        3, ["core.trackers.a.x_f__mutmut_3"], ["core.trackers.a.x_f__mutmut_4"], ["core.trackers.a.x_f__mutmut_5"], 1)
    assert round(s.score, 1) == 60.0                      # 3 / (3 + 1 + 1)
    assert s.stale == ["core.trackers.a.x_f__mutmut_7", "core.trackers.a.x_f__mutmut_99"]


def test_docs_mutation_md_rows_are_read_and_name_the_modules_the_script_runs():
    m = load()
    eq = m.equivalents()
    assert eq, "docs/mutation.md lists no equivalent mutant"
    prefixes = tuple(p.rstrip("/").removesuffix(".py").replace("/", ".") + "." for paths, _ in m.MODULES.values()
                     for p in paths)
    for name, why in eq.items():
        assert name.startswith(prefixes), name
        assert len(why) > 20, f"{name}: say why it is equivalent"


def test_each_module_config_names_its_sources_and_the_tests():
    m = load()
    text = m._config(["core/trackers/"], ["tests/core/"])
    assert 'source_paths = ["core/trackers/"]' in text
    assert 'pytest_add_cli_args_test_selection = ["tests/core/"]' in text
    assert all((ROOT / t).exists() for _, tests in m.MODULES.values() for t in tests)


def test_only_runs_exactly_the_matching_mutants_and_needs_one_module(monkeypatch, tmp_path, capsys):
    m = load()
    calls = []
    monkeypatch.setattr(m, "prepare", lambda module: tmp_path)
    monkeypatch.setattr(m, "results", lambda module: {"core.trackers.a.x_f__mutmut_1": "survived"})
    monkeypatch.setattr(m, "_mutmut_run", lambda wd, args, children, seconds, log: calls.append(args))
    m.run("trackers", 1.0, 2, only=["core.trackers.a.x_g__mutmut_*"])
    assert calls == [["core.trackers.a.x_g__mutmut_*"]]   # no retry of the earlier survivor, no full run
    calls.clear()
    m.run("trackers", 1.0, 2)
    assert calls == [["core.trackers.a.x_f__mutmut_1"], []]
    try:
        m.main(["identity", "trackers", "--only", "core.identity.x_*"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("--only with two modules was accepted")
    assert "--only needs exactly one MODULE" in capsys.readouterr().err


def test_a_sample_score_carries_wilsons_interval():
    m = load()
    # Wilson's 95% interval for 45 of 50 is 78.64–95.65%, and for 0 of 10 is 0–27.75% (the
    # textbook values, e.g. statsmodels' proportion_confint(method="wilson")).
    low, high = m.Score("x", killed=45, survived=["a"] * 4, no_tests=["b"], sample=50).interval()
    assert (round(low, 2), round(high, 2)) == (78.64, 95.65)
    assert [round(x, 2) for x in m.Score("x", survived=["a"] * 10).interval()] == [0.0, 27.75]
    assert m.Score("x", killed=45, survived=["a"] * 5, sample=50).to_json()["interval"] == [78.6, 95.7]


def test_the_sample_is_the_same_for_a_seed_leaves_equivalents_out_and_tests_only_what_is_not_killed(
        monkeypatch, tmp_path):
    m = load()
    res = {f"core.trackers.a.x_f__mutmut_{i}": ("killed" if i % 3 else "not checked") for i in range(1, 61)}
    eq = {"core.trackers.a.x_f__mutmut_5": "same value"}
    monkeypatch.setattr(m, "results", lambda module: res)
    one, again = m.draw_sample("trackers", 20, 7, eq), m.draw_sample("trackers", 20, 7, eq)
    assert one == again and len(one) == 20 and len(set(one)) == 20
    assert m.draw_sample("trackers", 20, 8, eq) != one
    assert all(m.draw_sample("trackers", 59, s, eq).count("core.trackers.a.x_f__mutmut_5") == 0 for s in range(5))
    assert len(m.draw_sample("trackers", 500, 7, eq)) == 59       # capped at the mutants there are
    # a mutant going (rewritten, or listed as equivalent) changes the draw only where it was
    gone = next(n for n in sorted(res) if n not in one and n not in eq)
    assert m.draw_sample("trackers", 20, 7, {**eq, gone: "now equivalent"}) == one
    dropped = one[0]
    again = m.draw_sample("trackers", 20, 7, {**eq, dropped: "now equivalent"})
    assert len(set(again) - set(one)) == 1 and set(one) - set(again) == {dropped}
    calls = []
    monkeypatch.setattr(m, "prepare", lambda module: tmp_path)
    monkeypatch.setattr(m, "equivalents", lambda: eq)
    monkeypatch.setattr(m, "_mutmut_run", lambda wd, args, children, seconds, log: calls.append(args))
    m.run_sample("trackers", 20, 7, 1.0, 2)
    assert calls == [[n for n in one if res[n] != "killed"]]       # the killed ones are not run again
    s = m.tally("trackers", eq, one)
    assert (s.sample, s.killed, s.not_checked) == (20, sum(res[n] == "killed" for n in one),
                                                   sum(res[n] != "killed" for n in one))


def test_a_sample_of_a_module_never_run_first_has_mutmut_generate_its_mutants(monkeypatch, tmp_path):
    m = load()
    state: dict[str, str] = {}
    calls = []

    def fake_run(wd, args, children, seconds, log):
        calls.append(args)
        if args == ["no-such-mutant"]:
            state.update({f"core.identity.x_g__mutmut_{i}": "not checked" for i in range(1, 11)})

    monkeypatch.setattr(m, "results", lambda module: dict(state))
    monkeypatch.setattr(m, "prepare", lambda module: tmp_path)
    monkeypatch.setattr(m, "equivalents", lambda: {})
    monkeypatch.setattr(m, "_mutmut_run", fake_run)
    m.run_sample("identity", 4, 1, 1.0, 2)
    assert calls[0] == ["no-such-mutant"] and len(calls) == 2 and len(calls[1]) == 4
