"""The load pipeline's composition rules (Gas City's LoadWithIncludes / loadPack / expandPacks):
ordering of agents and named sessions, scope filters, binding rules, depends_on qualification,
shadow warnings and pack collisions. Each test writes a small city to tmp_path."""

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


def qns(city) -> list[str]:
    return [a.qualified_name for a in city.agents]


def named(city) -> list[str]:
    return [n.identity for n in city.named_sessions]


def warnings(city) -> list[str]:
    return [w.message for w in city.warnings]


# ------------------------------------------------------------------ ordering and scope
def test_city_import_agents_come_first_then_rig_stamps_then_city_agents_then_rig_imports(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [imports.gs]
            source = "packs/gs"
            [[agent]]
            name = "local"
            [[rigs]]
            name = "api"
            [rigs.imports.flow]
            source = "packs/flow"
            [[rigs]]
            name = "web"
        """,
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/mayor/agent.toml": 'scope = "city"\n',
        "packs/gs/agents/polecat/agent.toml": 'scope = "rig"\n',
        "packs/gs/agents/helper/agent.toml": "",
        "packs/flow/pack.toml": PACK.format(name="flow"),
        "packs/flow/agents/refinery/agent.toml": 'scope = "rig"\n',
    })
    city = load_city(str(tmp_path))
    # city scope (sorted agents/ dirs: helper, mayor; polecat is rig-only), then one stamp per
    # rig of the unscoped and rig agents, then city.toml agents, then rig imports.
    assert qns(city) == [
        "gs.helper", "gs.mayor",
        "api/gs.helper", "api/gs.polecat", "web/gs.helper", "web/gs.polecat",
        "local",
        "api/flow.refinery",
    ]


def test_rig_with_its_own_import_of_the_binding_gets_no_city_stamp(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [imports.gs]
            source = "packs/gs"
            [[rigs]]
            name = "api"
            [rigs.imports.gs]
            source = "packs/gs"
            [[rigs]]
            name = "web"
        """,
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/witness/agent.toml": 'scope = "rig"\n',
    })
    city = load_city(str(tmp_path))
    assert qns(city) == ["web/gs.witness", "api/gs.witness"]


def test_city_scoped_agent_in_a_rig_import_is_hoisted_once(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [[agent]]
            name = "solo"
            [[rigs]]
            name = "a"
            [rigs.imports.x]
            source = "packs/x"
            [[rigs]]
            name = "b"
            [rigs.imports.x]
            source = "packs/x"
        """,
        "packs/x/pack.toml": PACK.format(name="x") + '[[named_session]]\ntemplate = "boss"\nscope = "city"\n',
        "packs/x/agents/boss/agent.toml": 'scope = "city"\nmax_active_sessions = 1\n',
        "packs/x/agents/worker/agent.toml": "",
    })
    city = load_city(str(tmp_path))
    assert qns(city) == ["solo", "a/x.worker", "b/x.worker", "x.boss"]
    assert named(city) == ["x.boss"]


def test_root_pack_order_is_pack_agents_then_discovered_then_city_toml(tmp_path):
    write(tmp_path, {
        "pack.toml": PACK.format(name="home").replace("schema = 2", "schema = 1")
        + '[[agent]]\nname = "alpha"\n[[agent]]\nname = "mayor"\nmax_active_sessions = 3\n',
        "agents/beta/agent.toml": "",
        "agents/alpha/agent.toml": "max_active_sessions = 9\n",  # the [[agent]] table wins
        "city.toml": '[[agent]]\nname = "mayor"\nmax_active_sessions = 1\n',
    })
    city = load_city(str(tmp_path))
    assert qns(city) == ["alpha", "beta", "mayor"]
    assert city.agent("alpha").max_active_sessions is None
    assert city.agent("mayor").max_active_sessions == 1  # city.toml wins over pack.toml
    assert city.agent("alpha").origin.kind == "pack-v1"
    assert city.agent("beta").origin.kind == "pack"


def test_schema2_root_pack_refuses_inline_agents(tmp_path):
    write(tmp_path, {
        "pack.toml": PACK.format(name="home"),
        "city.toml": '[workspace]\nname = "x"\n\n[[agent]]\nname = "mayor"\n',
    })
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.field == "agent[0]" and e.value.line == 4
    assert "PackV1 config surfaces are no longer supported" in e.value.message
    assert "move each agent to agents/<name>/agent.toml" in e.value.message


def test_pack_agents_order_includes_then_nested_imports_then_own(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.top]\nsource = "packs/top"\n',
        "packs/top/pack.toml": PACK.format(name="top") + 'includes = ["../base"]\n'
        + '[imports.zz]\nsource = "../zz"\n[imports.aa]\nsource = "../aa"\n[[agent]]\nname = "own"\n',
        "packs/top/agents/disc/agent.toml": "",
        "packs/base/pack.toml": PACK.format(name="base"),
        "packs/base/agents/b/agent.toml": "",
        "packs/aa/pack.toml": PACK.format(name="aa"),
        "packs/aa/agents/a/agent.toml": "",
        "packs/zz/pack.toml": PACK.format(name="zz"),
        "packs/zz/agents/z/agent.toml": "",
    })
    city = load_city(str(tmp_path))
    # At the city root every agent of the import carries the root binding.
    assert qns(city) == ["top.b", "top.a", "top.z", "top.own", "top.disc"]


def test_nested_import_without_root_keeps_inner_binding_only_inside_the_pack(tmp_path):
    write(tmp_path, {
        "city.toml": '[[rigs]]\nname = "r"\n[rigs.imports.outer]\nsource = "packs/outer"\n',
        "packs/outer/pack.toml": PACK.format(name="outer") + '[imports.inner]\nsource = "../inner"\n',
        "packs/inner/pack.toml": PACK.format(name="inner"),
        "packs/inner/agents/w/agent.toml": "",
    })
    city = load_city(str(tmp_path))
    assert qns(city) == ["r/outer.w"]


def test_non_transitive_import_drops_nested_agents(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.top]\nsource = "packs/top"\ntransitive = false\n',
        "packs/top/pack.toml": PACK.format(name="top") + '[imports.dep]\nsource = "../dep"\n',
        "packs/top/agents/own/agent.toml": "",
        "packs/dep/pack.toml": PACK.format(name="dep"),
        "packs/dep/agents/hidden/agent.toml": "",
    })
    assert qns(load_city(str(tmp_path))) == ["top.own"]


def test_named_session_order_and_generic_rig_expansion(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [imports.gs]
            source = "packs/gs"
            [[agent]]
            name = "helper"
            scope = "rig"
            [[named_session]]
            template = "helper"
            scope = "rig"
            [[rigs]]
            name = "api"
            [[rigs]]
            name = "web"
        """,
        "packs/gs/pack.toml": PACK.format(name="gs") + '[[named_session]]\ntemplate = "mayor"\nscope = "city"\n'
        + '[[named_session]]\ntemplate = "witness"\nscope = "rig"\n',
        "packs/gs/agents/mayor/agent.toml": 'scope = "city"\nmax_active_sessions = 1\n',
        "packs/gs/agents/witness/agent.toml": 'scope = "rig"\nmax_active_sessions = 1\n',
    })
    city = load_city(str(tmp_path))
    assert named(city) == ["gs.mayor", "api/gs.witness", "web/gs.witness", "api/helper", "web/helper"]
    # The inline rig-scoped template without a dir backs the per-rig named sessions (#2161).
    assert city.find_template("api/helper").dir == "api"
    assert not city.disabled_named_sessions


def test_fragments_append_agents_after_city_toml_and_resolve_paths_from_the_fragment(tmp_path):
    write(tmp_path, {
        "city.toml": 'include = ["conf/more.toml"]\n[[agent]]\nname = "first"\n',
        "conf/more.toml": '[[agent]]\nname = "second"\nnamepool = "names.txt"\n',
        "conf/names.txt": "ada\nbob\n",
    })
    city = load_city(str(tmp_path))
    assert qns(city) == ["first", "second"]
    assert city.agent("second").namepool == "conf/names.txt"
    assert city.agent("second").namepool_names == ("ada", "bob")


# ------------------------------------------------------------------ depends_on qualification
def test_depends_on_bare_names_are_qualified_with_binding_and_dir(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [imports.core]
            source = "packs/core"
            [[rigs]]
            name = "alpha"
            [[rigs]]
            name = "beta"
            [[rigs]]
            name = "gamma"
            [rigs.imports.gs]
            source = "packs/gs"
        """,
        ".gc/site.toml": "".join(f'[[rig]]\nname = "{r}"\npath = "/srv/{r}"\n' for r in ("alpha", "beta", "gamma")),
        "packs/core/pack.toml": PACK.format(name="core"),
        "packs/core/agents/worker/agent.toml": 'depends_on = ["db"]\n',
        "packs/core/agents/db/agent.toml": "",
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/w/agent.toml": 'scope = "rig"\ndepends_on = ["db"]\n',
        "packs/gs/agents/db/agent.toml": 'scope = "rig"\n',
    })
    city = load_city(str(tmp_path))
    assert city.agent("core.worker").depends_on == ("core.db",)
    assert city.agent("alpha/core.worker").depends_on == ("alpha/core.db",)
    assert city.agent("beta/core.worker").depends_on == ("beta/core.db",)
    assert city.agent("gamma/gs.w").depends_on == ("gamma/gs.db",)
    validate_city(city)  # every qualified dependency exists


def test_inline_agents_depends_on_is_taken_as_written(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "a"\ndir = "r"\ndepends_on = ["b"]\n[[agent]]\nname = "b"\n'
                                  'dir = "r"\n'})
    city = load_city(str(tmp_path))
    assert city.agent("r/a").depends_on == ("b",)
    with pytest.raises(ConfigError) as e:
        validate_city(city)
    assert e.value.message == 'agent "r/a": depends_on references unknown agent "b"'


# ------------------------------------------------------------------ shadows and collisions
def test_shadow_warning_and_silent(tmp_path):
    files = {
        "city.toml": '[imports.gs]\nsource = "packs/gs"\n{shadow}\n[[agent]]\nname = "mayor"\n',
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/mayor/agent.toml": "",
    }
    write(tmp_path, {**files, "city.toml": files["city.toml"].format(shadow="")})
    city = load_city(str(tmp_path))
    assert 'city agent "mayor" shadows agent of the same name from import "gs" (set shadow = "silent" on ' \
           '[imports.gs] to suppress)' in warnings(city)
    write(tmp_path, {"city.toml": files["city.toml"].format(shadow='shadow = "silent"')})
    assert not any("shadows" in w for w in warnings(load_city(str(tmp_path))))


def test_two_packs_defining_one_qualified_name_collide(tmp_path):
    write(tmp_path, {
        "city.toml": '[[rigs]]\nname = "r"\nincludes = ["packs/a", "packs/b"]\n',
        "packs/a/pack.toml": PACK.format(name="a"),
        "packs/a/agents/w/agent.toml": "",
        "packs/b/pack.toml": PACK.format(name="b"),
        "packs/b/agents/w/agent.toml": "",
    })
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message.startswith('rig "r": packs define duplicate agent "r/w":')


def test_same_pack_under_two_bindings_does_not_collide(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.one]\nsource = "packs/p"\n[imports.two]\nsource = "packs/p"\n',
        "packs/p/pack.toml": PACK.format(name="p"),
        "packs/p/agents/w/agent.toml": "",
    })
    assert qns(load_city(str(tmp_path))) == ["one.w", "two.w"]


# ------------------------------------------------------------------ patches, overrides, implicit agents
def test_patches_then_rig_overrides_then_implicit_agents(tmp_path):
    write(tmp_path, {
        "city.toml": """
            [providers.codex]
            base = "builtin:codex"
            [providers.claude]
            base = "builtin:claude"
            [providers.zed]
            command = "zed"
            [[agent]]
            name = "a"
            max_active_sessions = 2
            [[patches.agent]]
            name = "a"
            max_active_sessions = 4
            [[patches.agent]]
            name = "claude"
            suspended = true
            [[rigs]]
            name = "r"
            [rigs.imports.gs]
            source = "packs/gs"
            [[rigs.overrides]]
            agent = "w"
            [rigs.overrides.pool]
            max = 7
        """,
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/w/agent.toml": "max_active_sessions = 1\n",
    })
    city = load_city(str(tmp_path))
    assert city.agent("a").max_active_sessions == 4
    assert city.agent("r/gs.w").max_active_sessions == 7
    # Implicit provider agents: built-in order (claude before codex), then custom, per scope.
    assert qns(city)[2:] == ["claude", "codex", "zed", "r/claude", "r/codex", "r/zed"]
    assert city.agent("claude").implicit and city.agent("claude").suspended  # the deferred patch applied


def test_patch_for_unknown_agent_is_fatal_and_located(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "a"\n\n[[patches.agent]]\nname = "nope"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'patches.agent[0]: agent "nope" not found in merged config'
    assert e.value.line == 4


def test_rig_override_only_reaches_the_rigs_own_pack_agents(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.gs]\nsource = "packs/gs"\n[[rigs]]\nname = "r"\n[rigs.imports.x]\nsource = "packs/x"\n'
                     '[[rigs.overrides]]\nagent = "w"\nsuspended = true\n',
        "packs/gs/pack.toml": PACK.format(name="gs"),
        "packs/gs/agents/w/agent.toml": "",  # stamped into r from the city import: not the rig's pack
        "packs/x/pack.toml": PACK.format(name="x"),
        "packs/x/agents/other/agent.toml": "",
    })
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'rig "r": overrides[0]: agent "w" not found in pack'


def test_named_session_patch_changes_mode(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "m"\nmax_active_sessions = 1\n[[named_session]]\ntemplate = "m"\n'
                                  '[[patches.named_session]]\ntemplate = "m"\nmode = "always"\n'})
    assert load_city(str(tmp_path)).named_sessions[0].effective_mode == "always"


def test_site_binding_supplies_rig_paths_and_city_name(tmp_path):
    write(tmp_path, {
        "city.toml": '[[rigs]]\nname = "api"\n[[rigs]]\nname = "web"\n',
        ".gc/site.toml": 'workspace_name = "harbor"\n[[rig]]\nname = "api"\npath = "/src/api"\n[[rig]]\nname = "old"\n'
                         'path = "/src/old"\n',
    })
    city = load_city(str(tmp_path))
    assert city.name == "harbor" and city.rig("api").path == "/src/api"
    assert 'rig "web" is declared in city.toml but has no path binding in .gc/site.toml; run `gc rig add <dir> ' \
           '--name web` to bind it' in warnings(city)
    assert '.gc/site.toml declares a binding for unknown rig "old"' in warnings(city)


# ------------------------------------------------------------------ pack requirements
def test_pack_requires_a_city_agent(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.gs]\nsource = "packs/gs"\n',
        "packs/gs/pack.toml": PACK.format(name="gs") + '[[pack.requires]]\nscope = "city"\nagent = "mayor"\n',
        "packs/gs/agents/w/agent.toml": "",
    })
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'pack requires city agent "mayor" — include a pack that provides it'
    assert (e.value.field, e.value.line) == ("pack.requires[0]", 4)
    write(tmp_path, {"city.toml": '[imports.gs]\nsource = "packs/gs"\n[[agent]]\nname = "mayor"\n'})
    assert "mayor" in qns(load_city(str(tmp_path)))


def test_rig_import_requires_a_rig_agent(tmp_path):
    write(tmp_path, {
        "city.toml": '[[rigs]]\nname = "api"\n[rigs.imports.gs]\nsource = "packs/gs"\n',
        "packs/gs/pack.toml": PACK.format(name="gs") + '[[pack.requires]]\nscope = "rig"\nagent = "witness"\n',
        "packs/gs/agents/w/agent.toml": "",
    })
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message == 'rig "api": import "gs" requires rig agent "witness" — not found'


def test_unmet_requirement_only_warns_while_an_import_is_unresolved(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.gs]\nsource = "packs/gs"\n[imports.far]\nsource = "https://example.com/p.git"\n',
        "packs/gs/pack.toml": PACK.format(name="gs") + '[[pack.requires]]\nscope = "city"\nagent = "mayor"\n',
    })
    assert any("pack requires city agent" in w for w in warnings(load_city(str(tmp_path))))


# ------------------------------------------------------------------ more composition rules
def test_hoisted_agent_does_not_duplicate_a_city_scope_one(tmp_path):
    write(tmp_path, {
        "city.toml": '[imports.x]\nsource = "packs/x"\n[[rigs]]\nname = "a"\n[rigs.imports.x]\nsource = "packs/x"\n',
        "packs/x/pack.toml": PACK.format(name="x"),
        "packs/x/agents/boss/agent.toml": 'scope = "city"\n',
    })
    assert qns(load_city(str(tmp_path))) == ["x.boss"]


def test_export_keeps_the_importing_binding_for_nested_agents(tmp_path):
    base = {
        "packs/top/agents/own/agent.toml": "",
        "packs/dep/pack.toml": PACK.format(name="dep") + '[imports.inner]\nsource = "../inner"\n{export}\n',
        "packs/inner/pack.toml": PACK.format(name="inner"),
        "packs/inner/agents/deep/agent.toml": "",
    }
    for export, expected in (("", "r/dep.deep"), ("export = true", "r/dep.deep")):
        files = dict(base)
        files["packs/dep/pack.toml"] = base["packs/dep/pack.toml"].format(export=export)
        files["city.toml"] = '[[rigs]]\nname = "r"\n[rigs.imports.dep]\nsource = "packs/dep"\n'
        write(tmp_path, files)
        # At a rig import (as at the city root) the importing binding replaces nested ones.
        assert qns(load_city(str(tmp_path))) == [expected]


def test_root_pack_rig_named_sessions_expand_per_rig(tmp_path):
    write(tmp_path, {
        "pack.toml": PACK.format(name="home") + '[[named_session]]\ntemplate = "witness"\nscope = "rig"\n',
        "agents/witness/agent.toml": 'scope = "rig"\nmax_active_sessions = 1\n',
        "city.toml": '[[rigs]]\nname = "api"\n[[rigs]]\nname = "web"\n',
    })
    city = load_city(str(tmp_path))
    assert named(city) == ["api/witness", "web/witness"]
    assert not city.disabled_named_sessions  # the rig-qualified view of the rig-scope agent backs them


def test_fragment_replaces_daemon_and_adds_rigs(tmp_path):
    write(tmp_path, {
        "city.toml": 'include = ["more.toml"]\n[daemon]\nmax_wakes_per_tick = 9\npatrol_interval = "5s"\n',
        "more.toml": '[daemon]\npatrol_interval = "1m"\n[[rigs]]\nname = "api"\n',
    })
    city = load_city(str(tmp_path))
    # [daemon] in a fragment replaces the whole table: max_wakes_per_tick is back to its default.
    assert (city.daemon.patrol_interval, city.daemon.max_wakes_per_tick) == ("1m", 5)
    assert city.rig("api").origin.file == str(tmp_path / "more.toml")


def test_agent_defaults_provider_applies_to_agents_without_one(tmp_path):
    write(tmp_path, {"city.toml": '[providers.claude]\nbase = "builtin:claude"\n[agent_defaults]\nprovider = "claude"\n'
                                  '[[agent]]\nname = "w"\n'})
    assert load_city(str(tmp_path)).agent("w").provider == "claude"
