"""Validation rules with Gas City's messages: named sessions at load (ValidateNamedSessions),
agents and rigs as a second step (ValidateAgents, ValidateRigs). Every error names the file,
the field path and the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.config.errors import ConfigError
from core.config.load import load_city
from core.config.validate import validate_city

PACK = '[pack]\nname = "{name}"\nschema = 2\n'


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def load_error(tmp_path: Path, text: str, **files: str) -> ConfigError:
    write(tmp_path, {"city.toml": text, **files})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    return e.value


def validate_error(tmp_path: Path, text: str, **files: str) -> ConfigError:
    write(tmp_path, {"city.toml": text, **files})
    city = load_city(str(tmp_path))
    with pytest.raises(ConfigError) as e:
        validate_city(city)
    return e.value


# ------------------------------------------------------------------ agents
@pytest.mark.parametrize("toml,field,line,message", [
    ('[[agent]]\nname = "a"\n[[agent]]\ndir = "x"\n', "agent[1].name", 3, "agent[1]: name is required"),
    ('[[agent]]\nname = "x.y"\n', "agent[0].name", 2,
     'agent "x.y": name must match [a-zA-Z0-9][a-zA-Z0-9_-]* (no spaces, slashes, or dots)'),
    ('[[agent]]\nname = "a"\nscope = "town"\n', "agent[0].scope", 3,
     'agent "a": scope must be "city", "rig", or empty, got "town"'),
    ('[[agent]]\nname = "a"\nwake_mode = "lazy"\n', "agent[0].wake_mode", 3,
     'agent "a": wake_mode must be "resume", "fresh", or empty, got "lazy"'),
    ('[[agent]]\nname = "a"\nlifecycle = "forever"\n', "agent[0].lifecycle", 3,
     'agent "a": lifecycle must be "one_shot" or empty, got "forever"'),
    ('[[agent]]\nname = "a"\nprompt_mode = "flag"\n', "agent[0].prompt_flag", 1,
     'agent "a": prompt_flag is required when prompt_mode = "flag"'),
    ('[[agent]]\nname = "a"\nmin_active_sessions = -1\n', "agent[0].min_active_sessions", 3,
     'agent "a": min_active_sessions must be >= 0'),
    ('[[agent]]\nname = "a"\nmax_active_sessions = -2\n', "agent[0].max_active_sessions", 3,
     'agent "a": max_active_sessions must be >= -1 (use -1 for unlimited)'),
    ('[[agent]]\nname = "a"\nmin_active_sessions = 2\nmax_active_sessions = 1\n', "agent[0].min_active_sessions", 3,
     'agent "a": min_active_sessions (2) must be <= max_active_sessions (1)'),
    ('[[agent]]\nname = "a"\ndepends_on = ["a"]\n', "agent[0].depends_on[0]", 3,
     'agent "a": depends_on contains self-reference'),
    ('[[agent]]\nname = "b"\ndepends_on = ["c"]\n[[agent]]\nname = "c"\ndepends_on = ["b"]\n',
     "agent[1].depends_on[0]", 6, 'agent "c": dependency cycle detected (c -> b)'),
])
def test_agent_rules(tmp_path, toml, field, line, message):
    e = validate_error(tmp_path, toml)
    assert (e.field, e.line, e.message) == (field, line, message)
    assert e.render() == f"{tmp_path / 'city.toml'}: {field}: {message} (line {line})"


def test_unlimited_max_allows_any_min(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "a"\nmin_active_sessions = 9\nmax_active_sessions = -1\n'})
    validate_city(load_city(str(tmp_path)))


def test_duplicate_agent_names_both_sources(tmp_path):
    e = validate_error(tmp_path, '[[agent]]\nname = "w"\ndir = "r"\n[[agent]]\nname = "w"\ndir = "r"\n')
    assert e.message == 'agent "r/w": duplicate name (from "<inline>" and "<inline>")'
    assert (e.field, e.line) == ("agent[1].name", 5)


def test_bare_and_bound_names_coexist(tmp_path):
    write(tmp_path, {"city.toml": '[imports.gs]\nsource = "p"\n[[agent]]\nname = "mayor"\n',
                     "p/pack.toml": PACK.format(name="p"), "p/agents/mayor/agent.toml": ""})
    city = load_city(str(tmp_path))
    validate_city(city)
    assert [a.qualified_name for a in city.agents] == ["gs.mayor", "mayor"]


def test_v1_and_v2_layouts_of_one_bare_name_in_one_scope_collide(tmp_path):
    # Gas City keys this check on (dir, bare name), so different bindings still collide.
    e = validate_error(
        tmp_path, '[[rigs]]\nname = "r"\n[rigs.imports.a]\nsource = "pa"\n[rigs.imports.b]\nsource = "pb"\n',
        **{"pa/pack.toml": PACK.format(name="pa") + '[[agent]]\nname = "db"\n',
           "pb/pack.toml": PACK.format(name="pb"), "pb/agents/db/agent.toml": ""})
    assert e.message.startswith('agent "r/a.db": pack v1/v2 layout collision')


# ------------------------------------------------------------------ named sessions (load)
@pytest.mark.parametrize("toml,field,message", [
    ('[[named_session]]\nmode = "always"\n', "named_session[0].template", "named_session[0]: template is required"),
    ('[[named_session]]\ntemplate = "a/b"\n', "named_session[0].template",
     'named_session[0]: template "a/b" must match [a-zA-Z0-9][a-zA-Z0-9_-]* or binding.agent'),
    ('[[agent]]\nname = "m"\n[[named_session]]\ntemplate = "m"\nname = "x y"\n', "named_session[0].name",
     'named_session[0]: name "x y" must match [a-zA-Z0-9][a-zA-Z0-9_-]*'),
    ('[[agent]]\nname = "m"\n[[named_session]]\ntemplate = "m"\nscope = "town"\n', "named_session[0].scope",
     'named_session "m": scope must be "city", "rig", or empty, got "town"'),
    ('[[agent]]\nname = "m"\n[[named_session]]\ntemplate = "m"\nmode = "sometimes"\n', "named_session[0].mode",
     'named_session "m": mode must be "on_demand", "always", or empty, got "sometimes"'),
    ('[[agent]]\nname = "m"\n[[named_session]]\ntemplate = "m"\n[[named_session]]\ntemplate = "m"\n',
     "named_session[1]", 'named_session "m": duplicate identity'),
    ('[[agent]]\nname = "m"\nmax_active_sessions = 1\n[[named_session]]\nname = "a"\ntemplate = "m"\nmode = "always"\n'
     '[[named_session]]\nname = "b"\ntemplate = "m"\nmode = "always"\n', "named_session[1].mode",
     'named_session "b": mode "always" exceeds max_active_sessions capacity 1 on template "m"'),
    ('[[agent]]\nname = "m"\nmax_active_sessions = 0\n[[named_session]]\ntemplate = "m"\nmode = "always"\n',
     "named_session[0].mode", 'named_session "m": mode "always" exceeds max_active_sessions capacity 0 on template "m"'),
    ('[session_sleep]\ninteractive_resume = "30m"\n[[agent]]\nname = "m"\n[[named_session]]\ntemplate = "m"\n'
     'mode = "always"\n', "named_session[0].mode",
     'named_session "m": mode "always" is incompatible with sleep_after_idle="30m" on template "m"'),
])
def test_named_session_rules(tmp_path, toml, field, message):
    e = load_error(tmp_path, toml)
    assert (e.field, e.message) == (field, message)
    assert e.line is not None


def test_always_with_sleep_off_loads(tmp_path):
    write(tmp_path, {"city.toml": '[session_sleep]\ninteractive_resume = "30m"\n[[agent]]\nname = "m"\n'
                                  'sleep_after_idle = "OFF"\n[[named_session]]\ntemplate = "m"\nmode = "always"\n'})
    assert [n.identity for n in load_city(str(tmp_path)).named_sessions] == ["m"]


def test_reserved_alias_collides_with_runtime_name(tmp_path):
    e = load_error(tmp_path, '[[rigs]]\nname = "api"\n[[agent]]\nname = "w"\ndir = "api"\n[[agent]]\nname = "api--w"\n'
                             '[[named_session]]\ntemplate = "w"\ndir = "api"\n[[named_session]]\ntemplate = "api--w"\n')
    assert e.message == ('named_session "api--w": reserved alias collides with deterministic session_name for '
                         '"api/w" ("api--w")')


def test_unknown_template_disables_the_named_session_with_a_warning(tmp_path):
    write(tmp_path, {"city.toml": '[imports.gs]\nsource = "p"\n[[named_session]]\ntemplate = "mayor"\n',
                     "p/pack.toml": PACK.format(name="p"), "p/agents/mayor/agent.toml": ""})
    city = load_city(str(tmp_path))
    # A bare template does not find the bound gs.mayor: FindAgent matches qualified names.
    assert not city.named_sessions and [n.identity for n in city.disabled_named_sessions] == ["mayor"]
    w = [w for w in city.warnings if "disabled" in w.message][0]
    assert w.message == ('named_session "mayor": backing template "mayor" not found after pack expansion; '
                         "named session disabled until its template resolves")
    assert (w.field, w.line) == ("named_session[0].template", 4)


def test_always_with_fresh_wake_mode_warns(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "m"\nwake_mode = "fresh"\n[[named_session]]\ntemplate = "m"\n'
                                  'mode = "always"\n'})
    msgs = [w.message for w in load_city(str(tmp_path)).warnings]
    assert ('named_session "m": mode "always" with wake_mode "fresh" on template "m" starts a fresh provider session '
            "after every drain; use only for a deliberate restart-per-cycle actor") in msgs


def test_named_identity_with_name_and_bound_template(tmp_path):
    write(tmp_path, {"city.toml": '[imports.gs]\nsource = "p"\n[[named_session]]\nname = "boss"\ntemplate = "gs.mayor"\n',
                     "p/pack.toml": PACK.format(name="p"), "p/agents/mayor/agent.toml": ""})
    n = load_city(str(tmp_path)).named_sessions[0]
    assert (n.identity, n.template_qualified) == ("boss", "gs.mayor")


# ------------------------------------------------------------------ rigs
@pytest.mark.parametrize("toml,field,message", [
    ('[[rigs]]\npath = "/x"\n', "rigs[0].name", "rig[0]: name is required"),
    ('[[rigs]]\nname = "*"\n', "rigs[0].name", 'rig[0]: name "*" is reserved as the [[orders.overrides]] wildcard'),
    ('[[rigs]]\nname = "api"\n', "rigs[0]", 'rig "api": path is required'),
    ('[[rigs]]\nname = "api"\npath = "/a"\n[[rigs]]\nname = "api"\npath = "/b"\n', "rigs[1].name",
     'rig "api": duplicate name'),
    ('[[rigs]]\nname = "frontend"\npath = "/f"\n[[rigs]]\nname = "framework"\npath = "/w"\n', "rigs[1].name",
     'rig "framework": prefix "fr" collides with frontend'),
    ('[workspace]\nname = "harbor"\n[[rigs]]\nname = "hammer"\npath = "/h"\n', "rigs[0].name",
     'rig "hammer": prefix "ha" collides with HQ'),
    ('[[rigs]]\nname = "a"\nprefix = "XY"\npath = "/a"\n[[rigs]]\nname = "b"\nprefix = "xy"\npath = "/b"\n',
     "rigs[1].prefix", 'rig "b": prefix "xy" collides with a'),
])
def test_rig_rules(tmp_path, toml, field, message):
    e = validate_error(tmp_path, toml)
    assert (e.field, e.message) == (field, message)
    assert e.line is not None


@pytest.mark.parametrize("template,site", [("sess-{{.Name}}", ""), ("{{.City}}--{{.Name}}", "test-city")])
def test_session_template_collisions(tmp_path, template, site):
    other = "sess-mayor" if site == "" else "test-city--mayor"
    files = {"city.toml": f'[workspace]\nname = "test-city"\nsession_template = "{template}"\n'
                          f'[[agent]]\nname = "mayor"\n[[agent]]\nname = "{other}"\n'
                          f'[[named_session]]\ntemplate = "mayor"\n[[named_session]]\ntemplate = "{other}"\n'}
    if site:  # the site binding's name is the one session names use
        files["city.toml"] = files["city.toml"].replace('name = "test-city"', 'name = "declared"')
        files[".gc/site.toml"] = f'workspace_name = "{site}"\n'
    e = load_error(tmp_path, files.pop("city.toml"), **files)
    assert "collides with deterministic session_name" in e.message and e.field == "named_session[1]"


def test_duplicate_between_root_pack_and_fragment_names_both_sources(tmp_path):
    write(tmp_path, {"pack.toml": PACK.format(name="home").replace("schema = 2", "schema = 1"),
                     "agents/w/agent.toml": "",
                     "city.toml": 'include = ["conf/more.toml"]\n',
                     "conf/more.toml": '[[agent]]\nname = "w"\n'})
    e = validate_error(tmp_path, 'include = ["conf/more.toml"]\n')
    assert e.message == f'agent "w": duplicate name (from "<pack>" and "{tmp_path / "conf"}")'
    assert (e.file, e.field, e.line) == (str(tmp_path / "conf/more.toml"), "agent[0].name", 2)
