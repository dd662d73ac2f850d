"""The conversation key a fresh session starts under."""

from __future__ import annotations

import hashlib
from datetime import datetime

from core.formats.timefmt import format_time


def fresh_session_key(bead_id: str, now: datetime) -> str:
    """A new conversation key (Gas City generates a random UUID; the model derives one from the
    bead and the time, so a run replays identically)."""
    digest = hashlib.sha256(f"{bead_id}|{format_time(now)}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
