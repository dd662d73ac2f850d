"""citywatch's own ceiling on a config (see core.guards.limits): checked after Gas City's validators."""

from __future__ import annotations

from core.config.city_config import City
from core.config.errors import ConfigError
from core.guards.limits import MAX_TEMPLATE_SESSIONS


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
