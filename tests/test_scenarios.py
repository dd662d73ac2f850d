"""Every scenario under tests/scenarios runs through `citywatch scenario check`'s code path.

A scenario carrying `xfail = "reason"` is a catalog case the model cannot reproduce yet: it is
a strict xfail, so it fails the suite the moment it starts passing (remove the mark then).
"""

from __future__ import annotations

import pathlib

import pytest

from core.scenario.file import check, load_scenario, run
from tests.trace_codes import code_problems

ROOT = pathlib.Path(__file__).parent / "scenarios"
FILES = sorted(ROOT.rglob("*.toml"))


def _param(path: pathlib.Path):
    text = path.read_text()
    marks = []
    for line in text.splitlines():
        if line.startswith("xfail"):
            reason = line.split("=", 1)[1].strip().strip('"')
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
            break
    return pytest.param(path, id=str(path.relative_to(ROOT)), marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in FILES])
def test_scenario(path: pathlib.Path) -> None:
    scn = load_scenario(str(path))
    ran = run(scn)
    failures = check(ran) + [f"trace code outside Gas City's vocabulary: {p}" for p in code_problems(ran.states)]
    assert not failures, "\n".join(failures)


def test_catalog_ids_are_in_names_and_sources() -> None:
    for p in FILES:
        case = p.name.split("-", 1)[0]
        scn = load_scenario(str(p))
        assert case in scn.source, f"{p.name}: the case id {case} must appear in source ({scn.source!r})"
