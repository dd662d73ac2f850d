"""Load warnings (Gas City's wording, citywatch's location), unknown keys per file kind, type
errors, fragments, namepools, provider references and remote imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from gascity_fixtures import BUILTIN as BUILTIN_PACKS

from core.config.errors import ConfigError
from core.config.load import load_city, load_city_from_table

PACK = '[pack]\nname = "{name}"\nschema = 2\n'
BUILTIN = str(BUILTIN_PACKS)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text))
    return root


def warning(city, fragment: str):
    hits = [w for w in city.warnings if fragment in w.message]
    assert hits, [w.render() for w in city.warnings]
    return hits[0]


# ------------------------------------------------------------------ unknown keys
def test_unknown_city_key_warns_with_suggestion_and_line(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "a"\nmax_active_sesions = 2\n'})
    w = warning(load_city(str(tmp_path)), "unknown field")
    assert w.message == 'unknown field "agent.max_active_sesions" (did you mean "max_active_sessions"?)'
    assert (w.field, w.line) == ("agent[0].max_active_sesions", 3)


def test_agent_pool_table_is_an_unknown_field_in_city_toml(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "a"\n[agent.pool]\nmax = 2\n'})
    w = warning(load_city(str(tmp_path)), "unknown field")
    assert w.message.startswith('unknown field "agent.pool"')
    assert (w.field, w.line) == ("agent[0].pool", 3)


def test_unknown_pack_key_is_fatal(tmp_path):
    write(tmp_path, {"city.toml": '[imports.p]\nsource = "p"\n', "p/pack.toml": PACK.format(name="p") + "colour = 1\n"})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'city import "p": parsing pack.toml: unknown field "pack.colour"'
    assert (e.value.file, e.value.field, e.value.line) == (str(tmp_path / "p/pack.toml"), "pack.colour", 4)


def test_agent_toml_keys_are_not_checked_but_types_are(tmp_path):
    write(tmp_path, {"city.toml": '[imports.p]\nsource = "p"\n', "p/pack.toml": PACK.format(name="p"),
                     "p/agents/w/agent.toml": "[pool]\nmax = 3\n"})
    city = load_city(str(tmp_path))
    assert city.agent("p.w") is not None and not city.warnings
    write(tmp_path, {"p/agents/w/agent.toml": 'max_active_sessions = "3"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert (e.value.field, e.value.line) == ("max_active_sessions", 1)
    assert 'expected an integer, got string "3"' in e.value.message


def test_scenario_inline_city_refuses_unknown_keys(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_city_from_table({"agent": [{"name": "a", "maxx": 1}]}, str(tmp_path), "s.toml",
                             '[[city.agent]]\nname = "a"\nmaxx = 1\n')
    assert (e.value.field, e.value.line) == ("agent[0].maxx", 3)


def test_pack_city_only_table_is_fatal(tmp_path):
    write(tmp_path, {"city.toml": '[imports.p]\nsource = "p"\n',
                     "p/pack.toml": PACK.format(name="p") + '[defaults.rig.imports.x]\nsource = "y"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message.endswith("[defaults.rig.imports] belongs in city.toml, not pack.toml")


# ------------------------------------------------------------------ durations
@pytest.mark.parametrize("key,value,go", [
    ("idle_timeout", "5x", 'time: unknown unit "x" in duration "5x"'),
    ("drain_timeout", "10", 'time: missing unit in duration "10"'),
])
def test_agent_duration_warnings_use_gas_city_text(tmp_path, key, value, go):
    write(tmp_path, {"city.toml": f'[[agent]]\nname = "w"\ndir = "r"\n{key} = "{value}"\n'})
    w = warning(load_city(str(tmp_path)), "not a valid duration")
    assert w.message == f'agent "r/w" {key} = "{value}" is not a valid duration: {go}'
    assert (w.field, w.line) == (f"agent[0].{key}", 4)


def test_sleep_after_idle_warning_mentions_off(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "w"\nsleep_after_idle = "never"\n'})
    w = warning(load_city(str(tmp_path)), "not a valid duration")
    assert w.message == 'agent "w" sleep_after_idle = "never" is not a valid duration or "off": ' \
                        'time: invalid duration "never"'


def test_section_duration_warnings(tmp_path):
    write(tmp_path, {"city.toml": '[daemon]\npatrol_interval = "soon"\n[session_sleep]\nnoninteractive = "1x"\n'
                                  '[[rigs]]\nname = "r"\n[rigs.session_sleep]\ninteractive_fresh = "2"\n'})
    city = load_city(str(tmp_path))
    assert warning(city, "patrol_interval").message == \
        '[daemon] patrol_interval = "soon" is not a valid duration: time: invalid duration "soon"'
    assert warning(city, "noninteractive").line == 4
    w = warning(city, "interactive_fresh")
    assert w.message.startswith('rig "r" [session_sleep] interactive_fresh = "2" is not a valid duration or "off"')
    assert w.field == "rigs[0].session_sleep.interactive_fresh"


def test_wrong_types_are_fatal_and_located(tmp_path):
    write(tmp_path, {"city.toml": '[daemon]\nmax_wakes_per_tick = "5"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert (e.value.field, e.value.line) == ("daemon.max_wakes_per_tick", 2)


def test_idle_timeout_and_sleep_both_set(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "w"\nidle_timeout = "1h"\nsleep_after_idle = "5m"\n'})
    assert warning(load_city(str(tmp_path)), "both set").message == (
        'agent "w": idle_timeout and sleep_after_idle are both set; idle_timeout takes precedence and '
        "sleep_after_idle only applies when the session survives the idle_timeout check")


# ------------------------------------------------------------------ namepools
@pytest.mark.parametrize("content,why", [
    (None, "not found"),
    ("# only a comment\n\n", "has no names"),
    (b"\x00\x01\x02", "is a binary file"),
])
def test_namepool_problems_warn_and_fall_back(tmp_path, content, why):
    files: dict = {"city.toml": '[[agent]]\nname = "p"\nmax_active_sessions = 3\nnamepool = "names.txt"\n'}
    if content is not None:
        files["names.txt"] = content
    write(tmp_path, files)
    city = load_city(str(tmp_path))
    a = city.agent("p")
    assert a.has_namepool and a.namepool_names == ()  # still the namepool shape, names fall back
    w = warning(city, "namepool")
    assert why in w.message and w.message.endswith("names fall back to p-N")
    assert (w.file, w.field, w.line) == (str(tmp_path / "city.toml"), "agent[0].namepool", 4)


def test_namepool_with_unlimited_max_warns(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "p"\nmax_active_sessions = -1\nnamepool = "n.txt"\n',
                     "n.txt": "a\n"})
    assert "namepool requires bounded max_active_sessions (> 0)" in warning(load_city(str(tmp_path)), "bounded").message


def test_convention_namepool_is_wired(tmp_path):
    write(tmp_path, {"city.toml": '[imports.p]\nsource = "p"\n', "p/pack.toml": PACK.format(name="p"),
                     "p/agents/pc/agent.toml": "max_active_sessions = 2\n", "p/agents/pc/namepool.txt": "nux\nslit\n"})
    assert load_city(str(tmp_path)).agent("p.pc").namepool_names == ("nux", "slit")


# ------------------------------------------------------------------ fragments
def test_fragment_problems(tmp_path):
    write(tmp_path, {"city.toml": 'include = ["a.toml"]\n[workspace]\nname = "x"\n',
                     "a.toml": '[workspace]\nname = "y"\nmax_active_sessions = 3\n[imports.q]\nsource = "q"\n'})
    city = load_city(str(tmp_path))
    assert city.workspace.name == "y" and city.workspace.max_active_sessions is None
    assert warning(city, "redefined").message == f'workspace.name redefined by "{tmp_path / "a.toml"}"'
    assert warning(city, "[imports]").message == "[imports] is not merged from include fragments by Gas City; it is ignored"


def test_recursive_include_is_refused(tmp_path):
    write(tmp_path, {"city.toml": 'include = ["a.toml"]\n', "a.toml": 'include = ["city.toml"]\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'fragment "a.toml": includes are not allowed in fragments (no recursive includes)'
    assert (e.value.file, e.value.line) == (str(tmp_path / "a.toml"), 1)


def test_missing_fragment(tmp_path):
    write(tmp_path, {"city.toml": 'include = [\n  "gone.toml",\n]\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message.startswith('loading fragment "gone.toml": open ')
    assert (e.value.field, e.value.line) == ("include[0]", 1)


# ------------------------------------------------------------------ providers
def test_missing_provider_is_fatal_when_every_import_resolved(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "w"\nprovider = "claude"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == ('provider catalog is missing referenced providers: agent "w": provider "claude": '
                               'add [providers.claude] base = "builtin:claude"; Run `gc doctor --fix` to add missing '
                               'builtin provider aliases.')
    assert (e.value.field, e.value.line) == ("agent[0].provider", 3)


def test_missing_provider_only_warns_while_an_import_is_unresolved(tmp_path):
    write(tmp_path, {"city.toml": '[imports.r]\nsource = "https://example.com/x.git"\n[[agent]]\nname = "w"\n'
                                  'provider = "claude"\n'})
    city = load_city(str(tmp_path))
    assert warning(city, "provider").message == 'agent "w": provider "claude" is not defined in [providers]'


# ------------------------------------------------------------------ remote imports and --packs
def test_remote_imports_are_recorded_unresolved(tmp_path):
    write(tmp_path, {"city.toml": '[imports.gt]\nsource = "https://github.com/gastownhall/gascity-packs/tree/'
                                  'main/gastown"\n[[agent]]\nname = "a"\n'})
    city = load_city(str(tmp_path))
    (imp,) = city.imports
    assert not imp.resolved and imp.binding == "gt" and "not fetched" in imp.unresolved_reason
    assert [a.qualified_name for a in city.agents] == ["a"]


def test_packs_dir_resolves_remote_sources_by_last_path_element(tmp_path):
    write(tmp_path, {"city.toml": '[imports.core]\nsource = "https://github.com/gastownhall/gascity.git//'
                                  'internal/bootstrap/packs/core"\n[imports.bd]\nsource = "https://github.com/'
                                  'gastownhall/gascity.git//examples/bd"\n[imports.gt]\nsource = "https://github.com/'
                                  'gastownhall/gascity-packs/tree/main/gastown"\n[[rigs]]\nname = "api"\n'})
    city = load_city(str(tmp_path), packs_dir=BUILTIN)
    assert [a.qualified_name for a in city.agents] == ["bd.dog", "core.control-dispatcher",
                                                       "api/core.control-dispatcher"]
    by = {i.binding: i for i in city.imports}
    assert by["core"].resolved_via == "packs-dir" and by["dolt"].resolved_via == "local"
    assert not by["gt"].resolved and 'no pack "gastown"' in by["gt"].unresolved_reason


def test_missing_local_pack_is_fatal_and_located(tmp_path):
    write(tmp_path, {"city.toml": '[imports.p]\nsource = "nowhere"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message.startswith('city import "p": pack directory ')
    assert (e.value.field, e.value.line) == ("imports.p.source", 2)


def test_import_cycle_is_fatal(tmp_path):
    write(tmp_path, {"city.toml": '[imports.a]\nsource = "a"\n',
                     "a/pack.toml": PACK.format(name="a") + '[imports.b]\nsource = "../b"\n',
                     "b/pack.toml": PACK.format(name="b") + '[imports.a]\nsource = "../a"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert "cycle detected" in e.value.message and e.value.file == str(tmp_path / "b/pack.toml")


def test_lookups_see_the_loaded_namepool(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "p"\nmax_active_sessions = 2\nnamepool = "n.txt"\n'
                                  '[[named_session]]\ntemplate = "p"\n', "n.txt": "nux\nslit\n"})
    city = load_city(str(tmp_path))
    assert city.agent("p").namepool_names == ("nux", "slit")


def test_deprecated_workspace_fields(tmp_path):
    write(tmp_path, {"city.toml": '[workspace]\nname = "x"\nstart_command = "true"\nglobal_fragments = ["a"]\n'})
    city = load_city(str(tmp_path))
    w = warning(city, "workspace.start_command is deprecated")
    assert w.message == "workspace.start_command is deprecated: Use per-agent `start_command` in `agent.toml` instead."
    assert (w.field, w.line) == ("workspace.start_command", 3)
    assert warning(city, "workspace.global_fragments is deprecated").line == 4


def test_fragment_session_sleep_warning_points_at_the_fragment(tmp_path):
    write(tmp_path, {"city.toml": 'include = ["f.toml"]\n', "f.toml": '\n[session_sleep]\ninteractive_fresh = "9"\n'})
    w = warning(load_city(str(tmp_path)), "interactive_fresh")
    assert (w.file, w.field, w.line) == (str(tmp_path / "f.toml"), "session_sleep.interactive_fresh", 3)


# ------------------------------------------------------------------ gc doctor advisories
def test_named_always_min_conflict_advisory(tmp_path):
    city = load_city(str(write(tmp_path, {"city.toml": """
        [workspace]
        name = "c"

        [[agent]]
        name = "mayor"
        min_active_sessions = 2

        [[agent]]
        name = "deacon"
        min_active_sessions = 1
        suspended = true

        [[agent]]
        name = "witness"
        min_active_sessions = 1

        [[agent]]
        name = "polecat"

        [[named_session]]
        template = "mayor"
        mode = "always"

        [[named_session]]
        template = "mayor"
        name = "boss"
        mode = "always"

        [[named_session]]
        template = "deacon"
        mode = "always"

        [[named_session]]
        template = "witness"

        [[named_session]]
        template = "polecat"
        mode = "always"
    """})))
    hits = [w for w in city.warnings if "named-always-min-conflict" in w.message]
    # only mayor: deacon is suspended, witness's session is on_demand, polecat has no minimum;
    # of two always sessions on one template the check names the last
    assert [w.message for w in hits] == [
        'gc doctor named-always-min-conflict (advisory): agent "mayor": min_active_sessions=2 with named_session '
        '"boss" mode=always; set min_active_sessions=0 to avoid a duplicate pool session']
    assert hits[0].field == "agent[0].min_active_sessions" and hits[0].line == 7
