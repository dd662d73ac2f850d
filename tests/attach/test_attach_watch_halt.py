"""The attach file watch ends when it is told to, without depending on a task cancellation
reaching watchfiles' awatch (one that lands between two of its watch calls can be lost, and
`attach --watch` then never exits on Ctrl-C)."""

from __future__ import annotations

import asyncio

from tui.attach_watch import watch_city


async def test_setting_halt_ends_the_watch_without_a_cancel(tmp_path):
    (tmp_path / ".gc").mkdir()
    (tmp_path / "city.toml").write_text("[workspace]\nname = \"x\"\n")
    seen: list[set[str]] = []
    halt = asyncio.Event()
    task = asyncio.create_task(watch_city(lambda: [str(tmp_path / ".gc"), str(tmp_path / "city.toml")], seen.append,
                                          debounce_ms=20, recheck_ms=60_000, halt=halt))

    async def until_seen() -> None:  # the watch is running: it reports a write (made until it does)
        n = 0
        while not seen:
            n += 1
            (tmp_path / ".gc" / "events.jsonl").write_text(f"{n}\n")
            await asyncio.sleep(0.1)

    await asyncio.wait_for(until_seen(), timeout=30)
    halt.set()
    await asyncio.wait_for(task, timeout=20)  # a 60 s watch timeout: only the halt can end it this soon
    assert task.done() and not task.cancelled()


async def test_a_halt_set_before_the_watch_starts_ends_it_at_once(tmp_path):
    halt = asyncio.Event()
    halt.set()
    await asyncio.wait_for(watch_city(lambda: [str(tmp_path)], lambda paths: None, halt=halt), timeout=5)
