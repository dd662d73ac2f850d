"""Gas City's builtin packs ship with citywatch: an import of `core`, `bd` or `dolt` from Gas City's
repository resolves to the shipped copy with no flag, exactly when `gc` would serve it offline
(no pin, or the canonical one, also through packs.lock); `--packs` copies override it; every
other remote source stays unresolved and is never fetched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from factories import write_city

from core.config import builtin
from core.config.load import load_city, load_city_from_table, load_city_text
from core.session.driver import open_city
from tui.cli import main

GASCITY = "https://github.com/gastownhall/gascity"
CORE_SLASH = f"{GASCITY}.git//internal/bootstrap/packs/core"
PIN = builtin.CANONICAL_PIN


def city(tmp_path: Path, body: str) -> Path:
    return write_city(tmp_path, body).parent


def core_import(tmp_path: Path, source: str, version: str = "") -> object:
    ver = f'version = "{version}"\n' if version else ""
    c = load_city(str(city(tmp_path, f'[imports.core]\nsource = "{source}"\n{ver}')))
    (imp,) = c.imports
    return imp


@pytest.mark.parametrize("source", [
    CORE_SLASH,
    f"{GASCITY}//internal/bootstrap/packs/core",  # without .git
    "github.com/gastownhall/gascity.git//internal/bootstrap/packs/core",  # without a scheme
    f"{GASCITY}/tree/main/internal/bootstrap/packs/core",  # the GitHub tree URL gc now writes
    f"{GASCITY}/blob/main/internal/bootstrap/packs/core/pack.toml",
    f"{CORE_SLASH}#main",
])
def test_every_spelling_of_the_core_source_resolves_to_the_shipped_copy(tmp_path, source):
    imp = core_import(tmp_path, source, PIN)
    assert imp.resolved_via == "builtin"
    assert imp.resolved_path == os.path.join(builtin.ROOT, "core")
    assert imp.builtin == "builtin core 0.1.0 (Gas City 9e89da7c, pin sha:f895c0ff)"


@pytest.mark.parametrize("source", [
    f"{GASCITY}-fork.git//internal/bootstrap/packs/core",  # another repository
    f"{GASCITY}.git//internal/bootstrap/packs/core/agents",  # another folder
    f"{GASCITY}.git//examples/gastown/packs/gastown",  # bundled by gc from a module citywatch lacks
    "https://gitlab.com/gastownhall/gascity.git//examples/bd",
])
def test_sources_that_are_not_a_shipped_pack_stay_unresolved(tmp_path, source):
    imp = core_import(tmp_path, source)
    assert not imp.resolved and imp.resolved_via == ""
    assert "not fetched" in imp.unresolved_reason


def test_bd_brings_its_dolt_subpack_and_the_legacy_dolt_subpath_resolves(tmp_path):
    c = load_city(str(city(tmp_path, f"""
        [imports.bd]
        source = "{GASCITY}.git//examples/bd"
        [imports.old]
        source = "{GASCITY}.git//examples/dolt"
        """)))
    via = {i.binding: (i.resolved_via, i.builtin) for i in c.imports}
    assert via["bd"] == ("builtin", "builtin bd (Gas City 9e89da7c, pin sha:f895c0ff)")
    assert via["dolt"] == ("local", "")  # bd's own `./dolt` import, inside the shipped copy
    assert via["old"][0] == "builtin"
    assert "bd.dog" in [a.qualified_name for a in c.agents]


@pytest.mark.parametrize("version, served", [
    ("", True),
    (PIN, True),
    (PIN.removeprefix("sha:"), True),  # gc compares the commit with or without the prefix
    (PIN[:12], False),  # an abbreviated sha is another pin: gc would fetch it
    (PIN.upper(), False),
    ("sha:0000000000000000000000000000000000000000", False),
])
def test_only_the_canonical_pin_is_served_offline(tmp_path, version, served):
    imp = core_import(tmp_path, CORE_SLASH, version)
    assert imp.resolved == served
    if not served:
        assert "not the canonical" in imp.unresolved_reason and "never fetches" in imp.unresolved_reason


def test_a_superseded_pin_asks_for_gc_doctor_fix(tmp_path):
    imp = core_import(tmp_path, CORE_SLASH, builtin.SUPERSEDED_PINS[0])
    assert not imp.resolved and "gc doctor --fix" in imp.unresolved_reason


def test_packs_lock_pins_before_the_declared_version(tmp_path):
    (tmp_path / "packs.lock").write_text(f'[packs."{CORE_SLASH}"]\ncommit = "{PIN.removeprefix("sha:")}"\n')
    assert core_import(tmp_path, CORE_SLASH, "sha:1111").resolved  # the lock wins over the declaration
    (tmp_path / "packs.lock").write_text(f'[packs."{CORE_SLASH}"]\ncommit = "2222"\n')
    imp = core_import(tmp_path, CORE_SLASH, PIN)
    assert not imp.resolved and "sha:2222" in imp.unresolved_reason


@pytest.mark.parametrize("lock", ["garbage [", "\udcff"])
def test_an_unreadable_packs_lock_is_a_reason_not_a_crash(tmp_path, lock):
    (tmp_path / "packs.lock").write_bytes(lock.encode("utf-8", "surrogateescape"))
    imp = core_import(tmp_path, CORE_SLASH, PIN)
    assert not imp.resolved and "packs.lock" in imp.unresolved_reason


def test_a_fifo_packs_lock_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "packs.lock")  # opening it would block forever
    imp = core_import(tmp_path, CORE_SLASH, PIN)
    assert not imp.resolved and "not a regular file" in imp.unresolved_reason


def test_packs_dir_copies_override_and_a_missing_one_falls_back_to_the_shipped_copy(tmp_path):
    packs = tmp_path / "packs"
    (packs / "core").mkdir(parents=True)
    (packs / "core" / "pack.toml").write_text('[pack]\nname = "core"\nschema = 2\n[[agent]]\nname = "mine"\n')
    root = city(tmp_path, f"""
        [imports.core]
        source = "{CORE_SLASH}"
        [imports.bd]
        source = "{GASCITY}.git//examples/bd"
        """)
    c = load_city(str(root), packs_dir=str(packs))
    via = {i.binding: i.resolved_via for i in c.imports}
    assert via["core"] == "packs-dir" and via["bd"] == "builtin"
    assert "core.mine" in [a.qualified_name for a in c.agents]
    assert "core.control-dispatcher" not in [a.qualified_name for a in c.agents]


def test_every_loader_resolves_the_shipped_packs(tmp_path):
    body = f'[workspace]\nname = "c"\n[imports.core]\nsource = "{CORE_SLASH}"\n'
    root = city(tmp_path, body)
    want = "core.control-dispatcher"
    assert want in [a.qualified_name for a in load_city(str(root)).agents]  # config show, explain, attach
    assert want in [a.qualified_name for a in load_city_text(body, str(root), "city.toml").agents]  # reload
    table = {"workspace": {"name": "c"}, "imports": {"core": {"source": CORE_SLASH}}}
    assert want in [a.qualified_name for a in load_city_from_table(table, str(root), "s.toml").agents]  # scenario
    assert want in [a.qualified_name for a in open_city(str(root / "city.toml")).model.city.agents]  # the app


def test_config_show_names_the_builtin_version_it_used(tmp_path, capsys):
    root = city(tmp_path, f'[imports.core]\nsource = "{CORE_SLASH}"\nversion = "{PIN}"\n')
    assert main(["config", "show", str(root)]) == 0
    out = capsys.readouterr().out
    assert "Builtin packs used (1)" in out and "builtin core 0.1.0 (Gas City 9e89da7c" in out
    assert "builtin:core/agents/control-dispatcher/agent.toml" in out  # the same text on every install
    assert main(["config", "show", str(root), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["builtin_packs"] == ["builtin core 0.1.0 (Gas City 9e89da7c, pin sha:f895c0ff)"]
    (imp,) = s["imports"]
    assert (imp["resolved_via"], imp["resolved_path"]) == ("builtin", "builtin:core")


def test_the_shipped_copies_are_the_files_the_loader_reads(tmp_path):
    shipped = sorted(str(p.relative_to(builtin.ROOT)) for p in Path(builtin.ROOT).rglob("*") if p.is_file())
    assert shipped == ["LICENSE", "PROVENANCE.md", "bd/dolt/agents/dog/agent.toml", "bd/dolt/pack.toml",
                       "bd/pack.toml", "core/agents/control-dispatcher/agent.toml", "core/pack.toml"]
