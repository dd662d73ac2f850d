"""Hot reload survives every kind of bad edit: whatever a save holds, the watcher shows a located
error (the banner's text) and keeps watching, and the next valid save is applied.

Each case runs the real watcher (tui.watch over watchfiles, core.session.reload) on a city directory,
makes one bad edit, waits for the verdict that shows it, then saves a valid version and waits for
it to be applied. Waits are on the verdicts the watcher hands over, with deadlines.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from core.session.reload import Reloader, load
from tui.watch import watch_config

pytestmark = pytest.mark.timeout(60)

GOOD = """\
[workspace]
name = "quay"

[[agent]]
name = "worker"
dir = "quay"
max_active_sessions = {n}
namepool = "names.txt"
"""


def chain(n: int, cycle: bool) -> str:
    """A depends_on chain of `n` agents, closed into a cycle or not."""
    out = ['[workspace]\nname = "quay"\n']
    for i in range(n):
        nxt = i + 1 if i + 1 < n else (0 if cycle else None)
        dep = f'depends_on = ["a{nxt}"]\n' if nxt is not None else ""
        out.append(f'[[agent]]\nname = "a{i}"\nmax_active_sessions = 1\n{dep}')
    return "\n".join(out)


def write(path: Path, text: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(text.encode() if isinstance(text, str) else text)
    os.replace(tmp, path)


def bad_edit(kind: str, root: Path) -> None:
    city = root / "city.toml"
    names = root / "names.txt"
    if kind == "syntax":
        write(city, GOOD.format(n=2).replace("= 2", "= = 2"))
    elif kind == "validation":
        write(city, GOOD.format(n=2) + "min_active_sessions = 5\n")
    elif kind == "cycle-chain":
        write(city, chain(2000, cycle=True))
    elif kind == "not-utf8":
        write(city, GOOD.format(n=2).encode().replace(b'"quay"\n\n', b'"qu\xffay"\n\n', 1))
    elif kind == "nesting-bomb":
        write(city, GOOD.format(n=2) + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    elif kind == "fifo-namepool":
        names.unlink()
        os.mkfifo(names)
    elif kind == "dev-zero-namepool":
        names.unlink()
        os.symlink("/dev/zero", names)
    elif kind == "fifo-city":
        city.unlink()
        os.mkfifo(city)
    elif kind == "oversized-city":
        with open(city, "ab") as f:
            f.truncate(64 << 20)
    elif kind == "renamed-city":
        write(city, GOOD.format(n=2).replace('"quay"\n\n', '"harbor"\n\n', 1))
    elif kind == "overflow-duration":
        write(city, GOOD.format(n=2) + 'idle_timeout = "99999999999h"\n')
    else:
        raise ValueError(kind)


def repair(kind: str, root: Path, n: int) -> None:
    names = root / "names.txt"
    if kind.endswith("-namepool"):
        names.unlink()
        names.write_text("ace\nbuzz\n")
    if kind == "fifo-city":
        (root / "city.toml").unlink()
    write(root / "city.toml", GOOD.format(n=n))


# Edits Gas City refuses (the banner shows the error), and edits that load with a warning (a
# namepool that is not a file): both must leave the watcher alive.
REFUSED = ["syntax", "validation", "cycle-chain", "not-utf8", "nesting-bomb", "fifo-city", "oversized-city",
           "renamed-city", "overflow-duration", "loader-crash", "apply-crash"]  # strict mode refuses the duration
WARNED = {"fifo-namepool": "namepool", "dev-zero-namepool": "namepool"}
KINDS = REFUSED + sorted(WARNED)


class Watch:
    """The watcher running on `root`, with every verdict it shows and every revision applied."""

    def __init__(self, root: Path) -> None:
        city = load(str(root / "city.toml")).city
        self.reloader = Reloader(str(root / "city.toml"), "", city)
        self.revision = city.revision
        self.shown: list = []
        self.applied: list[str] = []
        self.changed = asyncio.Event()
        self.fail_apply = False

    def apply(self, verdict) -> None:
        if self.fail_apply:
            raise RuntimeError("the model refused the reload")
        self.revision = verdict.revision
        self.applied.append(verdict.revision)

    def show(self, verdict) -> None:
        self.shown.append(verdict)
        self.changed.set()

    async def until(self, cond, what: str) -> None:
        async def wait() -> None:
            while not cond():
                self.changed.clear()
                await self.changed.wait()
        try:
            await asyncio.wait_for(wait(), 20)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; shown: {[v.kind for v in self.shown]}") from None


@pytest.mark.parametrize("kind", KINDS)
async def test_the_watcher_shows_every_bad_edit_and_applies_the_next_good_one(tmp_path: Path, kind: str,
                                                                              monkeypatch):
    root = tmp_path / "quay"
    root.mkdir()
    (root / "names.txt").write_text("ace\nbuzz\n")
    (root / "city.toml").write_text(GOOD.format(n=1))
    w = Watch(root)
    task = asyncio.create_task(watch_config(w.reloader, lambda: w.revision, w.apply, w.show, debounce_ms=50,
                                            settle_ms=50))
    try:
        await w.until(lambda: w.shown, "the first look at the files")
        if kind == "loader-crash":
            import core.config.load as loader

            def crash(*args, **kwargs):
                raise RecursionError("maximum recursion depth exceeded")

            monkeypatch.setattr(loader, "load_city", crash)
            write(root / "city.toml", GOOD.format(n=2))
        elif kind == "apply-crash":
            w.fail_apply = True
            write(root / "city.toml", GOOD.format(n=2))
        else:
            bad_edit(kind, root)
        if kind in WARNED:
            await w.until(lambda: w.shown[-1].kind == "apply", "the edit to load with its warning")
            city = w.shown[-1].loaded.city
            assert any(WARNED[kind] in x.render() for x in city.warnings), city.warnings
            from core.session.driver import open_city

            driver = open_city(str(root / "city.toml"))
            assert driver.step().ok and driver.step().ok  # and the model ticks with it
        else:
            await w.until(lambda: w.shown[-1].kind == "error", "the bad edit's error")
            err = w.shown[-1].error
            assert err is not None and err.file.endswith((".toml", ".txt")) and err.render().startswith(err.file)
            assert "Traceback" not in err.render()
        monkeypatch.undo()
        w.fail_apply = False
        repair(kind, root, n=3)
        good = load(str(root / "city.toml")).city.revision
        await w.until(lambda: good in w.applied, "the next valid save to be applied")
        assert w.shown[-1].kind in ("apply", "same") and w.reloader.error is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_busy_directory_above_the_city_does_not_starve_the_watcher(tmp_path: Path):
    """The watch also covers the directory above the city (to see it replaced). When that one
    never falls quiet (a shared /tmp, a home directory), the watcher still looks at the city at
    once and applies a save."""
    root = tmp_path / "quay"
    root.mkdir()
    (root / "names.txt").write_text("ace\nbuzz\n")
    (root / "city.toml").write_text(GOOD.format(n=1))
    w = Watch(root)
    stop = asyncio.Event()

    async def noise() -> None:  # someone else's files, changing all the time
        i = 0
        while not stop.is_set():
            (tmp_path / f"other-{i % 5}.log").write_text(str(i))
            i += 1
            await asyncio.sleep(0.01)

    busy = asyncio.create_task(noise())
    task = asyncio.create_task(watch_config(w.reloader, lambda: w.revision, w.apply, w.show, debounce_ms=50,
                                            settle_ms=50))
    try:
        await w.until(lambda: w.shown, "the first look at the files")
        write(root / "city.toml", GOOD.format(n=3))
        good = load(str(root / "city.toml")).city.revision
        await w.until(lambda: good in w.applied, "the save to be applied")
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, busy, return_exceptions=True)
