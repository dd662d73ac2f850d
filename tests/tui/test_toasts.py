"""Notifications leave nothing behind once they go: a long watch notifies every few seconds (loop
alarms, reload results), and every toast it ever showed must not stay mounted.

Textual's ToastRack drops the toast of a notification that expired before the toast's own timer
fired but keeps the holder around it; tui.textual_internals.tidy_toast_racks removes the holder
too. A notification is made to expire that way here by moving its raise time back, which is what
a busy event loop does to a toast whose timer has not had its turn yet."""

from __future__ import annotations

from textual.widgets._toast import Toast, ToastHolder, ToastRack

from core.demo import open_demo
from tests.attach.citykit import build_city
from tests.tui.test_attach_app import open_app
from tui.app import CitywatchApp


async def _expire_many(app, pilot, count: int) -> ToastRack:
    for i in range(count):
        app.notify(f"alarm {i}", title="loop alarm", severity="error", timeout=30)
        await pilot.pause()
        for n in list(app._notifications):
            n.raised_at -= 60  # expired, while its toast's 30 s timer is still running
    app.notify("the last one", timeout=30)
    await pilot.pause()
    await pilot.pause()
    return app.screen.get_child_by_type(ToastRack)


async def test_expired_notifications_leave_no_toast_holders_behind():
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        rack = await _expire_many(app, pilot, 40)
        assert len(app._notifications) == 1
        assert len(rack.query(ToastHolder)) == 1 and len(rack.query(Toast)) == 1


async def test_without_the_tidy_the_rack_keeps_every_holder(monkeypatch):
    # The workaround is still needed: Textual's own rack keeps the holders (when a release fixes
    # it, this fails, and tidy_toast_racks can go).
    CitywatchApp(open_demo(), watch=False)  # installs the tidy
    monkeypatch.setattr(ToastRack, "show", ToastRack.show.__wrapped__)
    monkeypatch.setattr("tui.base_app.tidy_toast_racks", lambda: None)
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        rack = await _expire_many(app, pilot, 10)
        assert len(rack.query(ToastHolder)) == 11


def test_the_attach_app_tidies_the_rack_too(monkeypatch, tmp_path):
    CitywatchApp(open_demo(), watch=False)
    monkeypatch.setattr(ToastRack, "show", ToastRack.show.__wrapped__)
    open_app(build_city(tmp_path), tmp_path)
    assert getattr(ToastRack.show, "_tidies_holders", False)
