"""emitSessionUnknownStateDiagnostic and clearSessionUnknownStateMarkers
(cmd/gc/session_reconciler.go): a bead in a state this reconciler does not know is skipped, said
once per state value, escalated once after 30 minutes, and forgotten when it is known again."""

from __future__ import annotations

from factories import named_mayor_scenario, scenario_model

CITY = named_mayor_scenario("unknown", """\
session_name = "mayor"
template = "mayor"
configured_named_session = "true"
configured_named_identity = "mayor"
state = "hibernating"
""")


def events(out) -> list[str]:
    return [e.message for e in out.events if e.type == "session.unknown_state"]


def test_an_unknown_state_is_said_once_escalated_once_and_forgotten_when_known(tmp_path):
    m = scenario_model(tmp_path, CITY, "u.toml")
    out = m.do({"do": "tick"})
    assert 'session reconciler: skipping mayor with unknown state "hibernating"' in out.logs
    assert events(out) == ['session "mayor" has unrecognized state "hibernating"; reconciler is skipping it '
                           "(forward-compatible rollback)"]
    b = m.world.store.session("gc-1")
    assert (b.get("unknown_state_first_seen"), b.get("unknown_state_value"), b.get("unknown_state_escalated_at")) == \
        ("2026-05-16T12:00:00Z", "hibernating", "")
    assert [(t.reason_code, t.outcome_code) for t in out.trace
            if t.site_code == "reconciler.session.skip_unknown_state"] == [("unknown_state_skipped", "skipped")]
    assert not any(a.kind in ("start", "stop", "close") for a in out.actions)

    m.do({"do": "advance", "by": "29m59s"})
    assert events(m.do({"do": "tick"})) == []
    m.do({"do": "advance", "by": "1s"})
    out = m.do({"do": "tick"})
    assert events(out) == ['session "mayor" still has unrecognized state "hibernating" after 30m0s; reconciler '
                           "continues to skip it \u2014 operator or pack recovery required"]
    assert m.world.store.session("gc-1").get("unknown_state_escalated_at") == "2026-05-16T12:30:00Z"
    m.do({"do": "advance", "by": "1h"})
    assert events(m.do({"do": "tick"})) == []

    # another unknown value is a new first sight, with its own escalation window
    m.world.store.update_session("gc-1", {"state": " active "})
    out = m.do({"do": "tick"})
    assert events(out) == ['session "mayor" has unrecognized state " active "; reconciler is skipping it '
                           "(forward-compatible rollback)"]
    b = m.world.store.session("gc-1")
    assert (b.get("unknown_state_value"), b.get("unknown_state_escalated_at")) == (" active ", "")

    m.world.store.update_session("gc-1", {"state": "asleep"})
    m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert (b.get("unknown_state_first_seen"), b.get("unknown_state_value")) == ("", "")


def test_an_escalation_marker_alone_is_cleared_once_the_state_is_known(tmp_path):
    known = CITY.replace('state = "hibernating"', 'state = "asleep"\nunknown_state_escalated_at = "2026-05-16T11:00:00Z"')
    m = scenario_model(tmp_path, known, "u.toml")
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("unknown_state_escalated_at") == ""
