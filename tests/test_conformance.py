"""The conformance suite (tests/conformance): Gas City's own Go tests of the desired-state build,
pool desired state, session bead sync, the session reconciler, adoption and the lifecycle
trackers, each ported as a scenario file (one per test function or table row) that encodes
exactly the Go test's assertions. Every file runs through `citywatch scenario check`'s code path
and its trace codes are checked against Gas City's vocabulary.

Each file's `source` names the Go file (`cmd/gc/<file>_test.go`) and the test function (and
table row). A case the model cannot reproduce yet carries `xfail = "reason"`: a strict xfail,
which fails the suite the moment it passes. tests/conformance/README.md lists the Go tests not
ported and why.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from core.scenario.file import check, load_scenario, run
from tests.trace_codes import code_problems

ROOT = pathlib.Path(__file__).parent / "conformance"
# tests/conformance/config/ holds the config suite (fixture directories, its own runner).
FILES = sorted(p for p in ROOT.rglob("*.toml") if p.relative_to(ROOT).parts[0] != "config")
SOURCE = re.compile(r"cmd/gc/(\w+_test\.go) (Test\w+)")


def _param(path: pathlib.Path):
    marks = []
    for line in path.read_text().splitlines():
        if line.startswith("xfail"):
            reason = line.split("=", 1)[1].strip().strip('"')
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
            break
    return pytest.param(path, id=str(path.relative_to(ROOT)), marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in FILES])
def test_conformance_case(path: pathlib.Path) -> None:
    scn = load_scenario(str(path))
    ran = run(scn)
    failures = check(ran) + [f"trace code outside Gas City's vocabulary: {p}" for p in code_problems(ran.states)]
    assert not failures, "\n".join(failures)


def test_every_case_names_its_go_file_and_test() -> None:
    for p in FILES:
        scn = load_scenario(str(p))
        m = SOURCE.search(scn.source)
        assert m, f"{p.name}: source must name cmd/gc/<file>_test.go and the Test function ({scn.source!r})"
        assert p.parent.name == m.group(1).removesuffix(".go"), f"{p}: file under the directory of its Go file"
        assert p.stem.split("--")[0] == m.group(2), f"{p.name}: named after its test function ({m.group(2)})"


def test_the_suite_is_large_enough_and_its_readme_lists_what_is_not_ported() -> None:
    assert len(FILES) >= 250, len(FILES)
    readme = (ROOT / "README.md").read_text()
    ported = {SOURCE.search(load_scenario(str(p)).source).group(2) for p in FILES}
    for name in re.findall(r"^\| `(Test\w+)` \|", readme, re.M):
        assert name not in ported, f"{name} is listed as not ported but has a case"


def test_the_readme_counts_follow_from_the_case_files() -> None:
    """Its case, ported and not-ported counts are what scripts/conformance_readme.py computes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("conformance_readme", ROOT.parent.parent / "scripts" / "conformance_readme.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    readme = (ROOT / "README.md").read_text()
    assert mod.render(readme) == readme, "counts out of date: run python scripts/conformance_readme.py"
    assert f"**{len(FILES)} cases**" in readme
