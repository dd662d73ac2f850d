"""The config-drift clause of reconcileSessionBeads (cmd/gc/session_reconciler.go) for a live
session, record by record: what each branch writes to the bead, the drain tracker and the
runtime, and the trace decision, action, event and log line it leaves. The clause compares the
bead's started_config_hash with runtime.CoreFingerprint of the agent; a legacy or other-version
hash is rebaselined (silentRebaselineSessionHashes), an attached, recently attached or manual
session defers, a named one restarts in place unless active (resetConfiguredNamedSession-
ForConfigDriftInfo), an ordinary one defers on a pending interaction or open assigned work,
relaunches on a launch-only drift (relaunchAgentForLaunchDrift), else begins a config-drift
drain (beginSessionDrainInfo with [daemon].drift_drain_timeout). A matching hash clears the
deferral records (clearSessionConfigDriftDeferral) and goes on to the live-drift check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent, Daemon
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile import hashes
from core.reconcile.config_drift import alive_drift, live_drift
from core.reconcile.context import TickContext
from core.world.beads import WorkBead
from core.world.memory import Drain
from core.world.runtime import RuntimeSession
from core.world.world import World

WORKER = Agent(name="worker", start_command="claude --model b")
# the same box, another launch command: what a session started before the edit was stamped with
BEFORE = Agent(name="worker", start_command="claude --model a")
CURRENT = hashes.core_hash(WORKER)
SITE = "reconciler.session.config_drift"
DEFERRALS = ("config_drift_deferred_at", "config_drift_deferred_key", "attached_config_drift_deferred_at",
             "attached_config_drift_deferred_key")
# the entry's identity differs from its template: the event names the identity
ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")


def setup(stored: str = "v5:old", *, attached: bool = False, pending: bool = False, drain: str = "",
          provider: str = "", daemon: Daemon | None = None, **md: str) -> TickContext:
    """A tick over live bead gc-1 (session `worker`, generation 2) started with core hash
    `stored`; `drain` names the reason of a tracked drain of this generation."""
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", attached=attached, pending_interaction=pending))
    fields = {"session_name": "worker", "template": "worker", "generation": "2", "started_config_hash": stored, **md}
    world.store.put_session(session_bead("gc-1", **fields), "create")
    if drain:
        world.memory = world.memory.set("drains", "gc-1", Drain("gc-1", drain, world.now, world.now, "2"))
    city = make_city(WORKER, **({"daemon": daemon} if daemon else {}))
    if provider:
        city.session.provider = provider
    return TickContext(city, world, "current", Outcome())


def decisions(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in ctx.out.trace]


def bead(ctx: TickContext):
    return ctx.store.session("gc-1")


def drifted(stored: str = "v5:old") -> dict[str, str]:
    return {"stored_hash": stored, "current_hash": CURRENT}


def test_an_ordinary_idle_session_begins_a_config_drift_drain_with_the_drift_timeout():
    ctx = setup(daemon=Daemon(drift_drain_timeout="7m"))
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    d = ctx.mem.drains["gc-1"]
    assert (d.reason, d.deadline - d.started_at, d.generation) == ("config-drift", timedelta(minutes=7), "2")
    assert decisions(ctx) == [(SITE, "config_drift", "drain", "worker", "worker", drifted())]
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.draining", "rig/worker", "config drift detected", "gc-1")]
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.template) for a in ctx.out.actions] == \
        [("drain", "gc-1", "worker", "config-drift", "worker")]
    assert ctx.out.logs == ["Draining session 'worker': config-drift"] and ctx.rt.alive("worker")


def test_a_session_already_draining_is_left_to_its_drain_and_records_nothing():
    ctx = setup(drain="idle")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert ctx.mem.drains["gc-1"].reason == "idle"
    assert (decisions(ctx), ctx.out.events, ctx.out.actions) == ([], [], [])


def test_the_template_falls_back_to_the_beads_when_the_entry_has_none():
    ctx = setup()
    entry = DesiredEntry("worker", "", "rig/worker", "", 0, "pool")
    assert alive_drift(ctx, bead(ctx), entry) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "drain", "worker", "worker", drifted())]


def test_the_entrys_template_is_used_when_the_bead_carries_none():
    ctx = setup(template="")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "drain", "worker", "worker", drifted())]


@pytest.mark.parametrize(("stored", "template", "entry_template"), [
    ("", "worker", "worker"),  # started before its hash was written (#127): never drifts
    ("v5:old", "", ""),  # no template at all
    ("v5:old", "ghost", "ghost"),  # no configured agent
])
def test_no_stored_hash_template_or_agent_skips_the_check(stored, template, entry_template):
    ctx = setup(stored, template=template, config_drift_deferred_key="a:b")
    entry = DesiredEntry("worker", entry_template, "rig/worker", "", 0, "pool")
    assert alive_drift(ctx, bead(ctx), entry) == (False, False)
    assert (decisions(ctx), ctx.out.actions, ctx.out.logs, dict(ctx.mem.drains)) == ([], [], [], {})
    assert bead(ctx).get("config_drift_deferred_key") == "a:b"


def test_a_current_hash_clears_the_deferral_records_and_checks_live_drift():
    ctx = setup(CURRENT, **{k: "x" for k in DEFERRALS}, started_live_hash="v5:stale")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (False, False)
    b = bead(ctx)
    assert [b.get(k) for k in DEFERRALS] == ["", "", "", ""]
    live = hashes.live_hash(WORKER)
    assert (b.get("started_live_hash"), b.get("live_hash")) == (live, live)
    assert decisions(ctx) == [("reconciler.session.live_drift", "live_drift", "applied", "worker", "worker",
                               {"stored_hash": "v5:stale", "current_hash": live})]
    assert dict(ctx.mem.drains) == {}


def test_a_current_hash_without_deferral_records_writes_nothing_more():
    live = hashes.live_hash(WORKER)
    ctx = setup(CURRENT, started_live_hash=live)
    before = bead(ctx)
    assert alive_drift(ctx, before, ENTRY) == (False, False)
    assert bead(ctx).metadata == before.metadata and decisions(ctx) == []


@pytest.mark.parametrize(("stored", "outcome"), [
    ("0123abcd0123abcd0123", "rebaselined_unversioned"),
    ("v4:0123abcd0123abcd0123", "rebaselined_version_mismatch"),
])
def test_a_legacy_or_other_version_hash_is_rebaselined_not_drained(stored, outcome):
    ctx = setup(stored, started_live_hash="v4:live")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    b = bead(ctx)
    live = hashes.live_hash(WORKER)
    assert (b.get("started_config_hash"), b.get("started_live_hash"), b.get("live_hash")) == (CURRENT, live, live)
    assert (b.get("core_hash_breakdown"), b.get("started_provision_hash"), b.get("started_launch_hash")) == \
        (hashes.breakdown(WORKER), hashes.provision_hash(WORKER), hashes.launch_hash(WORKER))
    assert decisions(ctx) == [(SITE, "config_drift", outcome, "worker", "worker", drifted(stored))]
    assert ctx.out.logs == [f"rebaselined legacy hash for worker (stored={hashes.truncate_for_log(stored)} "
                            f"current={hashes.truncate_for_log(CURRENT)})"]
    assert dict(ctx.mem.drains) == {} and ctx.out.events == []


def test_an_attached_session_defers_records_the_drift_and_cancels_its_drift_drain():
    ctx = setup(attached=True, drain="config-drift")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "deferred_attached", "worker", "worker",
                               {"active_reason": "attached", "drain_canceled": True, **drifted()})]
    b = bead(ctx)
    assert (b.get("attached_config_drift_deferred_key"), b.get("attached_config_drift_deferred_at")) == \
        (f"v5:old:{CURRENT}", "2026-01-01T00:00:00Z")
    assert dict(ctx.mem.drains) == {} and ctx.rt.alive("worker")


def test_a_recently_attached_session_defers_on_the_record_of_this_drift():
    ctx = setup(attached_config_drift_deferred_key=f"v5:old:{CURRENT}",
                attached_config_drift_deferred_at="2025-12-31T23:58:00Z")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "deferred_attached", "worker", "worker",
                               {"active_reason": "attached_recently", **drifted()})]
    assert dict(ctx.mem.drains) == {}


def test_a_manual_session_takes_the_new_core_hash_as_its_baseline():
    ctx = setup(manual_session="true", started_live_hash="v5:stale", drain="config-drift")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    b = bead(ctx)
    # the core only: the live hash stays stale so session_live is re-applied next tick
    assert (b.get("started_config_hash"), b.get("started_live_hash")) == (CURRENT, "v5:stale")
    assert (b.get("core_hash_breakdown"), b.get("started_provision_hash"), b.get("started_launch_hash")) == \
        (hashes.breakdown(WORKER), hashes.provision_hash(WORKER), hashes.launch_hash(WORKER))
    assert decisions(ctx) == [(SITE, "config_drift", "deferred_active", "worker", "worker",
                               {"active_reason": "manual_session", **drifted()})]
    assert dict(ctx.mem.drains) == {}


@pytest.mark.parametrize(("drain", "canceled"), [("config-drift", True), ("orphaned", False)])
def test_a_pending_interaction_defers_and_cancels_a_drain_a_wake_may_cancel(drain, canceled):
    ctx = setup(pending=True, drain=drain)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "pending", "deferred_pending", "worker", "worker",
                               {"drain_canceled": canceled, **drifted()})]
    assert ("gc-1" in ctx.mem.drains) is not canceled


def test_open_assigned_work_defers_the_drain():
    ctx = setup()
    ctx.store.put_work(WorkBead("w-1", status="in_progress", assignee="gc-1"))
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "deferred_active", "worker", "worker",
                               {"active_reason": "live_assigned_work", **drifted()})]
    assert ctx.out.logs == ["Skipping config-drift drain for 'worker': live assigned work found"]
    assert dict(ctx.mem.drains) == {}


LAUNCH_ONLY = {"started_provision_hash": hashes.provision_hash(BEFORE), "started_launch_hash": hashes.launch_hash(BEFORE)}


def test_a_launch_only_drift_relaunches_the_agent_in_its_box_instead_of_draining():
    ctx = setup(hashes.core_hash(BEFORE), session_key="k-1", **LAUNCH_ONLY)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert dict(ctx.mem.drains) == {}
    assert bead(ctx).get("started_launch_hash") == hashes.launch_hash(WORKER)
    assert [(t.outcome_code, t.fields) for t in ctx.out.trace] == [("relaunch", drifted(hashes.core_hash(BEFORE)))]


def test_a_launch_only_drift_drains_where_the_provider_cannot_relaunch():
    ctx = setup(hashes.core_hash(BEFORE), provider="subprocess", session_key="k-1", **LAUNCH_ONLY)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert ctx.mem.drains["gc-1"].reason == "config-drift"
    assert bead(ctx).get("started_launch_hash") == hashes.launch_hash(BEFORE)


def test_a_box_drift_never_relaunches():
    ctx = setup(session_key="k-1", started_provision_hash="v5:box", started_launch_hash="v5:launch")
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert ctx.mem.drains["gc-1"].reason == "config-drift"
    assert [a.kind for a in ctx.out.actions] == ["drain"]


NAMED = {"session_origin": "named", "configured_named_session": "true", "configured_named_identity": "worker"}


def test_a_named_idle_session_restarts_in_place():
    ctx = setup(session_key="k-1", **NAMED)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (False, True)
    b = bead(ctx)
    assert (b.state, b.get("session_key"), b.get("started_config_hash"), b.get("pending_create_claim")) == \
        ("start-pending", "k-1", "v5:old", "true")
    assert not ctx.rt.alive("worker") and dict(ctx.mem.drains) == {}
    assert decisions(ctx) == [(SITE, "config_drift", "restart_in_place", "worker", "worker", drifted())]
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.draining", "rig/worker", "config drift detected", "gc-1")]
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions] == [
        ("stop", "gc-1", "worker", "config-drift", "", "worker"),
        ("restart", "gc-1", "worker", "config-drift", "named session restarted in place", "worker")]


def test_an_active_named_session_defers_with_its_reason_and_records_the_drift():
    ctx = setup(pin_awake="true", **NAMED)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert decisions(ctx) == [(SITE, "config_drift", "deferred_active", "worker", "worker",
                               {"active_reason": "pinned", **drifted()})]
    assert bead(ctx).get("config_drift_deferred_key") == f"v5:old:{CURRENT}"
    assert ctx.rt.alive("worker")


def test_a_named_launch_only_drift_relaunches_instead_of_restarting():
    ctx = setup(hashes.core_hash(BEFORE), session_key="k-1", **NAMED, **LAUNCH_ONLY)
    assert alive_drift(ctx, bead(ctx), ENTRY) == (True, False)
    assert bead(ctx).state == "" and ctx.rt.alive("worker")
    assert [t.outcome_code for t in ctx.out.trace] == ["relaunch"]


# ---------------------------------------------------------------------------- live drift
# The core hash matches: the live-only clause compares started_live_hash with
# runtime.LiveFingerprint. No stored hash and no session_live backfills silently; a legacy or
# other-version stored hash rebaselines all the fingerprints; else session_live is re-applied
# (RunLive) and both live hashes are stamped, with a session.updated event.

LIVE = Agent(name="worker", start_command="claude --model b", session_live=("tmux set status on",))


def live_tick(agent: Agent, **md: str) -> tuple[TickContext, str]:
    ctx = setup(hashes.core_hash(agent), **md)
    ctx.city.agents[:] = [agent]
    return ctx, hashes.live_hash(agent)


def test_a_current_live_hash_writes_nothing_even_when_the_live_hash_field_differs():
    ctx, live = live_tick(LIVE, started_live_hash=hashes.live_hash(LIVE), live_hash="v5:other")
    live_drift(ctx, bead(ctx), LIVE, ENTRY)
    assert bead(ctx).get("live_hash") == "v5:other"
    assert (decisions(ctx), ctx.out.logs, ctx.out.events) == ([], [], [])


def test_no_live_hash_and_no_session_live_is_backfilled_silently():
    ctx, live = live_tick(WORKER)
    live_drift(ctx, bead(ctx), WORKER, ENTRY)
    assert (bead(ctx).get("started_live_hash"), bead(ctx).get("live_hash")) == (live, live)
    assert (decisions(ctx), ctx.out.logs, ctx.out.events) == ([], [], [])


@pytest.mark.parametrize(("agent", "stored"), [(LIVE, ""), (WORKER, "v5:stale")])
def test_a_changed_session_live_is_reapplied_and_stamped(agent, stored):
    ctx, live = live_tick(agent, started_live_hash=stored)
    live_drift(ctx, bead(ctx), agent, ENTRY)
    assert (bead(ctx).get("started_live_hash"), bead(ctx).get("live_hash")) == (live, live)
    assert ctx.out.logs == ["Live config changed for 'rig/worker', re-applying..."]
    assert decisions(ctx) == [("reconciler.session.live_drift", "live_drift", "applied", "worker", "worker",
                               {"stored_hash": stored, "current_hash": live})]
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.updated", "rig/worker", "session_live re-applied", "gc-1")]
    assert bead(ctx).get("started_config_hash") == hashes.core_hash(agent)


@pytest.mark.parametrize(("stored", "outcome"), [
    ("0123abcd0123abcd0123", "rebaselined_unversioned"),
    ("v4:0123abcd0123abcd0123", "rebaselined_version_mismatch"),
])
def test_a_legacy_live_hash_rebaselines_every_fingerprint(stored, outcome):
    ctx, live = live_tick(LIVE, started_live_hash=stored, started_launch_hash="v5:old-launch")
    live_drift(ctx, bead(ctx), LIVE, ENTRY)
    b = bead(ctx)
    assert (b.get("started_live_hash"), b.get("live_hash"), b.get("started_launch_hash")) == \
        (live, live, hashes.launch_hash(LIVE))
    assert decisions(ctx) == [("reconciler.session.live_drift", "live_drift", outcome, "worker", "worker",
                               {"stored_hash": stored, "current_hash": live})]
    assert ctx.out.logs == [f"rebaselined legacy live hash for worker (stored={hashes.truncate_for_log(stored)} "
                            f"current={hashes.truncate_for_log(live)})"]
    assert ctx.out.events == []
