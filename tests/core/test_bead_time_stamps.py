"""The form of the time stamps Gas City writes into session bead metadata.

Almost every stamp is written `t.UTC().Format(time.RFC3339)`: whole seconds, the sub-second
part dropped (Go's formatter truncates, it does not round). For example ConfirmStartedPatch and
PreWakePatch (internal/session/lifecycle_transition.go), syncSessionBeads and
reopenClosedConfiguredNamedSessionBead (cmd/gc/session_beads.go), QuarantinePatch and
recordWakeFailure (internal/session/lifecycle_exits.go). Two families keep the fraction
(time.RFC3339Nano): awake_started_at (awakeIntervalStartedAt, #3513: two intervals within one
second need distinct epochs) and the session circuit breaker's times (formatCircuitTime,
cmd/gc/session_circuit_breaker.go). A fraction only shows when the virtual clock has one.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

from core.formats.timefmt import format_time, format_time_seconds, parse_time
from core.scenario.file import load_scenario
from core.world.store import Store

SCENARIOS = sorted((pathlib.Path(__file__).parents[1] / "scenarios").rglob("*.toml"))
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
NANO_KEYS = frozenset({"awake_started_at", "session_circuit_last_restart", "session_circuit_last_progress",
                       "session_circuit_last_observed", "session_circuit_opened_at"})
# Every seconds-form key the scenario corpus exercises; the sweep below fails if one stops being
# written there, so it cannot pass by seeing nothing.
SECONDS_KEYS_SEEN = frozenset({
    "pending_create_started_at", "synced_at", "last_woke_at", "creation_complete_at", "closed_at",
    "pool_alias_conflict_at", "drain_at", "slept_at", "quarantined_until", "reset_committed_at",
    "config_drift_deferred_at", "attached_config_drift_deferred_at", "detached_at", "suspended_at",
    "stranded_event_emitted_at"})
SHIFT = timedelta(milliseconds=250)


def test_seconds_form_drops_the_fraction_without_rounding():
    t = datetime(2026, 5, 16, 12, 0, 1, 999999, tzinfo=UTC)
    assert format_time_seconds(t) == "2026-05-16T12:00:01Z"
    assert format_time(t) == "2026-05-16T12:00:01.999999Z"
    assert format_time_seconds(t.replace(microsecond=0)) == format_time(t.replace(microsecond=0))
    # readers take both forms
    assert parse_time("2026-05-16T12:00:01Z") == t.replace(microsecond=0)
    assert parse_time("2026-05-16T12:00:01.999999Z") == t


def _time_writes(monkeypatch: pytest.MonkeyPatch, scn) -> list[tuple[str, str, str]]:
    """(bead id, key, value) for every time-valued metadata value the scenario's steps write."""
    log: list[tuple[str, str, str]] = []
    put = Store.put_session

    def spy(self: Store, bead, method: str = "create"):
        old = self.sessions.get(bead.id)
        log.extend((bead.id, k, v) for k, v in sorted(bead.metadata.items())
                   if TIME.fullmatch(v) and (old is None or old.metadata.get(k) != v))
        return put(self, bead, method)

    with monkeypatch.context() as mp:
        mp.setattr(Store, "put_session", spy)
        m = scn.model()
        log.clear()  # the scenario's own seeded values are not writes of the model
        for st in scn.steps:
            scn.apply(m, st)
    return log


def test_every_scenario_writes_seconds_stamps_and_keeps_nano_ones(monkeypatch):
    """Each scenario runs twice: from its start, and from its start plus 250ms (every step
    advances whole seconds, so the second run's clock always carries .25). A seconds-form stamp
    comes out the same in both runs; an RFC3339Nano one is exactly 250ms later."""
    seen: set[str] = set()
    for path in SCENARIOS:
        scn = load_scenario(str(path))
        whole = _time_writes(monkeypatch, scn)
        shifted = _time_writes(monkeypatch, dataclasses.replace(scn, start=scn.start + SHIFT))
        assert [w[:2] for w in shifted] == [w[:2] for w in whole], path.name
        for (bid, key, a), (_, _, b) in zip(whole, shifted, strict=True):
            if key in NANO_KEYS:
                assert parse_time(b) - parse_time(a) == SHIFT, (path.name, bid, key, a, b)
            else:
                assert b == a, (path.name, bid, key, a, b)
                seen.add(key)
    assert seen >= SECONDS_KEYS_SEEN


def test_a_fractional_clock_stamps_a_start_in_whole_seconds_but_its_awake_epoch_exactly(tmp_path):
    """PreWakePatch (last_woke_at, pending_create_started_at), ConfirmStartedPatch
    (creation_complete_at in seconds, awake_started_at via awakeIntervalStartedAt in nanos)."""
    m = scenario_model(tmp_path, named_mayor_scenario("frac", NAMED_MAYOR_IDENTITY + 'state = "asleep"\n'))
    m.do({"do": "advance", "by": "1.5s"})
    m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert {k: b.get(k) for k in ("last_woke_at", "creation_complete_at", "awake_started_at")} == {
        "last_woke_at": "2026-05-16T12:00:01Z", "creation_complete_at": "2026-05-16T12:00:01Z",
        "awake_started_at": "2026-05-16T12:00:01.5Z"}


def test_an_unknown_state_is_first_seen_and_escalated_in_whole_seconds(tmp_path):
    """emitSessionUnknownStateDiagnostic (cmd/gc/session_reconciler.go) stamps both markers
    `now.Format(time.RFC3339)` with a UTC clock; the escalation age is measured from the
    truncated first sight, so it comes at 30m after 12:00:01, not after 12:00:01.5."""
    m = scenario_model(tmp_path, named_mayor_scenario("unknown", NAMED_MAYOR_IDENTITY + 'state = "hibernating"\n'))
    m.do({"do": "advance", "by": "1.5s"})
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("unknown_state_first_seen") == "2026-05-16T12:00:01Z"
    m.do({"do": "advance", "by": "29m59.7s"})  # 12:30:01.2: 30m0.2s after the stamp
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("unknown_state_escalated_at") == "2026-05-16T12:30:01Z"


def test_a_retired_named_session_is_archived_in_whole_seconds(tmp_path):
    """RetireNamedSessionPatch over ArchivePatch (internal/session/lifecycle_transition.go):
    archived_at and synced_at both `now.UTC().Format(time.RFC3339)`."""
    text = ('name = "retire"\nstart = "2026-05-16T12:00:00Z"\n[city.workspace]\nname = "t"\n[[city.agent]]\nname = "deacon"\n'
            '[[session]]\nid = "gc-1"\n[session.metadata]\n' + NAMED_MAYOR_IDENTITY + 'state = "asleep"\n')
    m = scenario_model(tmp_path, text)
    m.do({"do": "advance", "by": "2.999s"})
    m.do({"do": "sync", "close": True})
    b = m.world.store.session("gc-1")
    assert (b.get("state"), b.get("archived_at"), b.get("synced_at")) == \
        ("archived", "2026-05-16T12:00:02Z", "2026-05-16T12:00:02Z")


def test_a_terminal_provider_error_is_stamped_in_whole_seconds(tmp_path):
    """markProviderTerminalError (cmd/gc/session_reconcile.go): `now.Format(time.RFC3339)` of the
    controller clock in UTC."""
    text = named_mayor_scenario("zombie", NAMED_MAYOR_IDENTITY + 'state = "active"\ngeneration = "1"\n'
                                'last_woke_at = "2026-05-16T11:00:00Z"\n',
                                after='[[runtime]]\nname = "mayor"\nsession_id = "gc-1"\nalive = false\n'
                                      'peek = "Error: model claude-9 not found"\n')
    m = scenario_model(tmp_path, text)
    m.do({"do": "advance", "by": "0.5s"})
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("provider_terminal_error_at") == "2026-05-16T12:00:00Z"


def test_a_crash_quarantine_ends_in_whole_seconds(tmp_path):
    """recordWakeFailure (internal/session/lifecycle_exits.go): quarantined_until is
    `until.UTC().Format(time.RFC3339)` of now plus the five-minute quarantine."""
    text = named_mayor_scenario("crash", NAMED_MAYOR_IDENTITY + 'state = "active"\ngeneration = "1"\n'
                                'wake_attempts = "4"\nlast_woke_at = "2026-05-16T11:59:50Z"\n')
    m = scenario_model(tmp_path, text)
    m.do({"do": "advance", "by": "0.75s"})
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("quarantined_until") == "2026-05-16T12:05:00Z"


def test_a_drain_ack_finalized_with_work_left_sleeps_in_whole_seconds(tmp_path):
    """finalizeDrainAckStoppedSession writes SleepPatch (internal/session/lifecycle_transition.go):
    slept_at `now.UTC().Format(time.RFC3339)`; the tick before, BeginDrainPatch stamps drain_at
    the same way."""
    text = named_mayor_scenario(
        "ack", NAMED_MAYOR_IDENTITY + 'state = "active"\ngeneration = "2"\nlast_woke_at = "2026-05-16T11:00:00Z"\n',
        after='[[runtime]]\nname = "mayor"\nsession_id = "gc-1"\n'
              'meta = { GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "agent" }\n'
              '[[work]]\nid = "w-1"\nstatus = "in_progress"\nassignee = "mayor"\n')
    m = scenario_model(tmp_path, text)
    m.do({"do": "advance", "by": "1.5s"})
    m.do({"do": "tick"})
    assert m.world.store.session("gc-1").get("drain_at") == "2026-05-16T12:00:01Z"
    m.do({"do": "advance", "by": "1.25s"})
    out = m.do({"do": "tick"})
    assert [(a.kind, a.reason) for a in out.actions][:1] == [("sleep", "idle")]
    assert m.world.store.session("gc-1").get("slept_at") == "2026-05-16T12:00:02Z"


def test_a_reopened_named_bead_is_synced_in_whole_seconds(tmp_path):
    """reopenClosedConfiguredNamedSessionBead (cmd/gc/session_beads.go) stamps synced_at with
    the layout of time.RFC3339 and the sync's UTC clock."""
    text = named_mayor_scenario("reopen", NAMED_MAYOR_IDENTITY + 'state = "closed"\n'
                                'close_reason = "session drained: pool slot retired by reconciler"\n',
                                bead="open = false\n")
    m = scenario_model(tmp_path, text)
    m.do({"do": "advance", "by": "1.5s"})
    out = m.do({"do": "tick"})
    assert ("create_bead", "gc-1", "reopen-named") in [(a.kind, a.bead_id, a.reason) for a in out.actions]
    # the same sync's per-entry pass rewrites synced_at at once: read the reopen's own write
    (reopen,) = [w for w in m.world.store.journal if w.method == "reopen"]
    # the state is syncSessionCachedState's for a runtime that is not running
    assert (reopen.fields["state"][1], reopen.fields["synced_at"][1]) == ("stopped", "2026-05-16T12:00:01Z")
