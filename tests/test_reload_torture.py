"""Hot reload under torture: while the controller ticks, the config is rewritten 200 times in every
way a file changes on disk (half-written in place, renamed over, deleted and recreated, its whole
directory replaced), through the real path: watchfiles, tui.watch, core.session.reload, and the model
applying a queued revision at its next tick.

What must hold: the model only ever runs a complete version that loads and validates; while the
file on disk is broken it keeps ticking on the last good config and the located error is there
for the banner; it ends on the last version written. The test polls with deadlines and never
asserts on how long anything took.

A file that holds still is taken for whole: the watcher waits until the files have not changed
for `settle_ms` (200 here; in-place writers pause at most 80 ms half-way). A writer stalled
longer than that leaves a half file on disk for as long as it likes; the stalled writes here
wait until the watcher has looked at the half, and use versions whose half does not load (no
[workspace] renames the city, or a broken line), as a half that loads would rightly be taken.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import threading
import time

import pytest

from core.session.driver import open_city
from core.session.reload import Reloader, digest, is_relevant, load, watch_roots
from tui.watch import watch_config

WRITES = 200
CITY_NAME = "quay"  # the workspace name; the directory is named otherwise, so a file without it renames the city


def valid_version(i: int) -> str:
    """A complete, valid city.toml. Odd versions put [workspace] last, so their first half names
    no city; versions 4k+2 carry a long note in the middle, so their first half is a valid city
    that lacks the later agents (the dangerous kind of half-written file)."""
    agents = [f'[[agent]]\nname = "worker"\ndir = "quay"\nmax_active_sessions = {1 + i % 4}\n']
    if i % 3:
        agents.append('[[agent]]\nname = "refinery"\ndir = "quay"\nmax_active_sessions = 1\nscale_check = "printf 1"\n')
    if i % 2 or i % 4 == 2:
        agents.append(f'[[agent]]\nname = "scout{i % 5}"\ndir = "quay"\nmin_active_sessions = 1\n'
                      'max_active_sessions = 2\n')
    workspace = f'[workspace]\nname = "{CITY_NAME}"\n'
    if i % 2:
        return "\n".join(agents) + f"# version {i}\n\n" + workspace
    head = workspace + "\n" + agents[0]
    tail = "\n".join(agents[1:]) + f"# version {i}\n"
    if i % 4 == 2:  # the midpoint falls inside the note
        head += "# " + "note " * ((abs(len(head) - len(tail)) + 40) // 5) + "\n"
    return head + "\n" + tail


def invalid_version(i: int) -> str:
    """A complete file that Gas City refuses: a syntax error, a validation error, or a new name."""
    text = valid_version(i)
    kind = i % 3
    if kind == 0:
        return text.replace("max_active_sessions = ", "max_active_sessions = = ", 1)
    if kind == 1:
        return text.replace("max_active_sessions = ", "min_active_sessions = 9\nmax_active_sessions = ", 1)
    return text.replace(f'name = "{CITY_NAME}"', 'name = "harbor"')


def wait_until(cond, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# ---------------------------------------------------------------------- the writer's ways


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_partial(path: str, text: str, pause: float) -> None:
    half = len(text) // 2
    with open(path, "w") as f:
        f.write(text[:half])
        f.flush()
        time.sleep(pause)
        f.write(text[half:])


def recreate(path: str, text: str, pause: float) -> None:
    os.unlink(path)
    time.sleep(pause)
    with open(path, "w") as f:
        f.write(text)


def replace_dir(path: str, text: str) -> None:
    d = os.path.dirname(path)
    new, old = d + ".new", d + ".old"
    os.makedirs(new)
    with open(os.path.join(new, "city.toml"), "w") as f:
        f.write(text)
    os.rename(d, old)
    os.rename(new, d)
    shutil.rmtree(old)


# ---------------------------------------------------------------------- the torture


async def test_the_model_only_ever_runs_complete_valid_versions_and_ends_on_the_last(tmp_path):
    city_dir = tmp_path / "site" / "quay-city"
    city_dir.mkdir(parents=True)
    path = str(city_dir / "city.toml")
    rng = random.Random(20260719)

    n_valid = 16
    valid = [valid_version(i) for i in range(n_valid)]
    invalid = [invalid_version(i) for i in range(6)]
    revisions = {}
    half_refused = set()  # versions whose first half does not load: a writer may stall half-way
    write_atomic(path, valid[0])
    scratch = Reloader(path, "", load(path).city)
    for i, text in enumerate(valid):  # the revision each complete version loads as, at this path
        write_atomic(path, text[:len(text) // 2])
        if scratch.check("").kind == "error":
            half_refused.add(i)
        write_atomic(path, text)
        loaded = load(path)
        assert loaded.ok, loaded.error
        revisions[i] = loaded.city.revision
    assert half_refused and len(half_refused) < n_valid  # both kinds of half-written file occur
    for text in invalid:
        write_atomic(path, text)
        assert not load(path).ok or 'name = "harbor"' in text
    write_atomic(path, valid[0])

    driver = open_city(path)
    model = driver.model
    reloader = Reloader(path, "", model.city)
    delivered = []
    applied = set()
    problems: list[str] = []
    stop = threading.Event()

    def current() -> str:
        return (model.pending_city or model.city).revision

    def apply(verdict) -> None:  # what the app does with a new revision: queue it for the next tick
        result = driver.reload(verdict.loaded.city, verdict.loaded.source)
        if not result.ok:
            problems.append(result.error)

    def ticker() -> None:
        while not stop.is_set():
            result = driver.step()
            if not result.ok:
                problems.append(result.error)
            applied.add(model.city.revision)
            time.sleep(0.002)

    def on_disk() -> str:
        return digest([path])

    def looked_at_disk() -> bool:
        return reloader.checked == on_disk()

    def writer() -> None:
        good = {revisions[0]}  # what the model may run at the next checkpoint
        last = ("valid", 0)
        for n in range(WRITES):
            if rng.random() < 0.2:
                kind, i = "invalid", rng.randrange(len(invalid))
                text = invalid[i]
            else:
                kind, i = "valid", rng.randrange(n_valid)
                text = valid[i]
                good.add(revisions[i])
            way = rng.choice(["partial", "partial", "atomic", "recreate", "replace_dir", "stalled"])
            if way == "stalled" and kind == "valid" and i in half_refused:
                # The writer stops half-way for as long as it takes the watcher to look at the
                # half, which does not load (a half that does would rightly be taken for whole).
                half = len(text) // 2
                with open(path, "w") as f:
                    f.write(text[:half])
                    f.flush()
                    wait_until(looked_at_disk, "the watcher to look at a half-written file")
                    err = reloader.error
                    assert err is not None and err.file == path and (err.line or err.field or err.col), err
                    assert current() in good
                    f.write(text[half:])
            elif way in ("partial", "stalled"):
                write_partial(path, text, rng.uniform(0, 0.08))
            elif way == "atomic":
                write_atomic(path, text)
            elif way == "recreate":
                recreate(path, text, rng.uniform(0, 0.015))
            else:
                replace_dir(path, text)
            last = (kind, i)
            if n % 10 == 9 or n == WRITES - 1:
                checkpoint(last, good)
                good = {model.city.revision}

    def checkpoint(last, good) -> None:
        kind, i = last
        if kind == "valid":
            want = revisions[i]
            wait_until(lambda: looked_at_disk() and model.city.revision == want,
                       f"version {i} to be applied")
            assert reloader.error is None
            return
        wait_until(lambda: looked_at_disk() and model.pending_city is None, "a broken file to be looked at")
        err = reloader.error
        assert err is not None and err.file == path and (err.line or err.field), err
        assert model.city.revision in good  # the last good config, still running
        tick = model.world.tick
        wait_until(lambda: model.world.tick > tick + 2, "ticks to go on with the last good config")

    watch = asyncio.create_task(watch_config(reloader, current, apply, delivered.append, debounce_ms=100,
                                             settle_ms=200))
    ticks = threading.Thread(target=ticker, daemon=True)
    ticks.start()
    try:
        await asyncio.to_thread(writer)
        final = valid[-1]
        write_partial(path, final, 0.01)
        await asyncio.to_thread(wait_until, lambda: looked_at_disk() and model.city.revision == revisions[n_valid - 1],
                                "the last version to be applied")
    finally:
        stop.set()
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
        ticks.join(timeout=10)

    assert not problems
    every_complete = set(revisions.values())
    assert applied <= every_complete, "the model ran a revision that is not a complete version"
    assert {v.revision for v in delivered if v.kind == "apply"} <= every_complete
    assert any(v.kind == "error" for v in delivered)
    assert reloader.error is None and model.city.revision == revisions[n_valid - 1]


# ---------------------------------------------------------------------- the decisions, one by one


def test_a_check_applies_a_new_revision_once_and_keeps_the_error_of_a_broken_file(tmp_path):
    path = str(tmp_path / "city.toml")
    write_atomic(path, valid_version(0))
    first = load(path)
    r = Reloader(path, "", first.city)
    assert r.check(first.city.revision).kind == "same"
    write_atomic(path, valid_version(2))
    v = r.check(first.city.revision)
    assert v.kind == "apply" and v.revision != first.city.revision
    assert r.check(v.revision).kind == "same"  # queued already: nothing new to apply
    write_atomic(path, invalid_version(0))
    bad = r.check(v.revision)
    assert bad.kind == "error" and r.error is not None and r.error.file == path and r.error.line
    write_atomic(path, valid_version(2))
    assert r.check(v.revision).kind == "same" and r.error is None


def test_a_file_that_renames_the_city_is_refused_as_gas_city_does(tmp_path):
    path = str(tmp_path / "city.toml")
    write_atomic(path, valid_version(0))
    r = Reloader(path, "", load(path).city)
    write_atomic(path, "")  # an editor's truncate-then-write caught half-way: no [workspace] at all
    v = r.check("")
    assert v.kind == "error" and v.error.field == "workspace.name"
    assert f'from "{CITY_NAME}" to "{tmp_path.name}"' in v.error.message
    write_atomic(path, invalid_version(2))
    v = r.check("")
    assert v.kind == "error" and v.error.line == invalid_version(2).splitlines().index('name = "harbor"') + 1


def test_a_file_changing_while_it_is_read_is_not_applied(tmp_path, monkeypatch):
    import core.session.reload as reload_mod

    path = str(tmp_path / "city.toml")
    write_atomic(path, valid_version(0))
    r = Reloader(path, "", load(path).city)
    real_load = reload_mod.load
    texts = iter([valid_version(2), valid_version(4)])

    def load_then_write(p, packs="", **gate):
        out = real_load(p, packs, **gate)
        write_atomic(path, next(texts, valid_version(4)))  # a writer gets in between the two reads
        return out

    monkeypatch.setattr(reload_mod, "load", load_then_write)
    assert r.check("").kind == "unsettled" and r.last is None


@pytest.mark.parametrize("gone", [False, True])
def test_watch_roots_include_the_directory_above_so_a_replaced_directory_is_seen(tmp_path, gone):
    d = tmp_path / "site" / "city"
    d.mkdir(parents=True)
    if gone:
        shutil.rmtree(tmp_path / "site")
    roots = watch_roots([str(d)])
    assert roots == ([str(tmp_path)] if gone else [str(tmp_path / "site"), str(d)])
    files = {str(d / "city.toml")}
    assert is_relevant(str(d), files, [str(d)]) and is_relevant(str(tmp_path / "site"), files, [str(d)])
    assert not is_relevant(str(tmp_path / "site" / "city.new"), files, [str(d)])
    assert not is_relevant(str(d / "notes.txt"), files, [str(d)])
