"""validateAgentSessionTransportForBuild at each site of the build that resolves an agent: a named
session, a session bead rediscovered for its template, and a dependency floor are skipped with Gas
City's `buildDesiredState: <site>: <error> (skipping)` line, and nothing is created for them."""

from __future__ import annotations

from core.scenario.file import load_scenario

CITY = """name = "refuse"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[city.providers.claude]
base = "builtin:claude"
[city.session]
provider = "acp"
[[city.agent]]
name = "mayor"
provider = "claude"
session = "tmux"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "always"
[[city.agent]]
name = "db"
provider = "claude"
session = "tmux"
max_active_sessions = 2
[[city.agent]]
name = "app"
provider = "claude"
max_active_sessions = 2
depends_on = ["db"]
[[session]]
id = "gc-7"
[session.metadata]
session_name = "db-gc-7"
agent_name = "db-1"
template = "db"
manual_session = "true"
session_origin = "manual"
state = "asleep"
[[work]]
id = "w-1"
routed_to = "app"
"""

ERR = 'agent "{a}": provider "claude" requires tmux transport but the session provider cannot route tmux sessions'


def test_each_build_site_skips_an_agent_whose_transport_cannot_be_routed(tmp_path):
    p = tmp_path / "refuse.toml"
    p.write_text(CITY)
    m = load_scenario(str(p)).model()
    out = m.do({"do": "tick"})
    for line in (f'buildDesiredState: named session "mayor": {ERR.format(a="mayor")} (skipping)',
                 f'buildDesiredState: bead gc-7 template "db": {ERR.format(a="db")} (skipping)',
                 f'buildDesiredState: dependency floor "db": {ERR.format(a="db")} (skipping)'):
        assert line in out.logs, line
    assert [(a.kind, a.template) for a in out.actions if a.kind == "create_bead"] == [("create_bead", "app")]
    assert not out.desired.entries.of_template("db") and not out.desired.entries.of_template("mayor")
