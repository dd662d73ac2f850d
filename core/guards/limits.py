"""How much citywatch models: limits of its own, not Gas City's.

Gas City puts no ceiling on how many sessions an agent may ask for; a config or a scale_check
that asks for a million makes one modelled tick create a million beads. citywatch refuses what
no real city runs, with a located message, instead of running for hours.
"""

from __future__ import annotations

MAX_TEMPLATE_SESSIONS = 10_000  # sessions one template may ask for (min_active_sessions, a scale_check)
