"""syncSessionBeads' close pass (skipClose off, `gc start`'s final one-shot sync): every open
bead no desired entry names is visited in turn. A named bead whose [[named_session]] is gone is
archived; a bead of an agent no longer configured is closed `orphaned`;
a bead whose session name is a configured named session's (here one whose template is missing)
is closed `suspended`; a bead holding a configured named
session's alias is left open; one bead's outcome
never stops the pass for the beads after it."""

from __future__ import annotations

from factories import named_mayor_city, scenario_model

CITY = 'name = "close"\n' + named_mayor_city(mode="on_demand") + """[[city.named_session]]
template = "ghost"
mode = "on_demand"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "old-deacon"
template = "deacon"
agent_name = "deacon"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "deacon"
state = "asleep"
[[session]]
id = "gc-2"
[session.metadata]
session_name = "x"
alias = "mayor"
template = "gone"
agent_name = "gone"
state = "asleep"
[[session]]
id = "gc-3"
[session.metadata]
session_name = "gone-old"
template = "gone"
agent_name = "gone"
state = "asleep"
[[session]]
id = "gc-4"
[session.metadata]
session_name = "ghost"
template = "ghost"
agent_name = "ghost"
state = "asleep"
"""


def test_the_close_pass_visits_every_undesired_bead(tmp_path):
    m = scenario_model(tmp_path, CITY)
    out = m.do({"do": "sync", "close": True})
    closes = {a.bead_id: a.reason for a in out.actions if a.kind == "close"}
    assert closes == {"gc-3": "orphaned", "gc-4": "suspended"}
    assert m.world.store.session("gc-1").get("state") == "archived"
    assert m.world.store.session("gc-2").open
