"""What the model did in a step, in the state JSON's vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTION_KINDS = ("create_bead", "start", "stop", "drain", "close", "adopt", "claim_alias", "defer_alias",
                "normalize", "sleep", "wake", "restart", "quarantine")
# The kinds the model reports. The contract's vocabulary also has `wake`, but Gas City wakes a
# session by starting it, so a wake is reported as a `start` (with the wake reason) and a
# `session.woke` event: an expectation on `wake` could never fail and is refused at load.
EMITTED_KINDS = tuple(k for k in ACTION_KINDS if k != "wake")


@dataclass
class Action:
    """One thing a tick did to a session or bead (kind, target, reason), as the outcome reports it."""
    kind: str
    bead_id: str = ""
    session_name: str = ""
    reason: str = ""
    detail: str = ""
    template: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = {"kind": self.kind, "bead_id": self.bead_id, "session_name": self.session_name, "reason": self.reason}
        if self.detail:
            d["detail"] = self.detail
        if self.template:
            d["template"] = self.template
        if self.extra:
            d.update(self.extra)
        return d


@dataclass
class Event:
    """A Gas City event (events.jsonl vocabulary), e.g. session.crashed."""

    type: str
    subject: str = ""
    message: str = ""
    bead_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "subject": self.subject, "message": self.message, "bead_id": self.bead_id}
