"""A zombie (the runtime runs, its agent process is dead): its pane is captured; a terminal
provider error in it marks the bead unhealthy, any output that is not a rate-limit screen is a
session.crashed event (ProviderTerminalErrorReason, the crash capture of the reconciler)."""

from __future__ import annotations

from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

CITY = named_mayor_scenario("zombie",
                            NAMED_MAYOR_IDENTITY + """\
state = "active"
generation = "1"
last_woke_at = "2026-05-16T11:00:00Z"
""",
                            after="""\
[[runtime]]
name = "mayor"
session_id = "gc-1"
alive = false
peek = "{peek}"
""")


def tick(tmp_path, peek: str):
    m = scenario_model(tmp_path, CITY.format(peek=peek), "z.toml")
    out = m.do({"do": "tick"})
    crashed = [(e.subject, e.message, e.bead_id) for e in out.events if e.type == "session.crashed"]
    terminal = [(t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in out.trace
                if t.site_code == "reconciler.session.terminal_provider_error"]
    return m, out, crashed, terminal


def test_a_terminal_provider_error_marks_the_bead_and_is_reported_as_a_crash(tmp_path):
    m, out, crashed, terminal = tick(tmp_path, "Error: model claude-9 not found")
    assert terminal == [("model_not_found", "unhealthy", "mayor", "mayor", {"session_bead_id": "gc-1"})]
    b = m.world.store.session("gc-1")
    assert b.get("provider_terminal_error") == "model_not_found"
    # markProviderTerminalError stamps the mark with the tick's clock (RFC 3339, seconds)
    assert b.get("provider_terminal_error_at") == m.world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert crashed == [("mayor", "Error: model claude-9 not found", "gc-1")]
    # the zombie capture is reported by the session.crashed event only: Gas City writes no line for it
    assert not any("zombie" in line for line in out.logs)


def test_other_output_is_a_crash_only_and_a_rate_limit_screen_is_neither(tmp_path):
    m, _, crashed, terminal = tick(tmp_path, "segfault")
    assert terminal == [] and crashed == [("mayor", "segfault", "gc-1")]
    assert m.world.store.session("gc-1").get("provider_terminal_error") == ""
    _, out, crashed, terminal = tick(tmp_path, "Usage limit reached. Try again later.")
    assert crashed == [] and terminal == [] and not any("zombie" in line for line in out.logs)


def test_an_empty_pane_says_nothing(tmp_path):
    _, out, crashed, terminal = tick(tmp_path, "")
    assert crashed == [] and terminal == []


def test_a_zombie_with_no_wake_stamp_is_still_marked(tmp_path):
    # not a crash candidate of the exit checks (no last_woke_at): the zombie capture alone marks it
    m = scenario_model(tmp_path, CITY.format(peek="Error: model claude-9 not found")
                       .replace('last_woke_at = "2026-05-16T11:00:00Z"\n', ""), "z.toml")
    out = m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("provider_terminal_error") == "model_not_found"
    assert [t.reason_code for t in out.trace if t.site_code == "reconciler.session.terminal_provider_error"] == \
        ["model_not_found"]


POOL = """name = "pool-zombie"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 2
scale_check = "printf 1"
[scale_check]
worker = 1
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker-gc-1"
template = "worker"
agent_name = "worker"
pool_managed = "true"
state = "active"
generation = "1"
[[runtime]]
name = "worker-gc-1"
session_id = "gc-1"
alive = false
peek = "segfault"
"""


def test_a_pool_zombies_crash_names_the_instance_not_the_template(tmp_path):
    # the event's subject is TemplateParams.DisplayName: the pool instance's name
    out = scenario_model(tmp_path, POOL, "p.toml").do({"do": "tick"})
    assert [(e.subject, e.bead_id) for e in out.events if e.type == "session.crashed"] == [("worker-1", "gc-1")]
