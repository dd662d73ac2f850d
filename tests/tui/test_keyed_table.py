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
