"""The safety net for faults in the app's own handlers (tui/faults.py): a handler that raises is
reported once (a notification, an `error` line in Events, the traceback in the fault log) and the
app goes on answering keys from the state it had."""

from __future__ import annotations

import os
import pathlib

import pytest

import tui.app
from tests.tui.conftest import SIZE, notices, settle
from tui.app import CitywatchApp
from tui.faults import FaultBook, append_fault_log, fault_log_path, guard


class FaultyApp(CitywatchApp):
    """The step key raises (a bug in a handler); every other key works as usual."""

    CSS_PATH = str(pathlib.Path(tui.app.__file__).with_name("app.tcss"))

    def action_step(self) -> None:
        raise RuntimeError("boom in step")


@pytest.fixture
def net(monkeypatch, tmp_path):
    monkeypatch.setattr(CitywatchApp, "reraise_faults", False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "citywatch" / "faults.log"


def error_lines(app) -> list[str]:
    return [line.text for line in app.driver.lines() if line.kind == "error"]


async def test_a_raising_action_is_reported_and_the_app_goes_on(net, small_driver):
    app = FaultyApp(small_driver, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert app.is_running and app.return_code is None
        assert any("internal error" in n and "boom in step" in n for n in notices(app))
        assert [t for t in error_lines(app) if "RuntimeError: boom in step" in t and str(net) in t]
        assert "boom in step" in net.read_text() and "Traceback" in net.read_text()

        await pilot.press("s")  # the same fault again: counted, not announced again
        await settle(app, pilot)
        assert len(error_lines(app)) == 1 and app.fault_book.total == 2

        index = app.driver.live.index  # the app still answers keys: `A` advances the clock
        before = app.driver.live.now
        await pilot.press("A")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.driver.live.index > index and app.driver.live.now > before


async def test_a_raising_scheduled_callback_is_reported(net, small_app):
    calls = []

    def bad() -> None:
        calls.append(1)
        raise ValueError("bad callback")

    async with small_app.run_test(size=SIZE) as pilot:
        await settle(small_app, pilot)
        small_app.call_later(bad)
        small_app.query_one("#sessions").call_after_refresh(bad)  # a widget's callback too
        await settle(small_app, pilot)
        await settle(small_app, pilot)
        assert calls == [1, 1] and small_app.is_running
        assert small_app.fault_book.total == 2
        assert any("ValueError: bad callback" in t for t in error_lines(small_app))


async def test_without_the_net_a_fault_still_fails_the_test(small_driver):
    # What the suite relies on: with reraise_faults set (tests/conftest.py), a handler's fault
    # reaches Textual and the test that set it off fails.
    app = FaultyApp(small_driver, watch=False)
    with pytest.raises(RuntimeError, match="boom in step"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)


async def test_a_fault_outside_the_handlers_ends_the_app_with_one_line(net, small_app):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(small_app, pilot)
        small_app._handle_exception(KeyError("drawn"))  # the app closes: nothing to wait on here
    assert small_app.return_code == 1
    assert "KeyError" in net.read_text()


def test_the_fault_log_is_never_written_through_a_link_or_a_fifo(net, tmp_path):
    fault, _ = FaultBook().record("here", RuntimeError("x"))
    net.parent.mkdir(parents=True)
    target = tmp_path / "operator-file"
    target.write_text("theirs")
    net.symlink_to(target)
    assert append_fault_log(fault) == "" and target.read_text() == "theirs"
    net.unlink()
    os.mkfifo(net)
    assert append_fault_log(fault) == ""  # no reader: refused at once, never blocks
    net.unlink()
    assert append_fault_log(fault) == str(fault_log_path()) and "RuntimeError: x" in net.read_text()


def test_faults_are_kept_bounded_and_repeats_counted():
    book = FaultBook()
    for i in range(200):
        book.record("here", RuntimeError(f"fault {i}"))
    book.record("here", RuntimeError("fault 199"))
    assert len(book.faults) == 50 and book.total == 201
    assert book.faults[("here", "RuntimeError", "fault 199")].count == 2


def test_a_guarded_function_keeps_its_signature():
    import inspect

    def handler(self, event, extra=1):  # Textual passes as many arguments as a handler takes
        return event

    g = guard(handler, None)
    assert list(inspect.signature(g).parameters) == ["self", "event", "extra"]
    assert guard(g, None) is g
