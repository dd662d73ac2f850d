"""What citywatch says of an operator's step (the clock advanced, a runtime exited, work added, a
fault armed, a config edited) is a note, kept apart from the log lines Gas City writes: an
expectation that counts a step's log lines counts Gas City's alone, while the event log still
shows every note."""

from __future__ import annotations

from factories import one_worker_city, scenario_failures, scenario_model, with_expect

from core.session.history import outcome_lines

CITY = one_worker_city("notes")


def test_an_operator_step_writes_a_note_and_no_log_line(tmp_path):
    m = scenario_model(tmp_path, CITY)
    m.do({"do": "tick"})
    (name,) = [s.name for s in m.world.runtime.sessions.values()]
    for step in ({"do": "advance", "by": "5s"}, {"do": "runtime_exit", "name": name, "crash": True},
                 {"do": "add_work", "id": "w-1"}):
        out = m.do(step)
        assert out.logs == [], step
        assert len(out.notes) == 1, step
    assert out.notes == ["work w-1 added"]


def test_the_event_log_shows_notes_beside_gas_citys_lines(tmp_path):
    m = scenario_model(tmp_path, CITY)
    out = m.do({"do": "advance", "by": "5s"})
    lines = outcome_lines(out, 1, 0, m.world.now)
    assert [(ln.kind, ln.text) for ln in lines] == [("note", "clock advanced 5s to 2026-07-19T12:00:05Z")]


def test_log_total_counts_only_gas_citys_lines(tmp_path):
    scn = CITY + '\n[[step]]\ndo = "advance"\nby = "5s"\n'
    assert scenario_failures(tmp_path, with_expect(scn, "log_total = 0")) == []
    assert scenario_failures(tmp_path, with_expect(scn, "log_total = 1")) != []

