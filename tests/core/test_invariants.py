"""The invariant checks fire: for alias uniqueness, the pool caps and the canonical-singleton
identity, a state the model reached is broken by hand and the checker must report it (both
the check itself and InvariantChecker.after_step, as the scenario runner calls it). Each case
also shows the unbroken state passes, and that an exemption covers only its exact case."""

from __future__ import annotations

import pathlib

from core.model.invariants import (
    InvariantChecker,
    bead_violations,
    cap_violations,
    singleton_violations,
)
from core.outcome import Outcome
from core.scenario.file import load_scenario, run
from core.world import beads as B
from tests.factories import write_scenario

SCENARIOS = pathlib.Path(__file__).parent.parent / "scenarios" / "reconcile"

HEAD = """name = "t"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
"""

POOL = HEAD + """
[[city.agent]]
name = "worker"
max_active_sessions = 2
min_active_sessions = 2
"""

SINGLETON = HEAD + """
[[city.agent]]
name = "mayor"
max_active_sessions = 1
scale_check = "printf 1"

[scale_check]
mayor = 1
"""


def model_of(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return load_scenario(str(p)).model()


def tick(model, checker: InvariantChecker, n: int = 1) -> list[str]:
    found: list[str] = []
    for _ in range(n):
        found = checker.after_step(model.do({"do": "tick"}))
    return found


def breach(model, bead_id: str, **meta: str) -> None:
    model.world.store.update_session(bead_id, meta)


def open_bead(model, template: str):
    return [b for b in model.world.store.open_sessions() if b.template == template]


# ---------------------------------------------------------------------- alias uniqueness


def test_two_open_beads_holding_one_alias_are_reported(tmp_path):
    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    assert tick(model, checker) == []
    first, second = open_bead(model, "worker")
    assert first.alias and first.alias != second.alias
    breach(model, second.id, alias=first.alias)
    want = f"alias {first.alias!r} held by two open beads: {first.id} and {second.id}"
    assert (second.id, want) in bead_violations(model)
    assert want in checker.after_step(Outcome(ticks=1))


def test_the_superseded_predecessor_exemption_needs_an_asleep_named_holder(tmp_path):
    """#4741 exempts an asleep configured-named bead whose session_name is the alias; two
    ordinary pool beads sharing an alias are never that pair, whatever their state."""
    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    tick(model, checker)
    first, second = open_bead(model, "worker")
    breach(model, first.id, state="asleep", session_name=first.alias)
    breach(model, second.id, alias=first.alias)
    assert any("held by two open beads" in m for m in checker.after_step(Outcome(ticks=1)))


# ---------------------------------------------------------------------- caps


def test_live_idle_pool_sessions_beyond_each_cap_are_reported(tmp_path):
    """Two live, idle, desired worker sessions; then the agent's, the rig's and the workspace's
    cap each drop to 1 under them."""
    rigged = HEAD + """
[[city.rigs]]
name = "alpha"
path = "alpha"
{rig_cap}

[[city.agent]]
name = "worker"
dir = "alpha"
min_active_sessions = 2
{agent_cap}
"""
    model = model_of(tmp_path, rigged.format(rig_cap="", agent_cap="max_active_sessions = 2"))
    checker = InvariantChecker(model)
    assert tick(model, checker) == []
    live = [b for b in open_bead(model, "alpha/worker") if model.world.runtime.alive(b.session_name)]
    assert len(live) == 2 and cap_violations(model) == []
    cases = {
        "agent": (rigged.format(rig_cap="", agent_cap="max_active_sessions = 1"),
                  "2 live idle pool sessions of alpha/worker exceed its cap of 1"),
        "rig": (rigged.format(rig_cap="max_active_sessions = 1", agent_cap=""),
                "2 live idle pool sessions of alpha/worker exceed its cap of 1"),
        "rig beside the agent": (rigged.format(rig_cap="max_active_sessions = 1", agent_cap="max_active_sessions = 2"),
                                 "2 live idle pool sessions in rig alpha exceed its cap of 1"),
        "workspace": (rigged.replace('[city.workspace]\n', '[city.workspace]\nmax_active_sessions = 1\n')
                      .format(rig_cap="", agent_cap="max_active_sessions = 2"),
                      "2 live idle pool sessions exceed the workspace cap of 1"),
    }
    for what, (text, want) in cases.items():
        model.city = model_of(tmp_path, text.replace("min_active_sessions = 2", ""), f"{what}.toml").city
        assert want in [m for _, m in cap_violations(model)], what
        assert want in checker.after_step(Outcome(ticks=1)), what


def test_a_draining_or_busy_session_does_not_count_against_the_cap(tmp_path):
    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    tick(model, checker)
    model.city = model_of(tmp_path, POOL.replace("max_active_sessions = 2\nmin_active_sessions = 2",
                                                 "max_active_sessions = 1"), "c.toml").city
    assert cap_violations(model) != []
    first, _ = open_bead(model, "worker")
    breach(model, first.id, state="draining")
    assert cap_violations(model) == []


# ---------------------------------------------------------------------- canonical singleton identity


def test_a_desired_singleton_bead_keeping_a_slot_identity_is_reported_after_two_ticks(tmp_path):
    model = model_of(tmp_path, SINGLETON)
    checker = InvariantChecker(model)
    assert tick(model, checker) == []
    (bead,) = open_bead(model, "mayor")
    assert bead.alias == "mayor" and singleton_violations(model) == []
    breach(model, bead.id, alias="mayor-1")
    assert checker.after_step(Outcome(ticks=0)) == []  # no tick: nothing is judged
    assert not any("canonical singleton" in m for m in checker.after_step(Outcome(ticks=0)))
    found = checker.after_step(Outcome(ticks=1))  # the second tick: the reclaim has had its chance
    assert f"canonical singleton mayor: desired bead {bead.id} keeps identity agent_name='mayor' " \
           f"alias='mayor-1' pool_slot=''" in found
    for meta in ({"alias": "mayor", "agent_name": "mayor-2"}, {"alias": "mayor", "pool_slot": "1"}):
        breach(model, bead.id, **{"agent_name": "mayor", "pool_slot": "", **meta})
        assert [bid for bid, _ in singleton_violations(model)] == [bead.id], meta


def test_the_first_tick_and_a_deferred_reclaim_are_not_judged(tmp_path):
    model = model_of(tmp_path, SINGLETON)
    checker = InvariantChecker(model)
    tick(model, checker)
    (bead,) = open_bead(model, "mayor")
    fresh = InvariantChecker(model)
    breach(model, bead.id, alias="mayor-1")
    assert not any("canonical singleton" in m for m in fresh.after_step(Outcome(ticks=1)))
    breach(model, bead.id, **{B.POOL_ALIAS_CONFLICT: "mayor"})
    assert singleton_violations(model) == []


def test_the_own_session_name_exemption_is_exact(tmp_path):
    """PROP01/PROP09: a dependency floor whose agent_name is its own session name is exempt
    (city-scoped: alias and pool_slot read from it; rig-scoped: neither); anything more is not.
    The root is a manual worker bead, so nothing is desired before the overlay: each refresh pass
    then starts from the whole built state (Gas City's empty-BaseState fallback), the floor is
    minted once, and the tick ends with sync's stamp on it."""
    city = HEAD + """
[[city.agent]]
name = "mayor"
{dir}
max_active_sessions = 1

[[city.agent]]
name = "worker"
max_active_sessions = 2
depends_on = ["{dep}"]

[[session]]
id = "root"
[session.metadata]
template = "worker"
session_name = "s-worker"
state = "active"
session_origin = "manual"
"""
    for dir_, dep, exempt, broken in (
            ("", "mayor", {"alias": "mayor-gc-1", "pool_slot": "1"}, {"alias": "mayor-gc-1", "pool_slot": "2"}),
            ('dir = "town"', "town/mayor", {"alias": "", "pool_slot": ""}, {"alias": "", "pool_slot": "2"}),
            ('dir = "town"', "town/mayor", {"alias": "", "pool_slot": ""}, {"alias": "mayor-gc-1", "pool_slot": ""})):
        model = model_of(tmp_path, city.format(dir=dir_, dep=dep))
        checker = InvariantChecker(model)
        assert tick(model, checker, 3) == [], dep
        floor = next(b for b in model.world.store.open_sessions() if b.dependency_only)
        assert floor.session_name == "mayor-gc-1" and floor.agent_name == "mayor-gc-1"
        assert {k: floor.get(k) for k in ("alias", "pool_slot")} == exempt
        breach(model, floor.id, **broken)
        assert [bid for bid, _ in singleton_violations(model)] == [floor.id], (dep, broken)


# ---------------------------------------------------------------------- start env


def test_a_runtime_env_naming_another_template_is_reported_beside_the_reload_exemption(tmp_path):
    """PROP10: a runtime started as `mayor` whose bead a reload qualified to `town/mayor` is
    exempt (sync only ever qualifies a template); the same runtime naming any qualified
    template other than the bead's is not."""
    scn = load_scenario(str(SCENARIOS / "PROP10-reload-qualifies-live-bead-template.toml"))
    model = scn.model()
    checker = InvariantChecker(model)
    for step in scn.steps[:3]:
        out = scn.apply(model, step)
        assert checker.after_step(out) == []
    rs = model.world.runtime.get("mayor-gc-1")
    assert rs.env["GC_TEMPLATE"] == "mayor" and model.world.store.session("gc-1").template == "town/mayor"
    for other in ("town/worker", "town/mayor-1", "alpha/mayor"):
        model.world.runtime.update("mayor-gc-1", env={**rs.env, "GC_TEMPLATE": other})
        assert f"runtime 'mayor-gc-1' env GC_TEMPLATE={other!r}, want 'town/mayor'" in \
            checker.after_step(Outcome(ticks=1)), other


NAMED = HEAD + """
[session]
startup_timeout = "{timeout}"

[[city.agent]]
name = "mayor"

[[city.named_session]]
template = "mayor"
mode = "always"

[[session]]
id = "gc-1"
[session.metadata]
session_name = "mayor"
template = "mayor"
state = "{state}"
instance_token = "tok-1"
"""


def _named(tmp_path, state: str, timeout: str = "60s"):
    text = NAMED.replace("[session]\n", "[city.session]\n").format(state=state, timeout=timeout)
    return model_of(tmp_path, text)


def _msgs(model) -> list[str]:
    return [m for _, m in bead_violations(model)]


def test_an_asleep_claim_is_allowed_only_within_a_startup_lease_longer_than_the_stale_window(tmp_path):
    # healStatePatchWithRollback: a creating bead goes asleep after 60 s but keeps its claim while a
    # configured 5-minute startup lease is active (TestHealStatePatchWithRollbackHonorsConfiguredStartupTimeout).
    model = _named(tmp_path, "asleep", "5m")
    woke = "2026-07-19T11:58:30Z"
    breach(model, "gc-1", pending_create_claim="true", pending_create_started_at=woke, last_woke_at=woke)
    assert not [m for m in _msgs(model) if "pending_create_claim" in m]
    model = _named(tmp_path, "asleep", "60s")
    breach(model, "gc-1", pending_create_claim="true", pending_create_started_at=woke, last_woke_at=woke)
    assert [m for m in _msgs(model) if "pending_create_claim with state 'asleep'" in m]


def test_a_live_claimed_bead_is_allowed_only_while_its_start_is_in_flight(tmp_path):
    from core.world.runtime import RuntimeSession

    model = _named(tmp_path, "awake")
    model.world.runtime.put(RuntimeSession(name="mayor", session_id="gc-1", instance_token="tok-1",
                                           env={"GC_SESSION_ID": "gc-1", "GC_SESSION_NAME": "mayor",
                                                "GC_TEMPLATE": "mayor", "GC_INSTANCE_TOKEN": "tok-1",
                                                "GC_RUNTIME_EPOCH": "1"}))
    breach(model, "gc-1", pending_create_claim="true", last_woke_at="2026-07-19T11:59:40Z")
    assert not [m for m in _msgs(model) if "keeps pending_create_claim" in m]
    breach(model, "gc-1", last_woke_at="2026-07-19T11:50:00Z")
    assert [m for m in _msgs(model) if "keeps pending_create_claim" in m]


def test_a_runtime_is_matched_to_its_bead_by_session_id_not_by_name(tmp_path):
    from core.world.runtime import RuntimeSession

    model = _named(tmp_path, "asleep")
    model.world.runtime.put(RuntimeSession(name="mayor", session_id="gc-9", instance_token="other"))
    assert not [m for m in _msgs(model) if "is alive while bead gc-1" in m]
    model.world.runtime.put(RuntimeSession(name="mayor", session_id="gc-1", instance_token="tok-1"))
    assert [m for m in _msgs(model) if "is alive while bead gc-1 has state 'asleep'" in m]


def test_a_rolled_back_create_may_keep_its_runtime_until_the_next_tick(tmp_path):
    from core.world.runtime import RuntimeSession

    model = _named(tmp_path, "creating")
    model.world.runtime.put(RuntimeSession(name="mayor", session_id="gc-1", instance_token="tok-1"))
    model.world.store.close_session("gc-1", "failed-create", model.world.now)
    assert not [m for m in _msgs(model) if "closed bead gc-1" in m]
    model.world.advance(30)
    assert [m for m in _msgs(model) if "closed bead gc-1 still has a live runtime" in m]


# ---------------------------------------------------------------------- exemptions, exactly


def test_only_a_deferred_reclaim_of_the_canonical_alias_exempts_a_singleton(tmp_path):
    """pool_alias_conflict names the alias a bead could not take: `mayor` (the canonical alias)
    defers the reclaim; a conflict recorded for any other alias exempts nothing."""
    model = model_of(tmp_path, SINGLETON)
    checker = InvariantChecker(model)
    tick(model, checker)
    (bead,) = open_bead(model, "mayor")
    breach(model, bead.id, alias="mayor-1", **{B.POOL_ALIAS_CONFLICT: "mayor"})
    assert singleton_violations(model) == []
    for other in ("mayor-1", "deacon", " "):
        breach(model, bead.id, **{B.POOL_ALIAS_CONFLICT: other})
        assert [bid for bid, _ in singleton_violations(model)] == [bead.id], other


def test_a_failed_create_bead_shares_an_alias_but_no_other_state_does(tmp_path):
    """ensureSessionAliasAvailable skips failed-create holders, so a new bead may take their
    alias; a holder in any other state still holds it."""
    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    tick(model, checker)
    first, second = open_bead(model, "worker")
    breach(model, second.id, alias=first.alias, state="failed-create")
    assert not any("held by two open beads" in m for _, m in bead_violations(model))
    for state in ("creating", "asleep", "drained", "start-pending"):
        breach(model, second.id, state=state)
        assert any("held by two open beads" in m for _, m in bead_violations(model)), state


def test_an_unqualified_gc_template_is_exempt_only_beside_a_configured_dir_agent(tmp_path):
    """PROP10's exemption needs the bead's template to name a configured `<dir>/<name>` agent
    (sync qualifies with the entry's rig); beside a template no agent has, it is reported."""
    scn = load_scenario(str(SCENARIOS / "PROP10-reload-qualifies-live-bead-template.toml"))
    model = scn.model()
    checker = InvariantChecker(model)
    for step in scn.steps[:3]:
        checker.after_step(scn.apply(model, step))
    assert checker.after_step(Outcome(ticks=1)) == []
    breach(model, "gc-1", template="nowhere/mayor")
    found = checker.after_step(Outcome(ticks=1))
    assert "runtime 'mayor-gc-1' env GC_TEMPLATE='mayor', want 'nowhere/mayor'" in found


STARTING = POOL.replace("min_active_sessions = 2", "") + """
[[session]]
id = "gc-9"
[session.metadata]
template = "worker"
agent_name = "worker-1"
alias = "worker-1"
pool_slot = "1"
pool_managed = "true"
session_name = "worker-gc-9"
state = "asleep"
"""


def test_a_starting_bead_is_exempt_only_from_the_breaches_it_started_with(tmp_path):
    """A hand-written bead the model never wrote keeps its own breaches (reported at the end if
    never repaired), but a new breach on it, say a runtime started beside its asleep state, is
    the model's and is reported at once."""
    model = model_of(tmp_path, STARTING)
    checker = InvariantChecker(model)
    assert checker.initial == set()
    model.world.runtime.start("worker-gc-9", session_id="gc-9", instance_token="t", template="worker",
                              now=model.world.now, env={})
    assert model.world.store.session("gc-9") is checker.base["gc-9"]  # untouched by the model
    assert "runtime 'worker-gc-9' is alive while bead gc-9 has state 'asleep'" in checker.after_step(Outcome(ticks=1))


def test_a_build_step_is_checked_and_an_operator_poke_is_not(tmp_path):
    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    out = model.do({"do": "build"})
    assert out.ticks == 0 and out.desired is not None and checker.after_step(out) == []
    first, second = open_bead(model, "worker")
    breach(model, second.id, alias=first.alias)
    assert any("held by two open beads" in m for m in checker.after_step(out))
    poke = model.do({"do": "advance", "by": "5s"})
    assert checker.after_step(poke) == []


# ---------------------------------------------------------------------- undesired pool sessions retire


def test_undesired_pool_sessions_retire_within_the_bound(tmp_path):
    """Two live worker sessions lose their min fill: the model drains and stops them within the
    spawn-claim grace plus the drain deadline. A model that never acts on them (the same ticks
    with nothing done) is reported once RETIRE_TICKS ticks and the bound have passed."""
    from core.model.invariants import RETIRE_TICKS, retire_bound

    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    assert tick(model, checker) == []
    live = [b.session_name for b in open_bead(model, "worker") if model.world.runtime.alive(b.session_name)]
    assert len(live) == 2
    model.city = model_of(tmp_path, POOL.replace("min_active_sessions = 2", ""), "scaled.toml").city
    lazy = InvariantChecker(model)
    lazy.after_step(Outcome(ticks=1, desired=model.do({"do": "build"}).desired))
    bound = retire_bound(model)
    for _ in range(RETIRE_TICKS):
        model.world.advance(bound / 2)
        found = lazy.after_step(Outcome(ticks=1))
    assert sum("still runs" in m for m in found) == 2, found

    steps = 0
    while any(model.world.runtime.alive(n) for n in live):
        steps += 1
        assert steps <= 20, "the model never retired them"
        found = checker.after_step(model.do({"do": "tick"}))
        model.world.advance(60)
        assert not any("still runs" in m for m in found), found


def test_a_clock_jump_moves_the_retirement_deadline_with_the_tick_that_drains(tmp_path):
    """The drain of an undesired pool session begins at the first tick past the spawn-claim
    grace and is due DRAIN_TIMEOUT after that tick, however far the clock jumped before it
    (a property run found a city whose clock jumped 11 minutes in one step). A model that never
    drains is still reported once a tick lands past that deadline."""
    from core.model.invariants import RETIRE_TICKS, retire_bound
    from core.reconcile.drains import DRAIN_TIMEOUT

    model = model_of(tmp_path, POOL)
    checker = InvariantChecker(model)
    assert tick(model, checker) == []
    model.city = model_of(tmp_path, POOL.replace("min_active_sessions = 2", ""), "scaled.toml").city
    lazy = InvariantChecker(model)
    lazy.after_step(Outcome(ticks=1, desired=model.do({"do": "build"}).desired))
    for _ in range(RETIRE_TICKS):  # ticks with no time passing: the grace cannot end
        assert lazy.after_step(Outcome(ticks=1)) == []
    model.world.advance(2 * retire_bound(model))  # one jump past the whole bound
    assert lazy.after_step(Outcome(ticks=1)) == []  # the drain begins only at this tick
    model.world.advance(DRAIN_TIMEOUT)
    assert lazy.after_step(Outcome(ticks=1)) == []  # exactly at the deadline: not past it
    model.world.advance(1)
    found = lazy.after_step(Outcome(ticks=1))
    assert sum("still runs" in m for m in found) == 2, found


def test_the_model_retires_a_session_whose_agent_was_suspended_across_a_clock_jump(tmp_path):
    """The property counterexample itself, run on: the session is drained at the first tick
    past the grace and stopped at the first tick past the drain deadline, with no breach."""
    ticks = '[[step]]\ndo = "tick"\n'
    text = (SINGLETON + ticks
            + '[[step]]\ndo = "edit_config"\n[step.city.workspace]\nname = "t"\n'
            + '[[step.city.agent]]\nname = "mayor"\nmax_active_sessions = 1\nsuspended = true\n'
            + ticks * 3 + '[[step]]\ndo = "advance"\nby = "11m"\n'
            + ticks + '[[step]]\ndo = "advance"\nby = "5m1s"\n' + ticks)
    result = run(load_scenario(write_scenario(tmp_path, text)))
    assert result.invariant_failures == []
    assert result.states[-1]["runtime"] == []  # stopped at the last tick, past the drain deadline
    assert result.states[-3]["runtime"]  # still running (draining) right after the jump's tick


def test_a_stopped_claim_is_allowed_only_before_a_reconcile_has_run(tmp_path):
    # reopenClosedConfiguredNamedSessionBead writes `stopped` with a fresh create claim; the
    # reconcile's heal makes it start-pending, so after a tick the same bead is a breach
    model = _named(tmp_path, "stopped")
    breach(model, "gc-1", pending_create_claim="true")
    want = "bead gc-1 has pending_create_claim with state 'stopped'"
    assert want not in [m for _, m in bead_violations(model, reconciled=False)]
    assert want in _msgs(model)
    # the same exemption does not cover another state written by a sync
    breach(model, "gc-1", state="suspended")
    assert "bead gc-1 has pending_create_claim with state 'suspended'" in [
        m for _, m in bead_violations(model, reconciled=False)]
