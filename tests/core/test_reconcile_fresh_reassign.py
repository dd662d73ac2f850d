"""The bead-reassign cycle (cycleAliveSessionForFreshReassign, Gas City #1893): a live named
session with wake_mode = "fresh" whose assigned work moved to another bead is stopped, its circuit
breaker reset, and the restart handoff (RestartRequestPatch) written with the new bead recorded;
the tick then leaves the session alone. A wake_mode = "resume" session keeps its conversation, and
a failed stop leaves the session running with the new bead recorded
(recordCurrentBeadIDOnWake). Rows ported from session_reconciler_bead_reassign_test.go."""

from __future__ import annotations

from factories import scenario_model

from core.outcome import Action

CITY = """name = "fresh"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[city.providers.cli]
command = "cli"
{flag}
[[city.agent]]
name = "witness"
provider = "cli"
wake_mode = "{mode}"
max_active_sessions = 1
[[city.named_session]]
template = "witness"
mode = "on_demand"
{extra_city}[[session]]
id = "gc-1"
[session.metadata]
session_name = "witness"
agent_name = "witness"
alias = "witness"
template = "witness"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "witness"
configured_named_mode = "on_demand"
state = "active"
wake_mode = "{mode}"
session_key = "conversation-A"
currently_processing_bead_id = "wb-A"
{meta}[[runtime]]
name = "witness"
session_id = "gc-1"
[[work]]
id = "wb-B"
status = "in_progress"
assignee = "witness"
{after}"""
SITE = "reconciler.session.bead_reassign_cycle"
# every key RestartRequestPatch clears, the priming markers with them
CLEARED = ("restart_requested", "started_config_hash", "last_woke_at", "pending_create_claim",
           "pending_create_started_at", "primed_at", "priming_attempted_at", "prompt_hash")


def tick(tmp_path, mode="fresh", flag='session_id_flag = "--session-id"', meta="", after="", extra_city=""):
    m = scenario_model(tmp_path, CITY.format(mode=mode, flag=flag, meta=meta, after=after, extra_city=extra_city))
    out = m.do({"do": "tick"})
    return m, out, m.world.store.session("gc-1")


def cycles(out):
    return [(t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in out.trace
            if t.site_code == SITE]


def test_a_live_fresh_session_reassigned_to_new_work_starts_a_new_conversation(tmp_path):
    m, out, b = tick(tmp_path)
    assert not m.world.runtime.alive("witness")
    assert b.get("currently_processing_bead_id") == "wb-B"
    assert b.get("continuation_reset_pending") == "true"
    assert b.get("reset_committed_at") == "2026-05-16T12:00:00Z"
    assert b.get("session_key") not in ("", "conversation-A")
    assert all(b.get(k) == "" for k in CLEARED), {k: b.get(k) for k in CLEARED}
    assert cycles(out) == [("fresh_cycle", "restart", "witness", "witness",
                            {"previous_bead_id": "wb-A", "new_bead_id": "wb-B"})]
    assert "Cycled fresh-mode session 'witness' for bead reassign: wb-A \u2192 wb-B" in out.logs
    assert [a for a in out.actions if a.bead_id == "gc-1" or a.session_name == "witness"] == [
        Action("stop", "gc-1", "witness", "fresh-cycle", "", "witness"),
        Action("restart", "gc-1", "witness", "bead-reassign", "fresh conversation for wb-B (was wb-A)", "witness")]


def test_the_handoff_is_stamped_in_whole_seconds(tmp_path):
    """RestartRequestPatch writes reset_committed_at `now.UTC().Format(time.RFC3339)`."""
    m = scenario_model(tmp_path, CITY.format(mode="fresh", flag='session_id_flag = "--session-id"', meta="", after="",
                                             extra_city=""))
    m.do({"do": "advance", "by": "1.4s"})
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("reset_committed_at") == "2026-05-16T12:00:01Z"


def test_the_cycle_clears_the_handoff_fields_a_previous_incarnation_left(tmp_path):
    meta = ('last_woke_at = "2026-05-16T11:00:00Z"\nprimed_at = "2026-05-16T11:00:01Z"\n'
            'priming_attempted_at = "2026-05-16T11:00:00Z"\nprompt_hash = "p1"\n')
    _, out, b = tick(tmp_path, meta=meta)
    assert cycles(out) and all(b.get(k) == "" for k in CLEARED), {k: b.get(k) for k in CLEARED}


def test_a_cycled_session_is_left_alone_for_the_rest_of_the_tick(tmp_path):
    # the caller `continue`s past the cycled session: an idle-stop intent is not cleared
    _, out, b = tick(tmp_path, meta='sleep_intent = "idle-stop-pending"\n')
    assert cycles(out) and b.get("sleep_intent") == "idle-stop-pending"


def test_the_named_circuit_breaker_is_reset_by_the_cycle(tmp_path):
    _, _, b = tick(tmp_path)
    assert b.get("session_circuit_reset_generation") == "2"


def test_a_resume_session_keeps_its_conversation_on_reassign(tmp_path):
    m, out, b = tick(tmp_path, mode="resume")
    assert m.world.runtime.alive("witness") and cycles(out) == []
    assert b.get("session_key") == "conversation-A" and b.get("continuation_reset_pending") == ""
    assert b.get("currently_processing_bead_id") == "wb-B"


def test_a_provider_that_only_resumes_has_its_key_cleared_by_the_cycle(tmp_path):
    # freshRestartSessionKeyInfo answers "", capable for a provider with a resume flag but no
    # session-id flag, and cycleAliveSessionForFreshReassign then writes session_key = "": the
    # next wake must not resume the old conversation (TestFreshRestartSessionKey's "ResumeFlag
    # via ResolvedProvider clears key" row, through the cycle)
    _, out, b = tick(tmp_path, flag='resume_flag = "--resume"')
    assert cycles(out) and b.get("session_key") == ""


def test_a_provider_with_no_resume_capability_has_its_key_cleared_by_the_cycle(tmp_path):
    # TestFreshRestartSessionKey "ResolvedProvider with no resume flags clears key"
    _, out, b = tick(tmp_path, flag="")
    assert cycles(out) and b.get("session_key") == ""


def test_a_session_id_flag_stamped_on_the_bead_gets_a_new_key_from_the_cycle(tmp_path):
    # TestFreshRestartSessionKey "session_id_flag via meta generates fresh UUID key": the
    # provider spec says nothing about resuming, the bead's stamped flag does
    _, out, b = tick(tmp_path, flag="", meta='session_id_flag = "--session-id"\n')
    assert cycles(out) and b.get("session_key") not in ("", "conversation-A")


def test_a_failed_stop_leaves_the_session_running_with_the_new_bead_recorded(tmp_path):
    m = scenario_model(tmp_path, CITY.format(mode="fresh", flag='session_id_flag = "--session-id"', meta="",
                                             after="", extra_city=""))
    m.do({"do": "fail_stop", "name": "witness", "message": "boom"})
    out = m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert m.world.runtime.alive("witness") and cycles(out) == []
    assert "session reconciler: stopping fresh-cycle witness: boom" in out.logs
    assert b.get("currently_processing_bead_id") == "wb-B"
    assert b.get("session_key") == "conversation-A" and b.get("continuation_reset_pending") == ""


def test_an_unreadable_breaker_generation_stops_the_session_but_writes_no_handoff(tmp_path):
    # resetSessionCircuitBreakerState fails after the stop: the cycle reports not run, and the
    # wake path records the new bead as for any live session
    m, out, b = tick(tmp_path, meta='session_circuit_reset_generation = "x"\n')
    assert not m.world.runtime.alive("witness") and cycles(out) == []
    assert any(line.startswith("session reconciler: clearing session circuit breaker for fresh-cycle witness: ")
               for line in out.logs), out.logs
    assert b.get("currently_processing_bead_id") == "wb-B"
    assert b.get("session_key") == "conversation-A" and b.get("continuation_reset_pending") == ""


def _key(tmp_path, name: str, bead_id: str, start: str) -> str:
    text = CITY.format(mode="fresh", flag='session_id_flag = "--session-id"', meta="", after="", extra_city="")
    text = text.replace('id = "gc-1"', f'id = "{bead_id}"').replace('session_id = "gc-1"', f'session_id = "{bead_id}"')
    m = scenario_model(tmp_path, text.replace("2026-05-16T12:00:00Z", start), name)
    out = m.do({"do": "tick"})
    assert cycles(out)
    return m.world.store.session(bead_id).get("session_key")


def test_every_cycle_gets_a_conversation_key_of_its_own(tmp_path):
    # Gas City draws a random UUID: two sessions, or one session cycled at another time, never
    # share a key
    first = _key(tmp_path, "a.toml", "gc-1", "2026-05-16T12:00:00Z")
    assert first != _key(tmp_path, "b.toml", "gc-7", "2026-05-16T12:00:00Z")
    assert first != _key(tmp_path, "c.toml", "gc-1", "2026-05-16T13:00:00Z")
