"""KeyedTable: rows that come, go and move are applied in place (kept rows are not rebuilt),
the screen shows exactly the rows asked for, in order, and the cursor stays on its key."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult

from tui.widgets.keyed_table import KeyedTable

COLUMNS = [("key", "key"), ("value", "value")]


class TableApp(App):
    def __init__(self, key_column: str | None) -> None:
        super().__init__()
        self.key_column = key_column

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, key_column=self.key_column)


class FillingTableApp(TableApp):
    """The table fills the screen, whatever its rows (as in the app's panels)."""

    CSS = "KeyedTable { height: 1fr; }"


def rows(keys, tag="") -> list[tuple[str, tuple[str, str]]]:
    return [(k, (k, f"v-{k}{tag}")) for k in keys]


def shown(t: KeyedTable) -> list[tuple[str, str]]:
    return [tuple(str(c) for c in t.get_row_at(i)) for i in range(t.row_count)]


async def test_rows_that_come_go_and_move_are_applied_in_place():
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a", "b", "c", "d", "e", "f"]))
        await pilot.pause()
        t.move_cursor(row=3)  # on "d"
        kept = {k: t.rows[k] for k in ("a", "c", "d", "f")}
        t.show(rows(["f", "a", "c", "g", "d"], tag="!"))  # b and e go, g comes, f moves first, values change
        await pilot.pause()
        assert t.row_keys == ["f", "a", "c", "g", "d"]
        assert shown(t) == [(k, f"v-{k}!") for k in ["f", "a", "c", "g", "d"]]
        assert t.selected_key == "d"
        assert all(t.rows[k] is row for k, row in kept.items())  # updated, not rebuilt


async def test_random_edits_always_show_what_was_asked():
    rng = random.Random(3)
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        keys = [f"k{i}" for i in range(30)]
        for step in range(25):
            now = sorted(rng.sample(keys, rng.randrange(20, 30)), key=lambda k: (rng.random() < 0.1, k))
            t.show(rows(now, tag=str(step % 3)))
            await pilot.pause()
            assert t.row_keys == now
            assert shown(t) == [(k, f"v-{k}{step % 3}") for k in now]


async def test_without_a_key_column_the_table_is_rebuilt():
    app = TableApp(None)
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a", "b", "c"]))
        await pilot.pause()
        t.move_cursor(row=2)
        before = t.rows["a"]
        t.show(rows(["c", "a"]))
        await pilot.pause()
        assert shown(t) == [("c", "v-c"), ("a", "v-a")]
        assert t.rows["a"] is not before
        assert t.selected_key == "c"


def rendered(t: KeyedTable, row: int) -> str:
    """The text of table row `row` as painted (line 0 is the header)."""
    return t.render_line(row + 1).text


async def test_a_repaint_renders_only_the_cells_that_changed(monkeypatch):
    from textual.widgets import DataTable

    renders: list[tuple[int, int]] = []
    render_cell = DataTable._render_cell

    def counting(self, row_index, column_index, *args, **kwargs):
        renders.append((row_index, column_index))
        return render_cell(self, row_index, column_index, *args, **kwargs)

    monkeypatch.setattr(DataTable, "_render_cell", counting)
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        keys = ["a", "b", "c", "d", "e", "f"]
        t.show(rows(keys))
        await pilot.pause()
        t.move_cursor(row=5)  # away from the rows that change
        await pilot.pause()
        renders.clear()
        t.show([(k, (k, "v-X" if k == "c" else f"v-{k}")) for k in keys])  # as wide as before
        await pilot.pause()
        assert "v-X" in rendered(t, 2)
        assert "v-b" in rendered(t, 1) and "v-d" in rendered(t, 3)
        assert {r for r, c in renders if r >= 0} == {2}  # row c only; the others came from before


async def test_a_row_that_moved_is_painted_at_its_new_place_and_points_there():
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a", "b", "c", "d", "e", "f"]))
        await pilot.pause()
        t.move_cursor(row=5)
        await pilot.pause()
        t.show(rows(["a", "c", "d", "e", "f"]))  # b goes: the rows below move up one
        await pilot.pause()
        for i, k in enumerate(["a", "c", "d", "e", "f"]):
            strip = t.render_line(i + 1)
            assert f"v-{k}" in strip.text
            rows_meant = {seg.style.meta.get("row") for seg in strip if seg.style is not None and seg.style.meta}
            assert rows_meant == {i}  # a click lands on the row that is there now


async def test_rows_given_as_before_are_not_measured_or_cut_again(monkeypatch):
    import tui.widgets.keyed_table as kt

    calls: list[object] = []
    for name in ("shown", "clip_cell"):
        real = getattr(kt, name)

        def counting(*args, _real=real, _name=name):
            calls.append((_name, args[0]))
            return _real(*args)

        monkeypatch.setattr(kt, name, counting)
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        given = rows(["a", "b", "c"])
        t.show(given)
        await pilot.pause()
        calls.clear()
        t.show([given[0], ("b", ("b", "new")), given[2]])
        await pilot.pause()
        assert {value for _, value in calls} <= {"b", "new"}  # only the changed row
        assert shown(t) == [("a", "v-a"), ("b", "new"), ("c", "v-c")]


class SessionsApp(App):
    def compose(self) -> ComposeResult:
        from tui.widgets.sessions import SessionsPanel

        yield SessionsPanel()


def session_board(reasons: dict[str, str]):
    from core.views.board import Board
    from core.views.plan import START, PlanSummary, SessionRow

    sessions = [SessionRow(k, START, "t", "pool", k, "", "", "", "", "—", why) for k, why in sorted(reasons.items())]
    return Board([], sessions, PlanSummary(len(sessions), 0, len(sessions), 0, 0, 0, 0), [], [], [])


async def test_the_sessions_panel_makes_cells_only_for_rows_that_changed(monkeypatch):
    import tui.widgets.sessions as sessions

    made: list[str] = []
    real = sessions.row_cells
    monkeypatch.setattr(sessions, "row_cells", lambda r, **kw: made.append(r.key) or real(r, **kw))
    app = SessionsApp()
    async with app.run_test() as pilot:
        panel = app.query_one(sessions.SessionsPanel)
        panel.show(session_board({"a": "new", "b": "new", "c": "new"}), tick=1)
        await pilot.pause()
        assert made == ["a", "b", "c"]
        made.clear()
        panel.show(session_board({"a": "new", "b": "later", "c": "new", "d": "new"}), tick=2)
        await pilot.pause()
        assert made == ["b", "d"]
        assert [panel.table.shown_cells(k)["reason"] for k in "abcd"] == ["new", "later", "new", "new"]


async def test_a_frame_drawn_before_the_columns_widen_is_not_kept():
    """Textual measures a widened cell when the table is next idle; a frame drawn between the
    update and that measure must not be the one shown afterwards (it was cut to the old widths)."""
    app = TableApp("key")
    async with app.run_test(size=(80, 10)) as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a"]))
        await pilot.pause()
        wide = "a value much wider than the column was"
        t.show([("a", ("a", wide))])
        app.export_screenshot()  # a frame drawn now, before the table is idle, at the old widths
        await pilot.pause()
        assert wide in "".join(seg.text for seg in t.render_line(1))  # the row under the header


async def test_a_frame_drawn_before_new_rows_are_measured_is_not_kept():
    """The same for rows that came (the table rebuilt): their widths are measured on idle too."""
    app = TableApp(None)  # no key column: every show rebuilds
    async with app.run_test(size=(80, 10)) as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a"]))
        await pilot.pause()
        wide = "a value much wider than the column was"
        t.show([("b", ("b", wide))])
        app.export_screenshot()
        await pilot.pause()
        assert wide in "".join(seg.text for seg in t.render_line(1))


def cursor_rows(t: KeyedTable) -> list[int]:
    """The table rows painted in the cursor's style."""
    cursor = t.get_component_rich_style("datatable--cursor", partial=True)
    return [i for i in range(t.row_count)
            if any(seg.style is not None and seg.style.bgcolor == cursor.bgcolor
                   for seg in t.render_line(i + 1) if seg.text.strip())]


async def test_kept_lines_follow_the_cursor_and_the_cells():
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a", "b", "c", "d"]))
        await pilot.pause()
        for row in (2, 0, 3, 2):  # each line painted before is painted again as it is now
            t.move_cursor(row=row)
            await pilot.pause()
            assert cursor_rows(t) == [row]
        t.update_cell("b", "value", "new")
        await pilot.pause()
        assert "new" in rendered(t, 1) and "v-b" not in rendered(t, 1)
        assert cursor_rows(t) == [2]


async def test_a_changed_cell_repaints_only_its_row():
    app = TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(rows(["a", "b", "c", "d"]))
        await pilot.pause()
        asked: list[object] = []
        real = t.refresh
        t.refresh = lambda *regions, **kw: asked.append(regions) or real(*regions, **kw)
        t.update_cell("c", "value", "v-C")
        assert asked and all(regions for regions in asked)  # a region each time, never the whole table
        assert {r.y for regions in asked for r in regions} == {t._get_row_region(2).y - t.scroll_offset.y}


async def test_a_column_that_narrows_is_as_wide_as_a_fresh_table_makes_it_and_keeps_its_rows():
    """A column narrows in place (the rows stay, the cursor too) to the width a table given
    only the new rows would have; markup in a value counts as it is shown."""
    wide = [(k, (k, "x" * 30 if k == "b" else f"[bold]{k}[/bold]")) for k in ("a", "b", "c", "d")]
    narrow = [(k, (k, f"[bold]{k}[/bold]!")) for k in ("a", "b", "c", "d", "e")]
    app, fresh = TableApp("key"), TableApp("key")
    async with app.run_test() as pilot:
        t = app.query_one(KeyedTable)
        t.show(wide)
        await pilot.pause()
        t.move_cursor(row=2)
        kept = t.rows["c"]
        t.show(narrow)
        await pilot.pause()
        widths = [c.content_width for c in t.ordered_columns]
        assert t.rows["c"] is kept and t.selected_key == "c"
        assert shown(t) == [(k, v) for k, (_, v) in narrow]
    async with fresh.run_test() as pilot:
        f = fresh.query_one(KeyedTable)
        f.show(narrow)
        await pilot.pause()
        assert widths == [c.content_width for c in f.ordered_columns] == [3, 5]


async def test_rows_that_come_and_go_lay_out_no_other_widget():
    """A table that fills its panel (`1fr`) updates its scrollbars in place as rows come and
    go: the screen is not laid out again for it (a layout redraws every panel)."""
    app = TableApp("key")
    async with app.run_test(size=(40, 8)) as pilot:
        t = app.query_one(KeyedTable)
        t.styles.height = "1fr"
        t.show(rows("abcdefghij"))
        await pilot.pause()
        layouts = getattr(t, "_layout_updates", None)  # how many layouts the table asked for (Textual's count)
        t.show(rows("abdefghijklm"))
        await pilot.pause()
        assert t.virtual_size.height == 12 + 1  # the rows and the header
        assert t.show_vertical_scrollbar
        assert shown(t)[-1] == ("m", "v-m")
        if layouts is not None:
            assert t._layout_updates == layouts


async def test_what_an_update_repaints_leaves_the_screen_as_a_full_repaint_would():
    """The table repaints only the lines an update changed: rows that came, went, moved or
    changed, a column that narrowed or widened, the cursor moving. Whatever it left alone must
    be what a full repaint draws."""
    rng = random.Random(11)
    app = FillingTableApp("key")
    async with app.run_test(size=(50, 12)) as pilot:  # ten rows on screen, the rest below
        t = app.query_one(KeyedTable)
        keys = [f"k{i:02}" for i in range(40)]
        for step in range(40):
            now = sorted(rng.sample(keys, rng.randrange(25, 40)))
            t.show([(k, (k, "v" * rng.choice([1, 2, 2, 2, 3, 9]) + str(step % 2 if k < "k05" else 0))) for k in now])
            if step % 7 == 3:
                t.move_cursor(row=rng.randrange(0, 9), animate=False)
            await pilot.pause()
            partly = app.export_screenshot()
            t.refresh()
            await pilot.pause()
            assert app.export_screenshot() == partly, f"step {step}"
