"""The config watcher: a thin loop over watchfiles that calls back when a config file changes.

It watches directories, not files (editors save by writing a temporary file and renaming it
over the original, which a file watch misses after the first save), non-recursively, and keeps
only changes to the files core.reload says matter. What to reload and how is core's business.
"""

from __future__ import annotations

import os
from typing import Callable

from watchfiles import Change, awatch

from core.reload import is_relevant


async def watch_config(dirs: list[str], files: set[str], on_change: Callable[[], None], *,
                       debounce_ms: int = 200) -> None:
    """Call `on_change` once per debounced batch of changes to `files`, until cancelled."""
    dirs = [d for d in dirs if os.path.isdir(d)]
    if not dirs:
        return

    def relevant(change: Change, path: str) -> bool:
        return is_relevant(path, files)

    async for _ in awatch(*dirs, watch_filter=relevant, debounce=debounce_ms, step=50, recursive=False):
        on_change()
