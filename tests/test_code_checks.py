"""The code checks CI runs with the suite: ruff, mypy and the import contracts (lint-imports),
configured in pyproject.toml, and no import cycle among the modules of core and tui (lazy
imports inside functions and TYPE_CHECKING imports count). Each check runs when its tool is
installed (the `test` extra installs them all) and fails with the tool's own report."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent


def _module_tool(module: str) -> list[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", module]


def _passes(command: list[str]) -> None:
    r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(command[1:] if command[0] == sys.executable else command)} " \
                              f"found problems:\n{r.stdout}{r.stderr}"


def test_ruff_finds_nothing():
    _passes(_module_tool("ruff") + ["check", "--no-cache", "core", "tui", "scripts", "tests"])


def test_mypy_finds_nothing_in_core_and_tui():
    _passes(_module_tool("mypy"))  # files and strictness: [tool.mypy]


def test_the_import_contracts_hold():
    lint_imports = BIN / "lint-imports"
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    _passes([str(lint_imports), "--no-cache"])


def import_cycles(packages: tuple[str, ...]) -> list[list[str]]:
    """Each set of modules that import one another round in a circle (strongly connected
    components of more than one module), sorted; [] when the import graph has no cycle."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph(*packages, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                m = stack.pop()
                on_stack.discard(m)
                component.append(m)
                if m == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph.modules)))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(cycles)


def test_no_import_cycle_among_the_modules_of_core_and_tui():
    assert import_cycles(("core", "tui")) == []


def test_the_cycle_check_sees_a_cycle_closed_by_an_import_inside_a_function(tmp_path, monkeypatch):
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclepkg import b\n")
    (pkg / "b.py").write_text("def later():\n    from cyclepkg import a\n    return a\n")
    (pkg / "c.py").write_text("from cyclepkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(("cyclepkg",)) == [["cyclepkg.a", "cyclepkg.b"]]
