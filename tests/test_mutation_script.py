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
