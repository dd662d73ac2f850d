"""The key footer, without the memory Textual's Footer keeps.

Textual's Footer rebuilds its keys whenever the screen's bindings change (here, whenever the
Sessions cursor moves, which is every tick of a running model). Each new key is data-bound to
the footer's `compact` reactive, and the footer's watcher list forgets closed keys only when
`compact` changes, which it never does: every key ever shown stayed alive, several per tick
(hundreds of MB over a long watch). This footer drops the watchers of the keys a rebuild
replaced.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

from tui.textual_internals import NODE_CLOSE_FLAGS, REACTIVE_WATCHERS


class Footer(TextualFooter):
    """Textual's Footer that lets go of the keys each rebuild replaces."""

    async def recompose(self) -> None:
        await super().recompose()
        self.drop_closed_watchers()

    def drop_closed_watchers(self) -> None:
        """Forget reactive watchers registered by nodes that have been removed."""
        watchers = getattr(self, REACTIVE_WATCHERS, None)
        for entries in (watchers or {}).values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not any(getattr(node, flag, False) for flag in NODE_CLOSE_FLAGS)]
