"""StepLog: every step kept in order, equal consecutive presses stored once with a count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.session.steplog import RECENT_KEPT, Recorded, StepLog

TICK = {"do": "tick"}
CITY = "docs/examples/harbor-deacon-always/city.toml"


def test_a_watch_that_only_ticks_keeps_one_entry():
    log = StepLog()
    press = [{"do": "advance", "by": "30s"}, TICK]
    for _ in range(10_000):
        log.add([Recorded(dict(s)) for s in press])
    assert len(log) == 20_000 and log.runs == 1
    assert [r.step for r in log] == press * 10_000
    assert [r.step for r in log.upto(5)] == (press * 3)[:5] and log.upto(5).runs == 2


def test_a_config_edit_is_never_merged_and_is_the_last_config():
    cfg = object()
    log = StepLog()
    for rec in [Recorded(TICK), Recorded({"do": "edit_config"}, cfg), Recorded({"do": "edit_config"}, cfg),
                Recorded(TICK)]:
        log.add([rec])
    assert log.runs == 4 and log.last_config() is cfg
    assert log.upto(1).last_config() is None


steps = st.lists(st.sampled_from([{"do": "tick"}, {"do": "kill", "session": "a"}, {"do": "advance", "by": "1m"}]),
                 max_size=60)


@given(steps, st.integers(min_value=-3, max_value=70), st.integers(min_value=1, max_value=3))
def test_the_log_is_the_list_of_steps_it_was_given(given_steps, n, width):
    log = StepLog()
    for i in range(0, len(given_steps), width):  # presses of `width` steps
        log.add([Recorded(s) for s in given_steps[i:i + width]])
    assert [r.step for r in log] == given_steps
    assert [r.step for r in reversed(log)] == given_steps[::-1]
    assert len(log) == len(given_steps)
    cut = log.upto(n)
    assert [r.step for r in cut] == given_steps[:max(n, 0)] and len(cut) == len(given_steps[:max(n, 0)])
    copy = StepLog(log)
    copy.add([Recorded(TICK)])
    assert len(log) == len(given_steps)  # a copy never changes the original


def test_a_city_on_the_timer_keeps_one_run():
    from core.session.driver import open_city

    d = open_city(CITY)
    for _ in range(50):
        d.step()
    assert len(d.steps) == d.frame().steps_taken >= 50
    assert d.steps.runs == 2  # the first tick, then one run of (advance, tick)


def test_equal_presses_far_apart_are_stored_once_and_values_keep_their_types():
    log = StepLog()
    for i in range(300):
        log.add([Recorded({"do": "advance", "by": "30s"}), Recorded(dict(TICK))])
        log.add([Recorded({"do": "set_scale_check", "template": "t", "value": i % 2})])
    log.add([Recorded({"do": "set_scale_check", "template": "t", "value": True})])
    log.add([Recorded({"do": "set_scale_check", "template": "t", "value": 1.0})])
    assert log.runs == 602 and len(log) == 902
    ticks = [r for r in log if r.step == TICK]
    assert len(ticks) == 300 and all(r.step is ticks[0].step for r in ticks)  # one stored copy
    values = [r.step["value"] for r in log if r.step["do"] == "set_scale_check"]
    assert values[-2:] == [True, 1.0] and type(values[-2]) is bool and type(values[-1]) is float
    assert [type(v) for v in values[:2]] == [int, int]


def test_a_long_watch_keeps_an_index_of_recent_presses_only_and_loses_no_step():
    log = StepLog()
    pokes = RECENT_KEPT * 3
    for i in range(pokes):  # a distinct poke between ticks, as the demo script makes them
        log.add([Recorded(dict(TICK))])
        log.add([Recorded({"do": "add_work", "id": f"w-{i}"})])
    assert len(log._interned) <= RECENT_KEPT and len(log._step_index) <= RECENT_KEPT
    assert len(log) == 2 * pokes
    got = list(log)
    assert [r.step for r in got[1::2]] == [{"do": "add_work", "id": f"w-{i}"} for i in range(pokes)]
    assert all(r.step == TICK and r.config is None for r in got[::2])
    assert len({id(r.step) for r in got[::2]}) <= 4  # the tick is stored again only when the index turns over
