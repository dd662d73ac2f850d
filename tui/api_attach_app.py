"""`citywatch --attach URL`: the attach panels over a city of a Gas City supervisor, through its
HTTP API, with a city picker.

Without `--city` the app opens on the picker (tui.screens.city_picker) listing `/v0/cities`;
`C` opens it again at any time, and picking another city swaps the session under the same
panels: the app keeps running. Each city is an `ApiAttachSession` (core.attach.api.session),
opened on a worker thread; a city that cannot be attached to says why and leaves the current one
on screen. A worker sleeps on the session's event stream (`wait_change`) and takes what it
brings as it comes; the attach timer reads every endpoint again every few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from textual import work
from textual.app import App

from core.guards.safetext import printable
from tui.attach_app import LiveApp
from tui.commands import API, bindings
from tui.screens.city_picker import CityPickerScreen


class ApiAttachApp(LiveApp, inherit_bindings=False):
    """The attach app on a supervisor's cities (see the module docstring)."""

    TITLE = "citywatch (attached through the supervisor API, read-only)"
    BINDINGS = App.BINDINGS + bindings("app", mode=API)
    MODE = API

    def __init__(self, supervisor: str, opener: Callable[[str], object], lister: Callable[[], tuple], *,
                 city: str | None = None, session=None, **kw) -> None:
        """`opener(name)` opens a city's session (or raises ApiError / AttachError); `lister()`
        lists the supervisor's cities; `session` is the city already opened, if any."""
        super().__init__(session, **kw)
        self.supervisor = supervisor
        self.opener = opener
        self.lister = lister
        self.city = city if session is not None else None
        self._first_city = city if session is None else None
        self.switches = 0  # cities attached since start (tests wait on it)

    def on_mount(self) -> None:
        if self.state is None:
            if self._first_city:
                self.open_city(self._first_city)
            else:
                self.action_pick_city()

    def action_pick_city(self) -> None:
        """Open the city picker; the chosen city replaces the one shown."""
        self.push_screen(CityPickerScreen(self.lister, supervisor=self.supervisor, current=self.city), self._picked)

    def _picked(self, name: str | None) -> None:
        if name and name != self.city:
            self.open_city(name)

    @work(thread=True, exclusive=True, group="api-open", exit_on_error=False)
    def open_city(self, name: str) -> None:
        from core.attach.api.client import ApiError
        from core.attach.session import AttachError

        try:
            session = self.opener(name)
        except (ApiError, AttachError) as e:
            self.call_from_thread(self._open_failed, name, str(e))
            return
        self.call_from_thread(self._opened, name, session)

    def _opened(self, name: str, session) -> None:
        self.city = name
        self.switches += 1
        self.sub_title = printable(name)
        self.switch_session(session)

    def _open_failed(self, name: str, message: str) -> None:
        self.notify(printable(message), title=f"cannot attach to {printable(name)}", severity="error", timeout=10,
                    markup=False)
        if self.state is None:
            self.action_pick_city()

    async def watch_changes(self) -> None:
        """Sleep on the session's event stream; what it brings is polled as it comes."""
        from core.attach.api.session import ApiAttachSession

        while True:
            state = self.state
            if state is None:
                await asyncio.sleep(0.2)
                continue
            session = state.session
            assert isinstance(session, ApiAttachSession)  # this app opens only supervisor API sessions
            if await asyncio.to_thread(session.wait_change, 0.5) and state is self.state:
                self.request_poll(["stream"])


def run_api_attach(args: argparse.Namespace) -> int:
    """`citywatch --attach URL [--city NAME]`: check that the supervisor answers (and open the
    city when one is named) before the app starts, so a failure is a one-line message and its
    exit code (3 unreachable, 2 bad input); then run the app."""
    from core.attach.api.client import ApiError, SupervisorClient
    from core.attach.api.session import list_cities
    from tui.cli_attach import api_target, open_api_session
    from tui.cli_commands import err
    from tui.cli_options import UNREACHABLE

    target = api_target(args)
    if isinstance(target, int):
        return target

    def lister() -> tuple:
        client = SupervisorClient(target)
        try:
            return list_cities(client)
        finally:
            client.close()

    def opener(name: str):
        from core.attach.api.session import ApiAttachSession
        from tui.cli_attach import attach_options

        opts = attach_options(args)
        if isinstance(opts, int):
            raise ApiError("the attach options are not valid")
        return ApiAttachSession.open(target, name, opts, config_dir=args.config_dir)

    session = None
    if args.api_city:
        session = open_api_session(args, target, args.api_city)
        if isinstance(session, int):
            return session
    else:
        try:
            lister()
        except ApiError as e:
            return err(str(e), UNREACHABLE)
    ApiAttachApp(target.origin.base_url, opener, lister, city=args.api_city, session=session).run()
    return 0
