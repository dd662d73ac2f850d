"""The controller's log lines read exactly as Gas City writes them to stderr/stdout: the same
prefix, wording, Go %q quoting (double quotes), %v renderings and field order. Each expected
line is the Go format string of the cited call site filled in by hand, so a Python repr quote,
a missing prefix or a reordered field fails here.

Go call sites (cmd/gc unless noted):
- build_desired_state_pool_info.go normalizeNonExpandingPoolSessionInfo ("collapsing phantom
  pool identity") and normalizeNonExpandingPoolSessionInfoForSelection ("deferring singleton
  pool identity normalization"), with internal/session/names.go ensureSessionAliasAvailable's
  ErrSessionAliasExists wrapping.
- build_desired_state.go realizePoolDesiredSessions (errPoolSessionCreateBudgetExhausted,
  errPoolSessionCreatePartial, the "(skipping)" arm over selectOrPlanPoolSessionBead's concrete
  slot refusal), defaultScaleCheckCountsAndDemand's and defaultNamedSessionDemand's Ready()
  error lines.
- pool_session_name.go detachedProbeAllowsOrphanRelease (the failing-probe count and release).
- route_recovery.go recoverUnroutedWorkRoutes ("%s: route recovery (%s): %v" over
  restoreCarriedWorkRoutes' "listing open work: %w").
- session_beads.go syncSessionBeads ("alias %q for %s unavailable: %v", "configured named
  session %q conflicts with live bead %s").
- session_reconciler.go reconcileSessionBeads ("Draining session '%s': %s", "preemptive
  max-age restart for %s (age=%s)", "stopping aged %s: %v", "rebaselined legacy hash for %s
  (stored=%s current=%s)" with truncateHashForLog).
- adoption_barrier.go runAdoptionBarrier and city_runtime.go's "Adopted %d running
  session(s) into bead store.".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import immutables
from factories import running_named_witness

from core.config.city_config import Agent, City
from core.desired.alias import alias_taken_error
from core.desired.context import BuildContext
from core.desired.realize import normalize_singleton
from core.outcome import Outcome
from core.reconcile import orphans
from core.reconcile.context import TickContext
from core.reconcile.hashes import truncate_for_log
from core.scenario.file import load_scenario
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
MAYOR = Agent(name="mayor", dir="town", max_active_sessions=1)
STALE = {"template": "town/mayor", "session_name": "mayor-gc-1", "agent_name": "town/mayor-1",
         "alias": "town/mayor-1", "pool_slot": "1", "pool_managed": "true", "session_origin": "ephemeral"}
HEAD = '''name = "log lines"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
'''


def run(tmp_path: Path, toml: str, steps: list[dict]) -> list[str]:
    """The log lines of the given steps, in order, for a scenario city (a fault step writes a
    note, no log line)."""
    p = tmp_path / "city.toml"
    p.write_text(HEAD + toml)
    m = load_scenario(str(p)).model()
    return [line for step in steps for line in m.do(step).logs]


def build_ctx(extra=()) -> BuildContext:
    w = World(T0)
    for bid, md in extra:
        w.store.create_session(md, T0, bead_id=bid)
    w.store.create_session(STALE, T0, bead_id="gc-1")
    return BuildContext(City(root="/c", path="/c/city.toml", agents=[MAYOR]), w, "current", [])


def test_collapsing_a_phantom_pool_identity():
    ctx = build_ctx()
    normalize_singleton(ctx, MAYOR, ctx.store.session("gc-1"))
    assert ctx.result.logs == [
        'buildDesiredState: pool "town/mayor": collapsing phantom pool identity for bead gc-1 to "town/mayor"']


def test_deferring_a_singleton_normalization_names_the_wrapped_alias_error():
    ctx = build_ctx([("gc-h", {"template": "manual", "session_name": "hand", "alias": "town/mayor",
                               "state": "awake", "session_origin": "manual", "manual_session": "true"})])
    normalize_singleton(ctx, MAYOR, ctx.store.session("gc-1"))
    assert ctx.result.logs == [
        'buildDesiredState: pool "town/mayor": deferring singleton pool identity normalization for bead gc-1: '
        'normalizing singleton pool identity for bead gc-1 to "town/mayor": session alias already exists: '
        '"town/mayor" already belongs to gc-h']


def test_alias_conflict_errors_follow_the_field_that_holds_the_alias():
    """ensureSessionAliasAvailable's four refusals, %q on the alias, the holder bare."""
    assert [alias_taken_error('a"b', "gc-9", rule) for rule in ("session_name", "alias", "agent_name", "reserved")] == [
        'session alias already exists: "a\\"b" conflicts with session name on gc-9',
        'session alias already exists: "a\\"b" already belongs to gc-9',
        'session alias already exists: "a\\"b" conflicts with concrete session identity on gc-9',
        'session alias already exists: "a\\"b" reserved for configured named session a"b']


def test_a_spent_create_budget_defers_the_fresh_create(tmp_path):
    logs = run(tmp_path, '''
[city.daemon]
max_wakes_per_tick = 2
[[city.agent]]
name = "worker"
max_active_sessions = 10
scale_check = "printf 5"
[scale_check]
worker = 5
''', [{"do": "build"}])
    budget = 'buildDesiredState: pool "worker" request: pool session create budget exhausted (fresh create deferred)'
    assert logs.count(budget) == 3


def test_a_partial_demand_read_blocks_the_fresh_create_and_logs_the_scale_check_read(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "worker"
max_active_sessions = 4
[[work]]
id = "w-1"
routed_to = "worker"
[[work]]
id = "w-2"
routed_to = "worker"
''', [{"do": "fail_store_read", "store": "city", "mode": "partial"}, {"do": "tick"}])
    assert logs == [
        "buildDesiredState: default scale_check city templates=worker: Ready(): partial result "
        "(counts above may be a partial of one demand source)",
        'buildDesiredState: pool "worker" request: pool session create skipped: demand read partial '
        "(partial demand read, fresh create blocked)"]


def test_a_failed_scale_check_read_is_logged_under_its_store_key(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "worker"
max_active_sessions = 4
[[work]]
id = "w-1"
routed_to = "worker"
''', [{"do": "fail_store_read", "store": "city", "mode": "error"}, {"do": "tick"}])
    assert logs == [
        "gc start: route recovery (city): listing open work: store read failed",
        "collectOpenUnassignedRoutedWork: city:t: List(open): store read failed",
        "buildDesiredState: default scale_check city templates=worker: Ready(): store read failed "
        "(counts above may be a partial of one demand source)"]


def test_sync_reports_a_held_pool_alias_with_its_holder(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "claude"
dir = "rig"
max_active_sessions = 3
scale_check = "printf 1"
[scale_check]
"rig/claude" = 1
[[session]]
id = "gc-manual"
[session.metadata]
template = "rig/manual"
agent_name = "rig/manual"
alias = "rig/claude-1"
session_name = "manual-rig-claude-1"
state = "awake"
session_origin = "manual"
manual_session = "true"
''', [{"do": "tick"}])
    assert 'session beads: alias "rig/claude-1" for rig/claude-1 unavailable: session alias already exists: ' \
           '"rig/claude-1" already belongs to gc-manual' in logs


def test_a_named_session_whose_runtime_name_is_held_by_another_identity_conflicts(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "always"
[[session]]
id = "gc-x"
[session.metadata]
template = "mayor"
agent_name = "mayor"
session_name = "mayor"
configured_named_session = "true"
configured_named_identity = "deputy"
state = "asleep"
''', [{"do": "tick"}])
    assert logs[0] == 'session beads: configured named session "mayor" conflicts with live bead gc-x'


def test_draining_an_orphaned_session(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "worker"
max_active_sessions = 2
scale_check = "printf 0"
[scale_check]
worker = 0
[[session]]
id = "gc-1"
[session.metadata]
template = "gone"
agent_name = "gone"
session_name = "gone"
state = "active"
last_woke_at = "2026-07-19T10:00:00Z"
[[runtime]]
name = "gone"
session_id = "gc-1"
''', [{"do": "tick"}])
    assert logs == ["Draining session 'gone': orphaned"]


WITNESS = running_named_witness('max_session_age = "5h"\nmax_session_age_jitter = "15m"', "2026-07-19T11:59:00Z")


def test_a_max_age_restart_shows_the_age_as_a_go_duration_and_names_a_failed_stop(tmp_path):
    logs = run(tmp_path, WITNESS, [{"do": "fail_stop", "name": "repo--witness", "message": "tmux: no server"},
                                   {"do": "tick"}])
    assert logs[0:2] == ["session reconciler: preemptive max-age restart for repo/witness (age=5h20m0s)",
                         "session reconciler: stopping aged repo--witness: tmux: no server"]


def test_a_legacy_hash_rebaseline_shows_both_hashes_truncated(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "always"
[[session]]
id = "gc-1"
[session.metadata]
template = "mayor"
agent_name = "mayor"
alias = "mayor"
session_name = "mayor"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "mayor"
configured_named_mode = "always"
state = "active"
generation = "1"
instance_token = "tok-1"
started_config_hash = "0123456789abcdef0123"
[[runtime]]
name = "mayor"
session_id = "gc-1"
instance_token = "tok-1"
''', [{"do": "tick"}])
    assert len(logs) == 1
    assert re.fullmatch(r"rebaselined legacy hash for mayor \(stored=0123456789ab current=v[0-9]+:[0-9a-f]{10}\)",
                        logs[0]), logs


def test_truncate_hash_for_log_keeps_the_version_prefix():
    assert [truncate_for_log(h) for h in ("v5:0123456789abcdef", "v5:01", "0123456789abcdef", "short", "")] == [
        "v5:0123456789", "v5:01", "0123456789ab", "short", ""]


def test_the_adoption_barrier_logs_how_it_resolved_each_name(tmp_path):
    logs = run(tmp_path, '''
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.agent]]
name = "worker"
max_active_sessions = 2
[[runtime]]
name = "mayor-1"
[[runtime]]
name = "stray-3"
[[runtime]]
name = "worker-7"
''', [{"do": "tick"}])
    assert [line for line in logs if not line.startswith("Draining")] == [
        "adoption barrier: adopting stale singleton suffix session mayor-1 as canonical agent mayor without "
        "pool_slot metadata",
        "adoption barrier: stray-3 ends in -3 but no configured agent (after pool-base resolution) claims it; "
        "adopting under sessionName=agent_name (orphan?)",
        "adoption barrier: worker-7 pool slot 7 exceeds max 2 (adopt-then-drain)",
        "Adopted 3 running session(s) into bead store."]


def test_sync_logs_clearing_a_recorded_alias_conflict_once_the_alias_is_free(tmp_path):
    """syncSessionBeads clearAliasConflict: the bead carried conflict marks, so the clear is logged."""
    logs = run(tmp_path, '''
[[city.agent]]
name = "claude"
dir = "rig"
max_active_sessions = 3
scale_check = "printf 1"
[scale_check]
"rig/claude" = 1
[[session]]
id = "gc-1"
[session.metadata]
template = "rig/claude"
agent_name = "rig/claude-1"
session_name = "claude-gc-1"
pool_slot = "1"
pool_managed = "true"
session_origin = "ephemeral"
state = "active"
pool_alias_conflict = "rig/claude-1"
pool_alias_conflict_count = "2"
pool_alias_conflict_at = "2026-07-19T11:00:00Z"
[[runtime]]
name = "claude-gc-1"
session_id = "gc-1"
''', [{"do": "tick"}, {"do": "tick"}])
    assert logs == ["session beads: clearing alias conflict for rig/claude-1"]


def test_a_cold_wake_probe_keys_a_rig_store_by_its_bare_name(tmp_path):
    """defaultScaleCheckCountsAndDemand groups Ready() reads by storeKey: a template's own probe
    keys its rig store `rig:<rig>` (defaultScaleCheckTargetForAgent) while a cold custom pool's
    wake probe over every active store keys it by the bare rig name, so one failing rig store is
    logged once per key."""
    logs = run(tmp_path, '''
[[city.rigs]]
name = "frontend"
path = "/tmp/frontend"
[[city.agent]]
name = "polecat"
dir = "frontend"
max_active_sessions = 2
scale_check = "printf 0"
[[city.agent]]
name = "scout"
dir = "frontend"
max_active_sessions = 2
[scale_check]
"frontend/polecat" = 0
''', [{"do": "fail_store_read", "store": "frontend", "mode": "error"}, {"do": "build"}])
    assert logs == [
        "collectOpenUnassignedRoutedWork: rig:frontend: List(open): store read failed",
        "buildDesiredState: default scale_check frontend templates=frontend/polecat: Ready(): store read failed "
        "(counts above may be a partial of one demand source)",
        "buildDesiredState: default scale_check rig:frontend templates=frontend/scout: Ready(): store read failed "
        "(counts above may be a partial of one demand source)"]


def test_a_pool_bead_whose_concrete_slot_is_taken_is_skipped_with_the_wrapped_error(tmp_path):
    """build_desired_state.go realizePoolDesiredSessions' default arm, "buildDesiredState: pool %q
    request: %v (skipping)", over selectOrPlanPoolSessionBead's "pool session %s concrete slot
    already claimed" (TestSelectOrCreatePoolSessionBead_DoesNotRetagDuplicateConcreteSlot)."""
    logs = run(tmp_path, '''
[[city.agent]]
name = "kimi"
max_active_sessions = 20
[[session]]
id = "gc-owner"
[session.metadata]
template = "kimi"
agent_name = "kimi-9"
alias = "kimi-9"
pool_slot = "9"
session_name = "kimi-owner"
pool_managed = "true"
session_origin = "ephemeral"
state = "active"
[[session]]
id = "gc-duplicate"
[session.metadata]
template = "kimi"
agent_name = "kimi-9"
alias = "kimi-15"
pool_slot = "9"
session_name = "kimi-duplicate"
pool_managed = "true"
session_origin = "ephemeral"
state = "creating"
[[work]]
id = "w-owner"
status = "in_progress"
assignee = "kimi-owner"
[[work]]
id = "w-routed"
routed_to = "kimi"
''', [{"do": "build"}])
    assert 'buildDesiredState: pool "kimi" request: pool session gc-duplicate concrete slot already claimed ' \
           "(skipping)" in logs


def test_a_failed_named_scale_check_read_uses_named_demand_false(tmp_path):
    """build_desired_state.go: defaultNamedSessionDemand wraps a failed Ready() as "default
    scale_check %s templates=%s: Ready(): %w" and the build logs it "buildDesiredState: %v
    (using named demand=false)"."""
    logs = run(tmp_path, '''
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "on_demand"
''', [{"do": "fail_store_read", "store": "city", "mode": "error"}, {"do": "build"}])
    assert "buildDesiredState: default scale_check city templates=mayor: Ready(): store read failed " \
           "(using named demand=false)" in logs


def test_detached_probe_failures_count_up_to_the_release(tmp_path):
    """pool_session_name.go detachedProbeAllowsOrphanRelease: "releaseOrphanedPoolAssignments:
    detached probe %s for %s: %v (error %d/%d)" with the probe's status, then "releasing %s:
    detached probe %s after %d errors: %v" on the third (detachedProbeErrorThreshold = 3). The
    model's failing probe has status error and the error text "probe failed"."""
    world = World(T0)
    world.detached_probe = immutables.Map({"tmux:x": "error"})
    ctx = TickContext(City(root="/c", path="/c/city.toml", agents=[MAYOR]), world, "current", Outcome())
    w = WorkBead("w-1", metadata=(("gc.detached", "tmux:x"),))
    for _ in range(3):
        orphans._detached_probe_allows_release(ctx, w)
    assert ctx.out.logs == [
        "releaseOrphanedPoolAssignments: detached probe error for w-1: probe failed (error 1/3)",
        "releaseOrphanedPoolAssignments: detached probe error for w-1: probe failed (error 2/3)",
        "releaseOrphanedPoolAssignments: releasing w-1: detached probe error after 3 errors: probe failed"]
