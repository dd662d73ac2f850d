"""The code checks CI runs with the suite: ruff, mypy and the import contracts (lint-imports),
configured in pyproject.toml, no import cycle among the modules of core and tui (lazy
imports inside functions and TYPE_CHECKING imports count), and no function in core over 60
lines. Each check runs when its tool is
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


MAX_FUNCTION_LINES = 60


def long_functions(root: pathlib.Path) -> list[str]:
    """Functions (and methods) of more than MAX_FUNCTION_LINES lines under `root`, longest first."""
    import ast

    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append((lines, f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)"))
    return [text for _, text in sorted(found, reverse=True)]


def test_no_function_in_core_is_over_sixty_lines():
    assert long_functions(ROOT / "core") == []


def test_the_length_check_sees_a_long_function(tmp_path):
    (tmp_path / "m.py").write_text("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES + "\ndef g():\n    pass\n")
    assert long_functions(tmp_path) == ["m.py:1 f (61 lines)"]


def test_mypy_finds_nothing_in_core_and_tui():
    _passes(_module_tool("mypy"))  # files and strictness: [tool.mypy]


def test_the_import_contracts_hold():
    lint_imports = BIN / "lint-imports"
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    _passes([str(lint_imports), "--no-cache"])


def import_graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of `packages` and the modules of `packages` it imports (at the top, inside a
    function or under TYPE_CHECKING alike)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles_of(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each set of nodes that reach one another round a circle (strongly connected components
    of more than one node), sorted; [] when the graph has no cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                m = stack.pop()
                on_stack.discard(m)
                component.append(m)
                if m == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges)))
    try:
        for node in sorted(edges):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(cycles)


def import_cycles(packages: tuple[str, ...]) -> list[list[str]]:
    """The import cycles among the modules of `packages` (see cycles_of)."""
    return cycles_of(import_graph(packages))


def collapsed(edges: dict[str, set[str]], root: str) -> dict[str, set[str]]:
    """The import graph with every module below `root` folded into the package or module
    directly under it (core.reconcile.tick and core.reconcile.awake are both core.reconcile);
    imports within one of them are dropped."""
    def top(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if parts[0] == root and len(parts) > 1 else module

    out: dict[str, set[str]] = {}
    for module, imported in edges.items():
        if module != root and not module.startswith(root + "."):
            continue
        node = top(module)
        out.setdefault(node, set()).update(top(m) for m in imported
                                           if m.startswith(root + ".") and top(m) != node)
    return out


def package_cycles(root: str) -> list[list[str]]:
    """The import cycles among the top-level packages and modules of `root` (see collapsed)."""
    return cycles_of(collapsed(import_graph((root,)), root))


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


def test_no_import_cycle_among_the_packages_of_core():
    assert package_cycles("core") == []


def test_the_package_check_sees_a_cycle_between_two_packages_that_no_module_cycle_shows(tmp_path, monkeypatch):
    root = tmp_path / "pkgcycle"
    for sub in ("p", "q"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "p" / "one.py").write_text("from pkgcycle.q import two\n")
    (root / "q" / "two.py").write_text("")
    (root / "q" / "three.py").write_text("def later():\n    from pkgcycle.p import four\n    return four\n")
    (root / "p" / "four.py").write_text("")
    (root / "lone.py").write_text("from pkgcycle.p import one\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(("pkgcycle",)) == []
    assert package_cycles("pkgcycle") == [["pkgcycle.p", "pkgcycle.q"]]
