"""The attach watcher: watchfiles over what `AttachSession.watch_paths()` names, handing each
batch of changed paths to a callback (which polls only the sources under them).

A directory (the city's `.gc/`) is watched recursively: trace segments live in dated
subdirectories, and the bead store and the event log are replaced by rename. A file (city.toml
and the files it includes) is watched through its directory, non-recursively and filtered to the
file's name, so an editor's save-by-rename is seen and a city directory full of rigs is not
crawled. Every `recheck_ms` the watch paths are asked again, and the watch is put back when they
changed (`.gc/` created after attaching, an include added to the config).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from watchfiles import Change, awatch


def split_targets(paths: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(directories to watch recursively, parent directories to watch flat, the files in them)."""
    dirs = sorted({os.path.abspath(p) for p in paths if os.path.isdir(p)})
    files = sorted({os.path.abspath(p) for p in paths if not os.path.isdir(p)})
    parents = sorted({os.path.dirname(f) for f in files if os.path.isdir(os.path.dirname(f))})
    return dirs, parents, files


class _Stop:
    """The stop event watchfiles' watch thread polls: set when this watch's own event is, or the
    caller's `halt`. Ending a watch through `halt` does not depend on a task cancellation
    reaching awatch, which one arriving between two of its watch calls may not do."""

    def __init__(self, own: asyncio.Event, halt: asyncio.Event | None) -> None:
        self.own, self.halt = own, halt

    def is_set(self) -> bool:
        return self.own.is_set() or (self.halt is not None and self.halt.is_set())

    def set(self) -> None:
        self.own.set()


async def watch_city(paths: Callable[[], list[str]], changed: Callable[[set[str]], None], *,
                     debounce_ms: int = 200, recheck_ms: int = 2000, halt: asyncio.Event | None = None) -> None:
    """Until cancelled or `halt` is set: call `changed(paths)` with every settled batch of
    changes. Once `halt` is set, the watch ends within one watch step (50 ms)."""
    while halt is None or not halt.is_set():
        wanted = paths()
        dirs, parents, files = split_targets(wanted)
        if not dirs and not parents:
            await asyncio.sleep(recheck_ms / 1000)
            continue
        stop = _Stop(asyncio.Event(), halt)  # when one watch ends, the other ends too and both are put back
        loops = []
        if dirs:
            loops.append(_loop(dirs, True, None, wanted, paths, changed, stop, debounce_ms, recheck_ms))
        if parents:
            loops.append(_loop(parents, False, set(files), wanted, paths, changed, stop, debounce_ms, recheck_ms))
        await asyncio.gather(*loops)


async def _loop(roots: list[str], recursive: bool, only: set[str] | None, wanted: list[str],
                paths: Callable[[], list[str]], changed: Callable[[set[str]], None], stop: _Stop,
                debounce_ms: int, recheck_ms: int) -> None:
    """One awatch over `roots`; returns when the watch paths are no longer `wanted`, a root
    went, or the other watch ended."""

    def keep(change: Change, path: str) -> bool:
        return only is None or os.path.abspath(path) in only

    try:
        async for batch in awatch(*roots, watch_filter=keep, recursive=recursive, debounce=debounce_ms, step=50,
                                  rust_timeout=recheck_ms, yield_on_timeout=True, stop_event=stop,
                                  ignore_permission_denied=True):
            if batch:
                changed({p for _, p in batch})
            if paths() != wanted or not all(os.path.isdir(r) for r in roots):
                break
    except OSError:  # a root vanished between asking and watching: look again shortly
        await asyncio.sleep(recheck_ms / 1000)
    finally:
        stop.set()
