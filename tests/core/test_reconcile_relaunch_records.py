"""relaunchAgentForLaunchDrift (cmd/gc/session_reconciler.go): what a warm-box relaunch reports
and what its refusals leave behind. A relaunch logs "Launch-only config change for '<display>'"
(TemplateParams.DisplayName: the instance name, else the template), records the config_drift
decision with outcome relaunch and the drift's hashes (configDriftTracePayload), and records a
session.updated event for the display name; the model adds its launch-drift restart action. A
session provider that is not a RelaunchProvider (subprocess) and a relaunch that would resume a
key minted just now (TestRelaunchAgentForLaunchDrift_AbortClearsSpeculativeResumeKey) both fall
back to the full restart in the same tick: the config-drift drain of a pool session."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import write_scenario

from core.actions import Action, Event
from core.scenario.file import load_scenario

SITE = "reconciler.session.config_drift"
AT_RELAUNCH = datetime(2026, 5, 16, 12, 10, tzinfo=UTC)


def _city(agent: str, top: str = "", named: str = "", prefix: str = "city") -> str:
    """A city table (under `prefix`): the workspace, `top` tables, one agent `worker` whose
    launch half is `agent`, and `named` [[named_session]] tables."""
    text = f'[{prefix}.workspace]\nname = "test-city"\n{top}[[{prefix}.agent]]\nname = "worker"\n{agent}{named}'
    return text.replace("[city.", f"[{prefix}.").replace("[[city.", f"[[{prefix}.")


def drift(tmp_path, before: str, after: str, *, top: str = "", named: str = ""):
    """Start the city's sessions, let ten minutes pass, change the worker's launch half from
    `before` to `after`, tick: (the model, the last tick's outcome)."""
    text = ('name = "launch drift"\nstart = "2026-05-16T12:00:00Z"\n' + _city(before, top, named)
            + '[[step]]\ndo = "tick"\n[[step]]\ndo = "advance"\nby = "10m"\n[[step]]\ndo = "edit_config"\n'
            + _city(after, top, named, prefix="step.city") + '[[step]]\ndo = "tick"\n')
    scn = load_scenario(write_scenario(tmp_path, text))
    m = scn.model()
    for step in scn.steps:
        out = scn.apply(m, step)
    return m, out


def drift_records(out):
    return [(t.reason_code, t.outcome_code, t.template, t.session_name, sorted(t.fields)) for t in out.trace
            if t.site_code == SITE]


POOL = 'max_active_sessions = 1\nmin_active_sessions = 1\n'


def test_a_relaunch_reports_its_restart_decision_and_event_and_relaunches_the_agent_in_place(tmp_path):
    m, out = drift(tmp_path, 'start_command = "claude --model a"\n' + POOL,
                   'start_command = "claude --model b"\n' + POOL)
    assert [a for a in out.actions if a.bead_id == "gc-1"] == [
        Action("restart", "gc-1", "worker-gc-1", "launch-drift",
               "launch-only change: agent relaunched in its box with command claude --model b", "worker")]
    assert drift_records(out) == [("config_drift", "relaunch", "worker", "worker-gc-1",
                                   ["current_hash", "stored_hash"])]
    assert Event("session.updated", "worker", "agent relaunched (launch-only config change)", "gc-1") in out.events
    assert "Launch-only config change for 'worker', relaunched agent in warm box" in out.logs
    # the box is kept and a new agent process runs in it from the relaunch on
    live = m.world.runtime.sessions["worker-gc-1"]
    assert live.process_alive and live.last_activity == AT_RELAUNCH


def test_a_relaunch_of_an_agent_without_a_launch_command_names_none(tmp_path):
    _, out = drift(tmp_path, 'prompt_mode = "none"\n' + POOL, 'prompt_mode = "arg"\n' + POOL)
    assert [a.detail for a in out.actions if a.kind == "restart"] == ["launch-only change: agent relaunched in its box"]


def test_a_named_session_is_relaunched_under_its_identity(tmp_path):
    """DisplayName is the instance name: the named session `boss` of template worker."""
    named = '[[city.named_session]]\nname = "boss"\ntemplate = "worker"\nmode = "always"\n'
    _, out = drift(tmp_path, 'prompt_mode = "none"\n', 'prompt_mode = "arg"\n', named=named)
    assert "Launch-only config change for 'boss', relaunched agent in warm box" in out.logs
    assert [(e.subject, e.bead_id) for e in out.events if e.type == "session.updated"] == [("boss", "gc-1")]
    assert drift_records(out) == [("config_drift", "relaunch", "worker", "boss", ["current_hash", "stored_hash"])]


def test_a_session_provider_that_cannot_relaunch_takes_the_full_restart(tmp_path):
    """The subprocess provider is no RelaunchProvider: no relaunch, the drain of a drifted pool
    session starts in the same tick."""
    m, out = drift(tmp_path, 'start_command = "claude --model a"\n' + POOL,
                   'start_command = "claude --model b"\n' + POOL, top='[city.session]\nprovider = "subprocess"\n')
    assert [(a.kind, a.reason) for a in out.actions if a.bead_id == "gc-1"] == [("drain", "config-drift")]
    assert [r[1] for r in drift_records(out)] == ["drain"]
    assert m.world.runtime.sessions["worker-gc-1"].last_activity != AT_RELAUNCH


SESSION_ID_PROVIDER = ('[city.providers.fc]\ncommand = "stale-claude"\nresume_flag = "--resume"\n'
                       'resume_style = "flag"\nsession_id_flag = "--session-id"\n')


def test_a_relaunch_that_would_resume_a_key_minted_now_is_refused_and_the_key_cleared(tmp_path):
    """TestRelaunchAgentForLaunchDrift_AbortClearsSpeculativeResumeKey: relaunchAbortResidueFold
    clears what clearStaleResumeKeyMetadata does (the key, the started hash, the priming markers;
    continuation_reset_pending set) and the caller's full restart follows: here the drain."""
    text = ('name = "speculative"\nstart = "2026-05-16T12:00:00Z"\n'
            + _city('provider = "fc"\nprompt_mode = "none"\n' + POOL, SESSION_ID_PROVIDER)
            + '[[step]]\ndo = "tick"\n[[step]]\ndo = "set_session"\nid = "gc-1"\n'
            'metadata = { session_key = "", primed_at = "2026-05-16T12:00:00Z", prompt_hash = "p" }\n'
            '[[step]]\ndo = "edit_config"\n'
            + _city('provider = "fc"\nprompt_mode = "arg"\n' + POOL, SESSION_ID_PROVIDER, prefix="step.city")
            + '[[step]]\ndo = "tick"\n')
    scn = load_scenario(write_scenario(tmp_path, text))
    m = scn.model()
    for step in scn.steps:
        out = scn.apply(m, step)
    b = m.world.store.session("gc-1")
    assert {k: b.get(k) for k in ("session_key", "started_config_hash", "continuation_reset_pending", "primed_at",
                                  "priming_attempted_at", "prompt_hash")} == {
        "session_key": "", "started_config_hash": "", "continuation_reset_pending": "true", "primed_at": "",
        "priming_attempted_at": "", "prompt_hash": ""}
    assert ("session reconciler: launch-drift relaunch for worker-gc-1 minted a speculative resume key (no prior "
            "conversation); falling back to full restart") in out.logs
    assert [(a.kind, a.reason) for a in out.actions if a.bead_id == "gc-1"] == [("drain", "config-drift")]
    assert [r[1] for r in drift_records(out)] == ["drain"]
