"""A rapid crash that reaches the wake-failure limit (checkStability, recordWakeFailure):
the bead is quarantined for five minutes and the tick reports a quarantine action naming it."""

from __future__ import annotations

from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

CITY = named_mayor_scenario("crash",
                            NAMED_MAYOR_IDENTITY + """\
state = "active"
generation = "1"
wake_attempts = "{attempts}"
last_woke_at = "2026-05-16T11:59:50Z"
""")


def tick(tmp_path, attempts: int):
    m = scenario_model(tmp_path, CITY.format(attempts=attempts), "c.toml")
    return m, m.do({"do": "tick"})


def test_the_fifth_rapid_crash_quarantines_with_an_action_that_names_the_bead(tmp_path):
    m, out = tick(tmp_path, 4)
    b = m.world.store.session("gc-1")
    assert (b.get("wake_attempts"), b.get("quarantined_until"), b.get("sleep_reason")) == \
        ("5", "2026-05-16T12:05:00Z", "quarantine")
    (q,) = [a for a in out.actions if a.kind == "quarantine"]
    assert (q.bead_id, q.session_name, q.reason, q.detail, q.template) == \
        ("gc-1", "mayor", "quarantine", "wake_attempts=5; quarantined until 2026-05-16T12:05:00Z", "mayor")
    # checkStability counts the crash on the bead and writes no log line
    assert not any("mayor" in line for line in out.logs)


def test_an_earlier_rapid_crash_only_counts(tmp_path):
    m, out = tick(tmp_path, 2)
    assert m.world.store.session("gc-1").get("wake_attempts") == "3"
    assert not [a for a in out.actions if a.kind == "quarantine"]
