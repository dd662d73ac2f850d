"""The config watcher: a thin loop over watchfiles that hands each settled change to a Reloader.

It watches directories, not files (editors save by writing a temporary file and renaming it
over the original, which a file watch misses after the first save), non-recursively, plus the
directory above each one, so that a config directory deleted, recreated or replaced by a rename
is noticed and the watch is put back on the new directory. What counts as a change, whether it
may be applied and what to watch next is core.reload's business.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from watchfiles import Change, awatch

from core.session.reload import Reading, Reloader, Verdict, is_relevant, watch_roots

# How long the file system must be quiet before the watcher hands over a batch of changes (and so
# how often it looks, while changes are pending). Short: it only gathers the events of one save;
# waiting until the files hold still is the settle's business (`settle_ms`, from the last write).
STEP_MS = 10


async def watch_config(reloader: Reloader, current_revision: Callable[[], str], apply: Callable[[Verdict], None],
                       show: Callable[[Verdict], None] | None = None, *, debounce_ms: int = 200,
                       settle_ms: int = 100) -> None:
    """Until cancelled: whenever the watched files change and then hold still for `settle_ms`,
    run `reloader.check(current_revision())`; hand an "apply" verdict to `apply` (on a worker
    thread), then every verdict but "unsettled" to `show` (on the event loop).

    Checks run one at a time, each applied before the next file is read, so an older revision
    never overtakes a newer one. Whenever the watch is put back (at start, and after a watched
    directory came, went or was replaced), and whenever the watcher is idle and the files no
    longer hash as last checked, the files are checked, so a change made while nothing was
    watching is not lost."""
    settle = settle_ms / 1000

    def check_and_apply(reading: Reading | None = None) -> Verdict:
        verdict = reloader.check(current_revision(), reading)
        if verdict.kind == "apply":
            apply(verdict)
        return verdict

    while True:
        try:
            await _watch_once(reloader, check_and_apply, show, debounce_ms, settle)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a failed watch is put back, never given up
            reloader.checked = ""  # look at the files again once the watch is back
            if show is not None:
                show(_failure(reloader, e))
            await asyncio.sleep(settle)


def _failure(reloader: Reloader, e: Exception) -> Verdict:
    """A verdict for an error of the watch itself, shown like a config error."""
    from core.config.errors import ConfigError

    err = ConfigError(reloader.path, f"watching the config failed ({type(e).__name__}: {e}); watching again")
    return Verdict("error", error=err)


async def _watch_once(reloader: Reloader, check_and_apply: Callable[[Reading | None], Verdict],
                      show: Callable[[Verdict], None] | None, debounce_ms: int, settle: float) -> None:
    """One watch over the current targets, until they change (then return to be put back)."""
    while True:
        dirs, files = reloader.targets()
        roots = watch_roots(dirs)
        if not roots:  # nothing left to watch from: look again later
            await asyncio.sleep(settle)
            continue

        def relevant(change: Change, path: str, files=files, dirs=dirs) -> bool:
            return is_relevant(path, files, dirs)

        # Look first: a watch over a busy directory (the one above the city may be /tmp or a home)
        # yields only for relevant changes, and never times out while others keep coming.
        if reloader.digest() != reloader.checked:
            await _look(reloader, check_and_apply, show, settle)
        rearm = False
        async for changes in awatch(*roots, watch_filter=relevant, debounce=debounce_ms, step=STEP_MS,
                                    rust_timeout=max(debounce_ms, 100), yield_on_timeout=True, recursive=False):
            rearm = any(path not in files for _, path in changes)  # a directory came, went or moved
            if changes or reloader.digest() != reloader.checked:
                await _look(reloader, check_and_apply, show, settle)
            if rearm or reloader.targets() != (dirs, files) or watch_roots(dirs) != roots:
                return


async def _look(reloader: Reloader, check_and_apply: Callable[[Reading | None], Verdict],
                show: Callable[[Verdict], None] | None, settle: float) -> None:
    """Once the files hold still, check them (on a worker thread) and show the verdict. They
    are read while the settle runs: the check takes that reading when the files have not
    changed since it began, so a save costs the settle, not the settle and then a load."""
    reading = asyncio.ensure_future(asyncio.to_thread(reloader.read))
    try:
        await _settled(reloader, settle)
        early = await reading
    except asyncio.CancelledError:
        reading.cancel()
        raise
    except Exception:  # noqa: BLE001 - the check reads the files again and reports what it finds
        early = None
    verdict = await asyncio.to_thread(check_and_apply, early)
    if verdict.kind != "unsettled" and show is not None:
        show(verdict)


async def _settled(reloader: Reloader, settle: float) -> None:
    """Return once the watched files have not changed for `settle` seconds, counted from their
    last write (the newest modification time among them) rather than from when the watcher
    woke: a file saved a while ago is checked at once, one written just now when it has held
    still for `settle`. A modification time in the future (a skewed clock, a file touched
    ahead) counts from when the files were first seen as they are, and so does every wait after
    a change, so a settle never lasts much longer than `settle`."""
    seen, seen_at = reloader.stamp(), time.monotonic()
    while True:
        since_write = (time.time_ns() - seen.modified_ns) / 1e9 if seen.modified_ns else 0.0
        wait = settle - max(since_write, time.monotonic() - seen_at)
        if wait <= 0:
            return
        await asyncio.sleep(wait)
        now = reloader.stamp()
        if now != seen:
            seen, seen_at = now, time.monotonic()
