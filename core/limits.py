"""How much citywatch models: limits of its own, not Gas City's.

Gas City puts no ceiling on how many sessions an agent may ask for; a config or a scale_check
that asks for a million makes one modelled tick create a million beads. citywatch refuses what
no real city runs, with a located message, instead of running for hours.
"""

from __future__ import annotations

from core.config.errors import ConfigError
from core.config.model import City

MAX_TEMPLATE_SESSIONS = 10_000  # sessions one template may ask for (min_active_sessions, a scale_check)


def check_city_limits(city: City) -> None:
    """Raise ConfigError, located at the field, for a template whose min_active_sessions asks
    for more sessions than citywatch models."""
    for i, a in enumerate(city.agents):
        n = a.min_active_sessions
        if isinstance(n, int) and not isinstance(n, bool) and n > MAX_TEMPLATE_SESSIONS:
            field = f"{a.origin.table or f'agent[{i}]'}.min_active_sessions"
            line = city.line_finder(a.origin.file, field) if city.line_finder else None
            raise ConfigError(a.origin.file, f'agent "{a.qualified_name}": min_active_sessions ({n}) is more '
                                             f"sessions than citywatch models (at most {MAX_TEMPLATE_SESSIONS})",
                              field=field, line=line)
