"""Invariants checked after every scenario step; a breach is a model bug, reported loudly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.world import beads as B

if TYPE_CHECKING:
    from core.model import Model
    from core.outcome import Outcome


def check_all(model: "Model", out: "Outcome") -> list[str]:
    errs: list[str] = []
    store, rt = model.world.store, model.world.runtime
    aliases: dict[str, str] = {}
    for b in store.open_sessions():
        if b.state not in B.KNOWN_STATES and b.state != "archived":
            pass  # unknown states are legal input; the reconciler skips them
        if b.alias:
            if b.alias in aliases:
                errs.append(f"alias {b.alias!r} held by two open beads: {aliases[b.alias]} and {b.id}")
            aliases[b.alias] = b.id
    return errs
