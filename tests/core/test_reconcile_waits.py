"""Durable waits: depsWaitReadyDetailedFrom and prepareWaitWakeStateWithSnapshot (cmd/gc/cmd_wait.go),
one case per rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

from core.reconcile.waits import _deps_ready
from core.world.beads import WaitBead, WorkBead


def ctx_with(**status):
    work = {wid: WorkBead(id=wid, status=st) for wid, st in status.items()}
    return SimpleNamespace(store=SimpleNamespace(work_bead=work.get))


@pytest.mark.parametrize("deps, mode, status, want", [
    ((), "all", {}, (False, "")),
    (("a", "b"), "all", {"a": "closed", "b": "closed"}, (True, "")),
    (("a", "b"), "all", {"a": "closed", "b": "open"}, (False, "")),
    (("a", "b"), "all", {"a": "closed"}, (False, "dependency b: not found")),
    (("x", "a"), "all", {"a": "closed"}, (False, "dependency x: not found")),
    (("a", "b"), "any", {"a": "open", "b": "closed"}, (True, "")),
    (("a", "b"), "any", {"a": "open", "b": "in_progress"}, (False, "")),
    (("x", "a"), "any", {"a": "closed"}, (True, "")),
    (("x", "a"), "any", {"a": "open"}, (False, "")),
    (("x", "y"), "any", {}, (False, "dependency x: not found")),
])
def test_deps_readiness(deps, mode, status, want):
    assert _deps_ready(ctx_with(**status), WaitBead("wait-1", "gc-1", dep_ids=deps, dep_mode=mode)) == want


CITY = named_mayor_scenario("waits",
                            NAMED_MAYOR_IDENTITY + """\
state = "{bstate}"
sleep_reason = "wait-hold"
sleep_intent = "wait"
wait_hold = "true"
continuation_epoch = "{epoch}"
""",
                            bead="open = {open}\n",
                            after="""\
[[work]]
id = "w-1"
status = "{dep}"
[[wait]]
id = "wait-1"
session = "gc-1"
kind = "{kind}"
state = "{state}"
deps = {deps}
registered_epoch = "{registered}"
expires_at = "{expires}"
{more}
""")


def tick(tmp_path, *, open="true", bstate="asleep", epoch="3", dep="open", kind="deps", state="pending", deps='["w-1"]',
         registered="3", expires="", more=""):
    m = scenario_model(tmp_path, CITY.format(open=open, bstate=bstate, epoch=epoch, dep=dep, kind=kind, state=state,
                                             deps=deps, registered=registered, expires=expires, more=more),
                       "waits.toml")
    out = m.do({"do": "tick"})
    return m, out, m.world.store.waits["wait-1"], m.world.store.session("gc-1")


def held(b) -> bool:
    return (b.get("wait_hold"), b.get("sleep_intent"), b.get("sleep_reason")) == ("true", "wait", "wait-hold")


def test_a_pending_wait_on_open_work_keeps_its_session_held(tmp_path):
    _, out, w, b = tick(tmp_path)
    assert w.state == "pending" and held(b)
    assert not any(a.kind == "start" for a in out.actions)


def test_a_wait_whose_dependency_closed_is_ready_and_wakes_its_session(tmp_path):
    _, out, w, b = tick(tmp_path, dep="closed")
    assert w.state == "ready"
    assert any(r.session_name == "mayor" and r.should_wake for r in out.awake)
    # prepareWaitWakeStateWithSnapshot writes no log line for a wait's transition
    assert not any("wait-1" in line for line in out.logs)


def test_a_ready_wait_wakes_its_session_without_its_deps(tmp_path):
    _, out, w, _ = tick(tmp_path, state="ready", kind="other", deps="[]")
    assert w.state == "ready" and any(r.session_name == "mayor" and r.should_wake for r in out.awake)


def test_a_wait_of_another_kind_stays_pending(tmp_path):
    _, _, w, b = tick(tmp_path, kind="other", dep="closed")
    assert w.state == "pending" and held(b)


def test_a_stale_epoch_cancels_the_wait_and_clears_the_hold(tmp_path):
    _, out, w, b = tick(tmp_path, epoch="4")
    assert (w.state, w.reason) == ("canceled", "continuation-stale")
    assert (b.get("wait_hold"), b.get("sleep_intent"), b.get("sleep_reason")) == ("", "", "")


def test_a_wait_without_a_registered_epoch_or_on_a_session_without_one_is_not_stale(tmp_path):
    assert tick(tmp_path, epoch="4", registered="")[2].state == "pending"


def test_the_hold_stays_while_another_live_wait_remains(tmp_path):
    more = '[[wait]]\nid = "wait-2"\nsession = "gc-1"\nkind = "deps"\ndeps = ["w-1"]\n'
    _, _, w, b = tick(tmp_path, epoch="4", more=more)
    assert w.state == "canceled" and held(b)


def test_a_closed_session_cancels_a_wait_registered_under_an_epoch(tmp_path):
    """A failed create is never reopened, so the bead stays closed (a fresh one takes the name)."""
    m, out, w, _ = tick(tmp_path, open="false", bstate="failed-create")
    assert (w.state, w.reason) == ("canceled", "session-closed")
    assert tick(tmp_path, open="false", bstate="failed-create", registered="")[2].state == "pending"


@pytest.mark.parametrize("expires, want", [("2026-05-16T12:00:00Z", "expired"), ("2026-05-16T11:00:00Z", "expired"),
                                          ("2026-05-16T12:00:01Z", "pending")])
def test_a_wait_expires_at_its_instant(tmp_path, expires, want):
    _, out, w, b = tick(tmp_path, expires=expires)
    assert w.state == want
    if want == "expired":
        assert w.reason == f"expired at {expires}" and not held(b)


def test_a_missing_dependency_fails_the_wait(tmp_path):
    _, out, w, b = tick(tmp_path, deps='["w-9"]')
    assert (w.state, w.reason) == ("failed", "dependency w-9: not found") and not held(b)


@pytest.mark.parametrize("state", ["closed", "canceled", "expired", "failed"])
def test_a_terminal_wait_is_left_alone(tmp_path, state):
    _, out, w, b = tick(tmp_path, state=state, epoch="4", expires="2026-05-16T11:00:00Z")
    assert w.state == state and w.reason == "" and held(b)


def test_a_ready_wait_does_not_end_the_pass_over_later_waits(tmp_path):
    """prepareWaitWakeStateWithSnapshot visits every wait: a ready wait puts its session in the
    ready-wait set and the pass goes on, so a later wait whose dependency closed becomes ready too."""
    more = '[[wait]]\nid = "wait-2"\nsession = "gc-1"\nkind = "deps"\ndeps = ["w-1"]\n'
    m, out, w, _ = tick(tmp_path, state="ready", kind="other", deps="[]", dep="closed", more=more)
    assert w.state == "ready"
    assert m.world.store.waits["wait-2"].state == "ready" and "wait wait-2 for gc-1: ready" in out.logs


def _hold_cleared(sleep_reason: str, waits: tuple[WaitBead, ...] = ()):
    """clearSessionWaitHoldIfIdle on bead gc-1 (wait-held, with this sleep reason and these
    waits in the store): the bead's wait_hold, sleep_intent and sleep_reason afterwards."""
    from factories import make_city

    from core.outcome import Outcome
    from core.reconcile.context import TickContext
    from core.reconcile.waits import _clear_hold_if_idle
    from core.world.world import World

    world = World()
    world.store.create_session({"session_name": "mayor", "wait_hold": "true", "sleep_intent": "wait",
                                "sleep_reason": sleep_reason, "state": "asleep"}, world.now, bead_id="gc-1")
    for w in waits:
        world.store.put_wait(w)
    _clear_hold_if_idle(TickContext(make_city(), world, "current", Outcome()), "gc-1")
    b = world.store.session("gc-1")
    return b.get("wait_hold"), b.get("sleep_intent"), b.get("sleep_reason")


def test_clearing_an_idle_wait_hold_clears_the_wait_hold_sleep_reason_only():
    """clearSessionWaitHold (cmd_wait.go): with no live wait left the hold and the sleep intent
    go, and the sleep reason too when it is the hold's own `wait-hold`; any other reason stays."""
    assert _hold_cleared("wait-hold") == ("", "", "")
    assert _hold_cleared("idle") == ("", "", "idle")
    assert _hold_cleared("wait-hold", (WaitBead("wait-1", "gc-1", state="expired"),)) == ("", "", "")
    # a live wait keeps everything as it was
    assert _hold_cleared("wait-hold", (WaitBead("wait-1", "gc-1"),)) == ("true", "wait", "wait-hold")
