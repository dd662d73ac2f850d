"""Everything the operator's screen shows for one recorded frame, computed in one place.

A `Board` is built from a frame's detached model, off the UI thread when a tick runs on a
worker, and cached on the frame so travelling back to it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.views.plan import PlanSummary, SessionRow, session_rows, summarize
from core.views.roster import AgentRow, agent_rows

if TYPE_CHECKING:
    from core.model_view import ModelView
    from core.trackers.view import TrackerRow
    from core.views.state_json import AliasDeferral


class FrameView(Protocol):
    """What the board reads of a recorded frame (core.session.history.Frame): its detached model and
    the cache the board keeps on it."""

    @property
    def _cache(self) -> dict[str, Any]: ...

    def model(self) -> ModelView: ...


@dataclass(frozen=True)
class Board:
    """Everything the board shows at one moment: agent and session rows, the plan summary,
    alias deferrals, tracker rows and config warnings."""
    agents: list[AgentRow]
    sessions: list[SessionRow]
    summary: PlanSummary
    deferrals: list[AliasDeferral]
    trackers: list[TrackerRow]
    warnings: list[str]  # config notes: unresolved imports, unstamped rig defaults, loader warnings


def board(frame: FrameView) -> Board:
    """The board of `frame` (built once per frame)."""
    cached = frame._cache.get("board")
    if cached is not None:
        return cached
    from core.views.confignotes import config_notes
    from core.views.state_json import deferrals, trackers

    m = frame.model()
    rows = session_rows(m)
    b = Board(agent_rows(m), rows, summarize(m, rows), deferrals(m), trackers(m), config_notes(m.city))
    frame._cache["board"] = b
    return b


def changes(frame: FrameView, previous: FrameView | None) -> frozenset[str]:
    """The keys of the Sessions rows that are new or different after `frame`'s step than after
    `previous` (none without a previous frame). Kept on the frame once computed."""
    cached = frame._cache.get("changes")
    if cached is not None:
        return cached
    if previous is None:
        out: frozenset[str] = frozenset()
    else:
        before = {r.key: r for r in board(previous).sessions}
        out = frozenset(r.key for r in board(frame).sessions if before.get(r.key) != r)
    frame._cache["changes"] = out
    return out
