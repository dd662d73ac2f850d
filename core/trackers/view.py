"""Per-session tracker state, as the state JSON and the Trackers panel show it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.model import Model


def tracker_rows(model: "Model") -> list[dict[str, Any]]:
    out = []
    for b in model.world.store.open_sessions():
        out.append({"bead_id": b.id, "session_name": b.session_name, "idle": {}, "max_age": {}, "defer": {},
                    "wake_failures": {}, "circuit": {}})
    return out
