"""What the model still simplifies is said where an operator looks: `explain`'s model section
and the Why panel name it for the sessions it affects (core/explain/reasons.py model_notes)."""

from __future__ import annotations

from factories import scenario_app, scenario_model

from core.explain.explanation import explain_session
from tests.tui.conftest import SIZE, settle

SCENARIO = """
name = "a worker with a work_query and a ready wait"
start = "2026-05-16T12:00:00Z"

[city.workspace]
name = "test-city"

[[city.agent]]
name = "worker"
work_query = "bd ready --json"

[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker"
agent_name = "worker"
template = "worker"
state = "asleep"

[[wait]]
id = "wt-1"
session = "gc-1"
state = "ready"
"""


def test_explain_names_each_simplification_that_affects_the_session(tmp_path):
    notes = explain_session(scenario_model(tmp_path, SCENARIO), "gc-1").model.simplifies
    assert any(n.startswith("work_query: the controller does not run it") for n in notes), notes
    assert any("ready durable wait stays ready" in n for n in notes), notes


async def test_the_why_panel_shows_the_model_section(tmp_path):
    app = scenario_app(tmp_path, SCENARIO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.sessions.focus_target().focus()
        assert app.sessions.table.select_key(app.sessions.table.row_keys[0])
        await settle(app, pilot)
        why = " ".join(str(app.query_one("#why").content).split())
        assert "simplifies:" in why and "work_query: the controller does not run it" in why, why
