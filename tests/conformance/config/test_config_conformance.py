"""Gas City's own config tests, ported as fixture cities and checked through `citywatch config
show --json`.

Each case is a directory under cases/<go test file>/<test>[__<row>]/ holding a city (city.toml
with its fragments, packs, root pack.toml and .gc/site.toml as the Go test wrote them) and a
case.toml: `source` (the Go test, and where citywatch's port differs in form), optional
`packs` (the --packs directory, relative to the case), optional `xfail` (a strict xfail with the
reason), optional `city` (the city's directory inside the case, when its packs live beside it)
and `[expect]` (see README.md). A case passes when `config show` agrees with what Gas
City's test asserts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli

from tui.cli import main

CASES = Path(__file__).parent / "cases"
_EXPECT_KEYS = {
    "error", "error_field", "error_file", "error_line", "agents", "agents_include", "agents_exclude",
    "named_sessions", "named_include", "disabled_named_sessions", "rigs", "warnings", "warnings_exclude",
    "no_warnings", "validation_errors", "valid", "agent", "rig", "named", "city", "imports_unresolved",
    "providers", "provider_spec", "sections", "sections_absent", "start_warnings", "no_start_warnings",
}


@dataclass(frozen=True)
class Case:
    id: str
    dir: Path
    spec: dict[str, Any]


def load_cases() -> list[Case]:
    out = []
    for f in sorted(CASES.rglob("case.toml")):
        spec = tomli.loads(f.read_text())
        out.append(Case(str(f.parent.relative_to(CASES)), f.parent, spec))
    return out


ALL = load_cases()


def _params() -> list:
    out = []
    for c in ALL:
        marks = [pytest.mark.xfail(reason=c.spec["xfail"], strict=True)] if c.spec.get("xfail") else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def test_the_suite_is_large_and_every_case_is_well_formed():
    assert len(ALL) >= 250
    for c in ALL:
        assert str(c.spec.get("source", "")).startswith("internal/config/"), c.id
        assert (city_dir(c) / "city.toml").is_file(), c.id
        unknown = set(c.spec.get("expect", {})) - _EXPECT_KEYS
        assert not unknown and c.spec.get("expect"), (c.id, unknown)


def city_dir(c: Case) -> Path:
    return c.dir / c.spec.get("city", ".")


def show(c: Case, capsys) -> tuple[int, str, str]:
    argv = ["config", "show", str(city_dir(c)), "--json"]
    if c.spec.get("packs"):
        argv += ["--packs", str(c.dir / c.spec["packs"])]
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def _get(row: dict[str, Any], dotted: str) -> Any:
    v: Any = row
    for part in dotted.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def _check_rows(rows: list[dict[str, Any]], wanted: list[dict[str, Any]], key: str, what: str) -> None:
    by = {r[key]: r for r in rows}
    for w in wanted:
        assert w[key] in by, f"{what} {w[key]!r} not in {sorted(by)}"
        row = by[w[key]]
        for k, v in w.items():
            if k == "absent":  # keys the row must not have (TOML has no null)
                for gone in v:
                    assert _get(row, gone) is None, f"{what} {w[key]!r}: {gone} = {_get(row, gone)!r}, want none"
            elif k != key:
                assert _get(row, k) == v, f"{what} {w[key]!r}: {k} = {_get(row, k)!r}, want {v!r}"


def _contains_each(found: list[str], wanted: list[str], what: str) -> None:
    for w in wanted:
        assert any(w in f for f in found), f"no {what} contains {w!r}: {found}"


def _with_city(value: Any, city: str) -> Any:
    """`{city}` in an expected string stands for the city's directory (absolute paths)."""
    if isinstance(value, str):
        return value.replace("{city}", city)
    if isinstance(value, list):
        return [_with_city(v, city) for v in value]
    if isinstance(value, dict):
        return {k: _with_city(v, city) for k, v in value.items()}
    return value


@pytest.mark.parametrize("c", _params())
def test_case(c: Case, capsys):
    exp = _with_city(c.spec["expect"], str(city_dir(c).resolve()))
    rc, out, err = show(c, capsys)
    assert "Traceback" not in err
    if "error" in exp:
        assert rc == 2 and out == "", f"expected a refusal, got exit {rc}: {err}"
        assert exp["error"] in err, err
        where = os.path.normpath(city_dir(c) / exp.get("error_file", "city.toml"))
        if "error_file" in exp or "error_field" in exp:
            assert f"citywatch: {where}" in err, err
        if "error_field" in exp:
            assert f"{where}: {exp['error_field']}: " in err, err
        if "error_line" in exp:
            assert f"(line {exp['error_line']})" in err or f"{where}:{exp['error_line']}:" in err, err
        return
    assert rc == 0, err
    s = json.loads(out)
    agents = [a["qualified_name"] for a in s["agents"]]
    if "agents" in exp:
        assert agents == exp["agents"]
    for a in exp.get("agents_include", []):
        assert a in agents, f"{a!r} not in {agents}"
    for a in exp.get("agents_exclude", []):
        assert a not in agents, f"{a!r} in {agents}"
    named = [n["identity"] for n in s["named_sessions"]]
    if "named_sessions" in exp:
        assert named == exp["named_sessions"]
    for n in exp.get("named_include", []):
        assert n in named, f"{n!r} not in {named}"
    if "disabled_named_sessions" in exp:
        assert [n["identity"] for n in s["disabled_named_sessions"]] == exp["disabled_named_sessions"]
    if "rigs" in exp:
        assert [r["name"] for r in s["rigs"]] == exp["rigs"]
    if "providers" in exp:
        assert s["city"]["providers"] == exp["providers"]
    _contains_each(s["warnings"], exp.get("warnings", []), "warning")
    for w in exp.get("warnings_exclude", []):
        assert not any(w in x for x in s["warnings"]), f"a warning contains {w!r}: {s['warnings']}"
    if exp.get("no_warnings"):
        assert s["warnings"] == []
    _contains_each(s["validation_errors"], exp.get("validation_errors", []), "validation error")
    _contains_each(s["start_warnings"], exp.get("start_warnings", []), "start warning")
    if exp.get("no_start_warnings"):
        assert s["start_warnings"] == []
    if exp.get("valid"):
        assert s["validation_errors"] == []
    if "imports_unresolved" in exp:
        assert [i["binding"] or i["source"] for i in s["unresolved_imports"]] == exp["imports_unresolved"]
    _check_rows(s["agents"], exp.get("agent", []), "qualified_name", "agent")
    _check_rows(s["rigs"], exp.get("rig", []), "name", "rig")
    _check_rows(s["named_sessions"], exp.get("named", []), "identity", "named session")
    specs = [{"name": k, **v} for k, v in s["provider_specs"].items()]
    _check_rows(specs, exp.get("provider_spec", []), "name", "provider")
    for k, v in exp.get("sections", {}).items():  # dotted paths into the merged raw sections
        assert _get(s["sections"], k) == v, f"section {k} = {_get(s['sections'], k)!r}, want {v!r}"
    for k in exp.get("sections_absent", []):
        assert _get(s["sections"], k) is None, f"section {k} = {_get(s['sections'], k)!r}, want none"
    for k, v in exp.get("city", {}).items():
        assert _get(s["city"], k) == v, f"city {k} = {_get(s['city'], k)!r}, want {v!r}"
