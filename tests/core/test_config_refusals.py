"""Refusals and warnings of Gas City's loader, validators and start/reload gates for the sections
citywatch validates without modelling ([storage], [[github.pr_monitor]], provider chains,
[[service]], [[webhook]]) and the gates themselves (strict mode, start, reload)."""

from __future__ import annotations

import os
import textwrap

import pytest

from core.config.errors import ConfigError
from core.config.gates import gate_city
from core.config.load import load_city
from core.config.validate import validation_errors
from core.session.reload import Reloader, load


def write(root, files: dict[str, str]) -> str:
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(textwrap.dedent(text))
    return str(root)


def refusal(tmp_path, text: str, **files: str) -> ConfigError:
    write(tmp_path, {"city.toml": text, **files})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    return e.value


STORAGE_OK = """
[storage.classes]
work = "work"
graph = "work"
sessions = "local"
messaging = "work"
orders = "work"
nudges = "work"
[storage.bindings.local]
provider = "sqlite-beads"
"""


@pytest.mark.parametrize("text,field,message", [
    ('[storage]\nmode = "x"\n', "storage.mode", "parsing config: storage migration and mode keys are not supported"),
    ('[storage.classes]\nwidgets = "work"\n', "storage.classes.widgets",
     'parsing config: unknown storage class "widgets"'),
    ('[storage]\ncolour = "x"\n', "storage.colour", 'parsing config: unknown storage field "storage.colour"'),
    ('[storage.classes]\nwork = "work"\n', "storage.classes",
     "storage.classes.graph is required when [storage] is present"),
    (STORAGE_OK.replace('sessions = "local"', 'sessions = "remote"'), "storage.classes.sessions",
     'storage.classes.sessions references undefined binding "remote"'),
    (STORAGE_OK + 'config_ref = "x"\n', "storage.bindings.local",
     'storage.bindings.local: provider "sqlite-beads" does not accept config_ref'),
    (STORAGE_OK + '[storage.bindings.work]\nprovider = "sqlite-beads"\n', "storage.bindings.work",
     "storage.bindings.work is reserved and cannot be defined"),
    (STORAGE_OK + '[storage.bindings.remote]\nprovider = "beads-workspace"\nconfig_ref = "w"\n'
                  'url = "ftp://host/x"\n', "storage.bindings.remote",
     'storage.bindings.remote: url scheme must be http or https, got "ftp"'),
])
def test_storage_refusals(tmp_path, text, field, message):
    e = refusal(tmp_path, text)
    assert (e.field, e.message) == (field, message) and e.line is not None


def test_a_valid_storage_loads_and_fragments_merge_it(tmp_path):
    write(tmp_path, {"city.toml": 'include = ["more.toml"]\n' + STORAGE_OK,
                     "more.toml": '[storage.bindings.extra]\nprovider = "sqlite-beads"\n'})
    city = load_city(str(tmp_path))
    assert sorted(city.sections["storage"].table["bindings"]) == ["extra", "local"]
    write(tmp_path, {"more.toml": '[storage.bindings.local]\nprovider = "sqlite-beads"\n'})
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.message.startswith('storage binding "local" is defined more than once (again in ')


def test_a_reload_that_changes_storage_is_refused(tmp_path):
    write(tmp_path, {"city.toml": STORAGE_OK})
    r = Reloader(str(tmp_path), city=load(str(tmp_path)).city)
    assert r.check("").kind == "apply"
    write(tmp_path, {"city.toml": STORAGE_OK.replace('sessions = "local"', 'sessions = "work"')})
    v = r.check("")
    assert v.kind == "error" and v.error.message.startswith("config reload: [storage] changed")


MONITOR = """
[[rigs]]
name = "app"
path = "/srv/app"
[[github.pr_monitor]]
name = "main"
owner = "acme"
repo = "app"
rig = "app"
repair_route = "app/fixer"
base_branches = ["main"]
"""


@pytest.mark.parametrize("edit,message", [
    (('rig = "app"', 'rig = "web"'), 'github.pr_monitor[0] "main": rig "web" is not declared'),
    (('base_branches = ["main"]', 'base_branches = ["main", "Main"]'),
     'github.pr_monitor[0] "main": duplicate base branch "Main"'),
    (('repair_route = "app/fixer"', 'repair_route = "app/fixer"\npoll_interval = "-1m"'),
     'github.pr_monitor[0] "main": poll_interval must be positive: got "-1m"'),
    (('repair_route = "app/fixer"', 'repair_route = "app/fixer"\nmerge_queue = "always"'),
     'github.pr_monitor[0] "main": merge_queue must be "ignore", "observe", or "repair", got "always"'),
])
def test_pr_monitor_refusals(tmp_path, edit, message):
    assert refusal(tmp_path, MONITOR.replace(*edit)).message == message


def test_a_valid_pr_monitor_loads(tmp_path):
    write(tmp_path, {"city.toml": MONITOR})
    assert len(load_city(str(tmp_path)).pr_monitors) == 1


@pytest.mark.parametrize("providers,message", [
    ('[providers.a]\nbase = "provider:b"\n[providers.b]\nbase = "provider:a"\n',
     'resolving provider "a": provider "a" has inheritance cycle: a → b → a'),
    ('[providers.a]\nbase = "builtin:nope"\n', 'provider "a" has unknown base "builtin:nope": no built-in with that name'),
    ('[providers.a]\nbase = "weird:x"\n', 'provider "a" has invalid base "weird:x": unknown namespace prefix'),
    ('[providers.a]\nbase = "a"\n', 'self-reference via bare name "a" (no built-in of that name exists)'),
    ('[providers.wrap]\nbase = "builtin:codex"\ncommand = "aimux"\n',
     'provider "wrap" wraps a subcommand-style resume provider (codex) but does not declare `resume_command`'),
])
def test_provider_chain_refusals(tmp_path, providers, message):
    e = refusal(tmp_path, providers)
    assert e.message.startswith("provider cache build failed: ") and message in e.message


def test_a_wrapper_with_its_own_resume_command_loads(tmp_path):
    write(tmp_path, {"city.toml": '[providers.wrap]\nbase = "builtin:codex"\ncommand = "aimux"\n'
                                  'resume_command = "aimux run codex -- resume {{.SessionKey}}"\n'})
    assert load_city(str(tmp_path)).providers == ["wrap"]


@pytest.mark.parametrize("text,message", [
    ('[[service]]\nname = "api"\nkind = "cron"\n', 'service "api": kind must be "workflow" or "proxy_process", got "cron"'),
    ('[[service]]\nname = "api"\n', 'service "api": workflow.contract is required for workflow services'),
    ('[[service]]\nname = "api"\n[service.workflow]\ncontract = "x.v1"\n',
     'service "api": unsupported workflow contract "x.v1"'),
    ('[[service]]\nname = "api"\nstate_root = "/tmp/x"\nkind = "proxy_process"\n[service.process]\ncommand = ["x"]\n',
     'service "api": state_root must stay under .gc/services/, got "/tmp/x"'),
    ('[[webhook]]\nname = "gh"\n[webhook.verify]\nscheme = "github-hmac-sha256"\n',
     'webhook "gh": verify.secret_env is required for scheme "github-hmac-sha256"'),
    ('[[webhook]]\nname = "gh"\n[webhook.verify]\nscheme = "jwt-jwks"\n',
     'webhook "gh": at least one [[webhook.rule]] is required'),
    ('[[webhook]]\nname = "gh"\n[webhook.verify]\nscheme = "jwt-jwks"\n[[webhook.rule]]\nevent = "push"\n'
     'order = "o"\n[webhook.rule.args]\nGC_CITY = "x"\n',
     'webhook "gh": rule[0]: args key "GC_CITY" is a reserved controller-owned env key'),
])
def test_service_and_webhook_validators_are_validation_errors(tmp_path, text, message):
    write(tmp_path, {"city.toml": text})
    city = load_city(str(tmp_path))
    assert any(message in e.message for e in validation_errors(city)), validation_errors(city)


def test_a_proxy_service_and_a_verified_webhook_validate(tmp_path):
    write(tmp_path, {"city.toml": '[[service]]\nname = "api"\nkind = "proxy_process"\n[service.process]\n'
                                  'command = ["./serve"]\n[[webhook]]\nname = "gh"\n[webhook.verify]\n'
                                  'scheme = "github-hmac-sha256"\nsecret_env = "GC_WEBHOOK_GH"\n[[webhook.rule]]\n'
                                  'event = "push"\norder = "deploy"\n'})
    assert validation_errors(load_city(str(tmp_path))) == []


def test_strict_mode_refuses_load_warnings_but_not_migration_guidance(tmp_path):
    write(tmp_path, {"city.toml": '[workspace]\nname = "c"\nstart_command = "x"\n[[agent]]\nname = "w"\n'
                                  'max_active_session = 2\n'})
    city = load_city(str(tmp_path))
    reasons = gate_city(city, gate="start")
    assert [(e.field, e.message) for e in reasons] == [
        ("agent[0].max_active_session",
         'strict: unknown field "agent.max_active_session" (did you mean "max_active_sessions"?)')]
    assert load(str(tmp_path), strict=False).ok  # --no-strict
    assert not load(str(tmp_path)).ok


def test_start_refuses_rig_errors_that_a_reload_only_warns_about(tmp_path):
    write(tmp_path, {"city.toml": '[workspace]\nname = "c"\n[[rigs]]\nname = "app"\n',
                     ".gc/site.toml": '[[rig]]\nname = "app"\npath = "/srv/app"\n'})
    ok = load(str(tmp_path))
    write(tmp_path, {"city.toml": '[workspace]\nname = "c"\n[[rigs]]\nname = "app"\n[[rigs]]\nname = "app"\n'})
    started = load(str(tmp_path), strict=False)
    assert [e.message for e in started.reasons] == ['rig "app": duplicate name']
    r = Reloader(str(tmp_path), city=ok.city, strict=False)
    v = r.check("")
    assert v.kind == "apply"
    assert any(w.message == 'config reload: rig "app": duplicate name' for w in v.loaded.city.warnings)


def test_every_reason_is_reported_with_its_place(tmp_path):
    write(tmp_path, {"city.toml": '[[agent]]\nname = "w"\nbogus = 1\n[[agent]]\nname = "w"\n[[rigs]]\nname = "*"\n'
                                  'path = "/x"\n'})
    reasons = load(str(tmp_path)).reasons
    assert [(e.field, e.line) for e in reasons] == [("agent[0].bogus", 3), ("rigs[0].name", 7), ("agent[1].name", 5)]


def test_reserved_prefixes_warn_at_start(tmp_path):
    write(tmp_path, {"city.toml": '[workspace]\nname = "c"\nprefix = "gco"\n'})
    loaded = load(str(tmp_path))
    assert loaded.ok
    assert any(w.message.startswith('HQ prefix "gco" is a reserved coordination-class id-prefix')
               for w in loaded.city.warnings)


def test_a_city_only_strict_mode_refuses_opens_as_no_strict_and_says_why(tmp_path):
    from core.session.driver import OpenError, open_city

    write(tmp_path, {"city.toml": '[workspace]\nname = "c"\n[[agent]]\nname = "w"\nmax_active_session = 2\n'})
    driver = open_city(str(tmp_path / "city.toml"))
    warnings = [ln.text for ln in driver.lines() if ln.kind == "warning"]
    assert warnings[0].startswith("gc start would refuse this city in strict mode (its default): ")
    assert 'did you mean "max_active_sessions"' in warnings[0]
    assert any("--no-strict" in w for w in warnings)
    assert driver.config.strict is False  # reloads follow the mode the controller could run in
    clean = tmp_path / "clean"
    write(clean, {"city.toml": '[workspace]\nname = "c"\n[[agent]]\nname = "w"\n'})
    d2 = open_city(str(clean / "city.toml"))
    assert d2.config.strict is True and not any("strict" in ln.text for ln in d2.lines())
    bad = tmp_path / "bad"
    write(bad, {"city.toml": '[workspace]\nname = "c"\n[[agent]]\nname = "w"\n[[agent]]\nname = "w"\n'})
    with pytest.raises(OpenError):  # what the loader or validators refuse is never opened
        open_city(str(bad / "city.toml"))
