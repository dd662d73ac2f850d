"""Pilot tests of how the screen holds up: tables that drop their least important columns in a
narrow panel, the Why panel's focus key, wrapped lines that hang under their first line, config
warnings logged once per change, and the dependency floor's identity rule in the Why panel."""

from __future__ import annotations

import pytest
from rich.text import Text

from core.demo import open_demo
from core.driver import open_city
from tests.tui.conftest import SIZE, settle
from tests.tui.test_reload import save, wait_for
from tui.app import CitywatchApp
from tui.commands import key_display, panel_controls
from tui.widgets.events import styled
from tui.widgets.hanging import Hanging, hang

SIZES = [(100, 30), (120, 40), (160, 45), (200, 50)]


def demo_app() -> CitywatchApp:
    return CitywatchApp(open_demo(), watch=False)


def fits(table) -> bool:
    """Every column on screen, none past the right edge (the vertical scrollbar takes a cell)."""
    return sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width - 1


async def stepped(app, pilot, n: int = 6) -> None:
    await settle(app, pilot)
    for _ in range(n):
        await pilot.press("s")
        await settle(app, pilot)
    app.sessions.changed_only = False
    app.refresh_view()
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
async def test_narrow_tables_keep_their_important_columns_without_scrolling(size):
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await stepped(app, pilot)
        sessions, agents = app.sessions.table, app.agents.table
        assert {"", "session", "state", "runtime", "why"} <= set(sessions.visible_columns)
        assert {"agent", "shape"} <= set(agents.visible_columns)  # the identity shape is a key column
        if size[0] >= 120:
            assert "min..max" in agents.visible_columns
        if size[0] >= 160:
            assert {"min..max", "scale", "desired"} <= set(agents.visible_columns)
        if size[0] >= 200:
            assert {"open", "running"} <= set(agents.visible_columns)
        for table in (sessions, agents, app.panel("trackers").focus_target(), app.panel("deferrals").focus_target()):
            assert fits(table), (size, table.id, table.visible_columns)
            assert table.max_scroll_x == 0
        if size[0] <= 120:
            assert sessions.hidden_columns  # something had to give
        # what was dropped is lower in priority than everything shown
        from tui.widgets.sessions import FIT
        ranks = {k: i for i, k in enumerate(FIT.priority)}
        labels = {label: key for label, key in sessions._all_columns}
        shown = [ranks[labels[c]] for c in sessions.visible_columns]
        dropped = [ranks[labels[c]] for c in sessions.hidden_columns]
        assert not dropped or max(shown) < min(dropped)
        # a cut value ends in "…" and the full one is still the row's
        for key in sessions.row_keys:
            full = sessions.cells(key)
            for (label, col), cell in zip(sessions._all_columns, full):
                shown_cell = (sessions.shown_cells(key) or {}).get(col)
                if shown_cell is None:
                    continue
                plain, whole = str(shown_cell), str(full[[k for _, k in sessions._all_columns].index(col)])
                assert plain == whole or (plain.endswith("…") and whole.startswith(plain[:-1]))


async def test_zoom_shows_every_column_and_the_layout_comes_back():
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await stepped(app, pilot)
        table = app.sessions.table
        assert table.hidden_columns
        app.sessions.focus_target().focus()
        await pilot.press("z")
        await pilot.pause(0.2)
        assert not table.hidden_columns
        assert table.visible_columns == [label for label, _ in table._all_columns]
        await pilot.press("z")
        await pilot.pause(0.2)
        assert table.hidden_columns and fits(table)


async def test_the_cursor_stays_on_its_row_when_columns_come_and_go():
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await stepped(app, pilot)
        table = app.sessions.table
        key = table.row_keys[-1]
        assert table.select_key(key)
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.2)
        assert table.selected_key == key and not table.hidden_columns
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        assert table.selected_key == key and table.hidden_columns


async def test_eight_focuses_the_why_panel_and_help_lists_it():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("8")
        await pilot.pause()
        assert app.focused_panel().panel_id == "why"
        keys = {c.id: key_display(c) for c in panel_controls("why")}
        assert keys["focus_why"] == "8"
        numbers = [key_display(c) for c in panel_controls("sessions") if c.id.startswith("focus_")]
        assert len(numbers) == len(set(numbers))  # one key per panel
        await pilot.press("2")
        await pilot.pause()
        assert app.focused_panel().panel_id == "sessions"


def test_a_wrapped_line_continues_under_its_text():
    from rich.console import Console

    console = Console(width=40)
    t = Text("  12 09:06:00  log     " + "word " * 20)
    lines = hang(console, t, 23, 40)
    assert len(lines) > 1 and all(ln.plain.startswith(" " * 23) for ln in lines[1:])
    assert all(ln.cell_len <= 40 for ln in lines)
    assert str(Hanging([(t, 23)])) == t.plain


async def test_why_and_events_lines_hang_under_their_first_line():
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await stepped(app, pilot)
        app.sessions.focus_target().focus()
        why = app.query_one("#why")
        width = why.content_region.width
        rendered = [ln.plain for t, indent in why.content.lines for ln in hang(app.console, t, indent, width)]
        rules = [i for i, ln in enumerate(rendered) if ln[:4].strip().rstrip(".").isdigit()]
        assert rules
        for i in rules:  # a rule's detail and any wrapped part sit under the rule's name
            j = i + 1
            while j < len(rendered) and rendered[j].strip() and not rendered[j][:4].strip().rstrip(".").isdigit():
                assert rendered[j].startswith("    "), rendered[j]
                j += 1
        # the event log: a message longer than the panel continues under the message, past time and kind
        first = app.driver.lines()[0]
        prefix = len(styled(first).plain) - len(first.text)
        texts = [strip.text for strip in app.events_panel.log_widget.lines]
        heads = [i for i, s in enumerate(texts) if s[:4].strip().isdigit()]
        wrapped = [i + 1 for i in heads if i + 1 < len(texts) and not texts[i + 1][:4].strip()]
        assert wrapped, "no event line wrapped at 100 columns"
        for i in wrapped:
            assert texts[i].startswith(" " * prefix) and texts[i][prefix].strip(), texts[i]


CITY = """[workspace]
name = "quay"

[[agent]]
name = "worker"
dir = "quay"
max_active_sessions = 2
bogus_key = 1
"""


async def test_config_warnings_are_logged_when_new_not_on_every_reload(tmp_path):
    city = tmp_path / "city.toml"
    city.write_text(CITY)
    # Not strict: in strict mode (gc's default) the unknown key would refuse the city instead.
    app = CitywatchApp(open_city(str(city), strict=False), watch=True, watch_debounce_ms=50)

    def warnings() -> list[str]:
        return [ln.text for ln in app.driver.lines() if ln.kind == "warning"]

    def notes() -> list[str]:
        return [ln.text for ln in app.driver.lines() if ln.kind == "config" and ln.text.startswith("config warning")]

    async def edit(text: str) -> None:
        seen = app.reloads
        save(city, text)
        await wait_for(pilot, lambda: app.reloads > seen, "the reload")
        await settle(app, pilot)

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len([w for w in warnings() if "bogus_key" in w]) == 1  # at the start
        await edit(CITY.replace("max_active_sessions = 2", "max_active_sessions = 3"))
        assert len([w for w in warnings() if "bogus_key" in w]) == 1  # not again
        assert notes()[-1] == "config warning: 1 unchanged"
        await edit(CITY.replace("max_active_sessions = 2", "max_active_sessions = 4").replace("bogus_key = 1\n", ""))
        assert notes()[-1] == "config warning: 1 gone"
        await edit(CITY)  # the warning comes back: it is new again
        assert len([w for w in warnings() if "bogus_key" in w]) == 2
        shown = app.events_panel.shown_text
        assert sum("bogus_key" in s for s in shown) == 2 and any("1 unchanged" in s for s in shown)


async def test_why_says_a_dependency_floor_is_desired_under_its_session_name():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await stepped(app, pilot)
        rows = [r for r in app.sessions._rows.values() if r.source == "dependency-floor"]
        assert rows, "the demo has no dependency floor yet"
        row = rows[0]
        app.sessions.focus_target().focus()
        assert app.sessions.table.select_key(row.key)
        await pilot.pause()
        text = str(app.query_one("#why").content)
        assert "identity.floor_session_name" in text
        # the row shows the bead's agent_name → the desired identity (the floor's session name)
        assert f"the bead's session name {row.identity.split(' → ')[-1]}" in text and "harbor/witness" in text
        # the new rule follows the alias rule it explains
        assert text.index("alias.none") < text.index("identity.floor_session_name")
