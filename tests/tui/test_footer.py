"""The Footer rebuilds its keys only when what it shows changes (a cursor move does not)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from tui.widgets.footer import Footer
from tui.widgets.keyed_table import KeyedTable


class FooterApp(App):
    BINDINGS = [Binding("x", "act", "Act")]
    allowed = True

    def compose(self) -> ComposeResult:
        yield KeyedTable([("key", "key")], key_column="key")
        yield Footer()

    def check_action(self, action: str, parameters) -> bool | None:
        return True if action != "act" else (True if self.allowed else None)

    def action_act(self) -> None:
        pass


async def test_the_footer_rebuilds_only_when_its_keys_change():
    app = FooterApp()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.show([(k, (k,)) for k in "abcdef"])
        table.focus()
        await pilot.pause()
        footer = app.query_one(Footer)
        rebuilt: list[int] = []
        real = footer.recompose

        async def counting():
            rebuilt.append(1)
            await real()

        footer.recompose = counting
        for row in (1, 2, 3):
            table.move_cursor(row=row)
            app.refresh_bindings()
            await pilot.pause()
        assert rebuilt == []  # the same keys, each as enabled as before
        app.allowed = False  # "Act" is now shown disabled
        app.refresh_bindings()
        await pilot.pause()
        assert rebuilt == [1]
