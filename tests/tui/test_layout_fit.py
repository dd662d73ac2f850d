"""Pilot tests of how the screen holds up: tables that drop their least important columns in a
narrow panel, the Why panel's focus key, wrapped lines that hang under their first line, config
warnings logged once per change, and the dependency floor's identity rule in the Why panel."""

from __future__ import annotations

import pytest
from factories import city_app
from rich.text import Text

from core.demo import open_demo
from core.session.driver import open_city
from tests.tui.conftest import SIZE, settle
from tests.tui.test_reload import save, wait_for
from tui.app import CitywatchApp
from tui.commands import key_display, panel_controls
from tui.widgets.events import styled
from tui.widgets.hanging import Hanging, hang

SIZES = [(80, 24), (100, 30), (120, 40), (160, 45), (200, 50)]


def demo_app() -> CitywatchApp:
    return CitywatchApp(open_demo(), watch=False)


def fits(table) -> bool:
    """Every column on screen, none past the right edge (the vertical scrollbar takes a cell)."""
    return sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width - 1


def slack(table) -> int:
    """Cells of the table's width no column uses."""
    return table.size.width - 1 - sum(c.get_render_width(table) for c in table.columns.values())


def cut_keys(table) -> list[str]:
    """The key columns (names, identities, alias, template, shape) shown cut short in some row."""
    keys = [k for _, k in table.all_columns]
    out = set()
    for row in table.row_keys:
        full, shown = table.cells(row), table.shown_cells(row) or {}
        for col in table._fit.keys:
            if col in shown and str(shown[col]) != str(full[keys.index(col)]):
                out.add(col)
    return sorted(out)


def assert_keys_whole_unless_full(table) -> None:
    """A key column is cut only when no column below it in rank is shown and no space is left."""
    cut = cut_keys(table)
    if not cut:
        return
    ranks = {k: i for i, k in enumerate(table._fit.priority)}
    labels = {label: key for label, key in table.all_columns}
    shown = [labels[c.rsplit(" ", 1)[0] if c.endswith(("▲", "▼")) else c] for c in table.visible_columns]
    worst = max(ranks[c] for c in cut)
    lower = [c for c in shown if ranks.get(c, 99) > worst and c not in table._fit.keys]
    assert not lower, (table.id, cut, lower)
    assert slack(table) <= 2, (table.id, cut, slack(table))


async def stepped(app, pilot, n: int = 6) -> None:
    await settle(app, pilot)
    for _ in range(n):
        await pilot.press("s")
        await settle(app, pilot)
    app.refresh_view()
    await pilot.pause(0.1)
    app.relayout()
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
async def test_tables_keep_their_key_columns_whole_and_fit_without_scrolling(size):
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await stepped(app, pilot)
        sessions, agents = app.sessions.table, app.agents.table
        assert not app.sessions.changed_only and len(sessions.row_keys) >= 5  # every row by default
        assert {"session", "identity", "alias"} <= set(sessions.visible_columns)
        if size[0] >= 160:
            assert {"template", "state", "runtime"} <= set(sessions.visible_columns)
            assert {"agent", "shape"} <= set(agents.visible_columns)
        if size[0] >= 200:
            assert {"min..max", "scale"} <= set(agents.visible_columns)
        tables = [sessions] if size[0] < 100 else [sessions, agents, app.panel("trackers").focus_target(),
                                                   app.panel("deferrals").focus_target()]
        for table in tables:
            assert fits(table), (size, table.id, table.visible_columns)
            assert table.max_scroll_x == 0
            assert_keys_whole_unless_full(table)
        if size[0] >= 160:
            assert not cut_keys(sessions) and not cut_keys(agents), (cut_keys(sessions), cut_keys(agents))
        # what was dropped is lower in priority than everything shown (or has no value in any row)
        from tui.widgets.sessions import FIT
        ranks = {k: i for i, k in enumerate(FIT.priority)}
        labels = {label: key for label, key in sessions.all_columns}
        filled = dict(zip(sessions._widths[0], sessions._widths[3], strict=False))
        shown = [ranks[labels[c]] for c in sessions.visible_columns]
        dropped = [ranks[labels[c]] for c in sessions.hidden_columns if filled[labels[c]]]
        assert not dropped or max(shown) < min(dropped) or any(labels[c] in FIT.keys for c in sessions.hidden_columns)
        # a cut value ends in "…" and the full one is still the row's
        for key in sessions.row_keys:
            full = sessions.cells(key)
            for (_label, col), _cell in zip(sessions.all_columns, full, strict=False):
                shown_cell = (sessions.shown_cells(key) or {}).get(col)
                if shown_cell is None:
                    continue
                plain, whole = str(shown_cell), str(full[[k for _, k in sessions.all_columns].index(col)])
                assert plain == whole or (plain.endswith("…") and whole.startswith(plain[:-1]))


@pytest.mark.parametrize("size", [(80, 24), (90, 40)])
async def test_on_a_small_screen_every_panel_is_a_tab_away_and_shows_rows(size):
    from tui.commands import PANEL_KEYS
    from tui.widgets.status import TabBar

    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await stepped(app, pilot, 8)
        assert app.query_one(TabBar).display
        assert app.query_one("#status").outer_size.height == 1  # the header is one line
        for pid in app.present_panels():
            await pilot.press(PANEL_KEYS[pid])
            await pilot.pause(0.1)
            panel = app.panel(pid)
            assert panel.display and panel.region.height >= 5, (pid, panel.region)
            assert app.active_panel == pid and app.focused_panel() is panel
            hidden = [p for p in app.present_panels() if app.panel(p).display and p not in (pid, "why")]
            assert not hidden, (pid, hidden)
            if pid in ("agents", "sessions", "trackers"):
                table = panel.focus_target()
                visible_rows = table.region.height - 1  # less the header
                assert visible_rows >= min(table.row_count, 5) > 0, (pid, table.region, table.row_count)
        if size[1] >= 30:  # tall enough: Why sits under Sessions
            await pilot.press("2")
            await pilot.pause(0.1)
            assert app.panel("why").display and app.panel("why").region.height >= 5


async def test_zoom_shows_every_column_and_the_layout_comes_back():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await stepped(app, pilot)
        table = app.sessions.table
        assert table.hidden_columns
        app.sessions.focus_target().focus()
        await pilot.press("z")
        await pilot.pause(0.2)
        assert not table.hidden_columns
        assert table.visible_columns == [label for label, _ in table.all_columns]
        await pilot.press("z")
        await pilot.pause(0.2)
        assert table.hidden_columns and fits(table)


async def test_the_cursor_stays_on_its_row_when_columns_come_and_go():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await stepped(app, pilot)
        table = app.sessions.table
        key = table.row_keys[-1]
        assert table.select_key(key)
        await pilot.resize_terminal(220, 60)
        await pilot.pause(0.3)
        assert table.selected_key == key and len(table.visible_columns) > 6
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
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
    async with app.run_test(size=(120, 40)) as pilot:
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
        texts = app.events_panel.log_widget.rows_text()
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


from tests.tui.test_controls import REAL, REAL_CITIES  # noqa: E402  (one list of the example cities)


@pytest.mark.parametrize("name", REAL_CITIES)
async def test_no_key_column_is_cut_at_160_columns_on_an_example_city(name):
    app = city_app(REAL / name / "city.toml")
    async with app.run_test(size=(160, 45)) as pilot:
        await stepped(app, pilot, 2)
        for table in (app.sessions.table, app.agents.table):
            assert not cut_keys(table), (name, table.id, cut_keys(table), app.panel(table.id).size)
            assert fits(table)
        city = app.driver.model.city
        assert len(app.agents.table.row_keys) == len(city.agents) + len(city.unstamped) + len(city.rig_defaults)


def test_a_key_column_let_in_cut_gives_way_before_the_key_columns_above_it():
    from tui.widgets.fit import ColumnFit, plan_columns

    fit = ColumnFit(priority=("name", "identity", "state", "template"), keys=("name", "identity", "template"))
    keys = ["name", "identity", "state", "template"]
    labels = [4, 8, 5, 8]
    natural = [13, 15, 8, 15]
    plan = plan_columns(keys, labels, natural, 13 + 15 + 8 + 10 + 8, fit, padding=2)
    widths = dict(zip([keys[i] for i in plan.visible], plan.widths, strict=True))
    assert widths["name"] == 13 and widths["identity"] == 15  # the keys above it stay whole
    assert widths["state"] == 6 and widths["template"] == 12  # what is not a key gives way first, then the last key
    plan = plan_columns(keys, labels, natural, 13 + 15 + 8 + 6, fit, padding=2)  # no room for even its minimum
    assert [keys[i] for i in plan.visible] == ["name", "identity", "state"] and plan.widths == (13, 15, 8)
