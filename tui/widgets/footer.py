"""The key footer, without the memory Textual's Footer keeps, rebuilt only when what it shows
changes.

Textual's Footer rebuilds its keys whenever the screen's bindings change (here, whenever the
Sessions cursor moves, which is every tick of a running model). Each new key is data-bound to
the footer's `compact` reactive, and the footer's watcher list forgets closed keys only when
`compact` changes, which it never does: every key ever shown stayed alive, several per tick
(hundreds of MB over a long watch). This footer drops the watchers of the keys a rebuild
replaced. It also rebuilds only when the keys it would show (or whether each is enabled)
changed: a rebuild mounts a widget per key and lays the screen out again, which a cursor move
or a time-travel step (the same keys) must not cost.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

from tui.textual_internals import NODE_CLOSE_FLAGS, REACTIVE_WATCHERS


class Footer(TextualFooter):
    """Textual's Footer that lets go of the keys each rebuild replaces, and rebuilds only when
    the keys it shows change."""

    _shown: tuple | None = None  # what the last rebuild showed

    def bindings_changed(self, screen) -> None:
        if self.is_attached and screen is self.screen and self._shown is not None and self._shown == shown_keys(screen):
            return  # the same keys, each as enabled as before: nothing to rebuild
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        self._shown = shown_keys(self.screen) if self.is_attached else None
        await super().recompose()
        self.drop_closed_watchers()

    def drop_closed_watchers(self) -> None:
        """Forget reactive watchers registered by nodes that have been removed."""
        watchers = getattr(self, REACTIVE_WATCHERS, None)
        for entries in (watchers or {}).values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not any(getattr(node, flag, False) for flag in NODE_CLOSE_FLAGS)]


def shown_keys(screen) -> tuple:
    """What a footer on `screen` shows: each shown binding's key, action, label and whether it
    is enabled, in order."""
    return tuple((key, b.binding.action, b.binding.description, b.enabled, b.tooltip)
                 for key, b in screen.active_bindings.items() if b.binding.show)
