"""A start still running when the tick ends (enqueuePreparedStartWaveForCity and its goroutine,
cmd/gc/session_lifecycle_parallel.go): it is logged at once as outcome start_enqueued with a
zero duration (its result's start and finish are both the enqueue time, logLifecycleOutcome), and
when the provider Start returns it commits as the prepared start (commitAsyncStartResult): the
runtime runs the prepared command line, the start is reported with the candidate's wake reason
under its display name. asyncStartPreparedCommandStaleInfo only calls a result stale when the
prepared and the current command are both set and differ, so a start prepared without a command
commits whatever command the bead has meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import scenario_model

from core.actions import Action, Event

CITY = '''name = "slow starts"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "test-city"
[city.providers.cli]
command = "cli --fast"
session_id_flag = "--session-id"
[[city.agent]]
name = "worker"
provider = "cli"
[[city.agent]]
name = "bare"
[[city.named_session]]
name = "boss"
template = "worker"
mode = "always"
[[city.named_session]]
template = "bare"
mode = "always"
'''
T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)
READY = datetime(2026, 5, 16, 12, 0, 40, tzinfo=UTC)


def enqueued(tmp_path):
    """Both named sessions' starts take 40 s; one tick enqueues them."""
    m = scenario_model(tmp_path, CITY)
    for name in ("boss", "bare"):
        m.do({"do": "slow_start", "name": name, "by": "40s"})
    return m, m.do({"do": "tick"})


def bead(m, name):
    return next(b for b in m.world.store.open_sessions() if b.session_name == name)


def test_an_enqueued_start_is_logged_at_once_and_remembers_what_it_was_prepared_with(tmp_path):
    m, out = enqueued(tmp_path)
    assert [line for line in out.logs if "outcome=" in line] == [
        "session lifecycle: op=start wave=0 session=bare template=bare outcome=start_enqueued duration=0s",
        "session lifecycle: op=start wave=0 session=boss template=worker outcome=start_enqueued duration=0s"]
    boss = bead(m, "boss")
    p = m.world.runtime.pending_starts["boss"]
    assert (p.name, p.bead_id, p.instance_token, p.template, p.started_at, p.ready_at, p.claim, p.wake_reason,
            p.wave, p.identity, p.generation, p.command) == (
        "boss", boss.id, boss.get("instance_token"), "worker", T0, READY, True, "named-always", 0, "boss",
        boss.get("generation"), "cli --fast")
    assert boss.get("generation") and boss.get("instance_token")
    # the command line: the launch command with the new conversation's session id
    assert p.start_line == f"cli --fast --session-id {boss.get('session_key')}"
    assert p.env["GC_SESSION_NAME"] == "boss" and p.env["GC_SESSION_ID"] == boss.id
    bare = m.world.runtime.pending_starts["bare"]
    assert (bare.name, bare.identity, bare.command, bare.start_line) == ("bare", "bare", "", "")


def test_the_finished_start_commits_as_prepared(tmp_path):
    m, _ = enqueued(tmp_path)
    start_line = m.world.runtime.pending_starts["boss"].start_line
    out = m.do({"do": "advance", "by": "45s"})
    boss = bead(m, "boss")
    assert m.world.runtime.sessions["boss"].command == start_line
    assert Action("start", boss.id, "boss", "named-always", f"generation {boss.get('generation')}",
                  "worker") in out.actions
    assert Event("session.woke", "boss", "woke (named-always)", boss.id) in out.events
    assert "Woke session 'boss'" in out.logs


def test_a_start_prepared_without_a_command_is_never_stale_for_the_beads_command(tmp_path):
    m, _ = enqueued(tmp_path)
    b = bead(m, "bare")
    m.do({"do": "set_session", "id": b.id, "metadata": {"command": "old-cli"}})
    out = m.do({"do": "advance", "by": "45s"})
    assert "session lifecycle: op=start wave=0 session=bare template=bare outcome=success duration=40s" in out.logs
    assert [(a.kind, a.bead_id) for a in out.actions if a.session_name == "bare"] == [("start", b.id)]
    assert m.world.runtime.alive("bare")
