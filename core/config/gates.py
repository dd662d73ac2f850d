"""What `gc start` and a controller reload refuse in a city that loaded, and what they only warn
about (cmd_start.go and tryReloadConfig / the city runtime's reload in Gas City).

- Strict mode (the default; `--no-strict` turns it off): every load warning except migration
  guidance refuses the config (splitStrictConfigWarnings; see ConfigWarning.strict_fatal).
- `gc start`: ValidateRigs, ValidateServices (with the runtime support check), ValidateWebhooks
  and ValidateAgents refuse; ReservedPrefixWarnings warn.
- A reload: ValidateAgents, ValidateServices and ValidateWebhooks refuse (the last good config
  stays); ValidateRigs and ReservedPrefixWarnings only warn, prefixed "config reload: ".

Gas City stops at the first refusal; citywatch reports every reason at once, in Gas City's order
(each validator contributes its first error, as `gc config show` collects them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from core.config.city_config import City, ConfigWarning
from core.config.city_limits import (
    check_city_limits,  # citywatch's own ceiling, after Gas City's checks
)
from core.config.errors import ConfigError
from core.config.service_checks import validate_services, validate_webhooks
from core.config.validate import reserved_prefix_warnings, validate_agents, validate_rigs

STRICT_HINT = "use --no-strict to disable strict checking"


def strict_refusals(city: City) -> list[ConfigError]:
    """One located error per load warning strict mode treats as fatal."""
    return [ConfigError(w.file, f"strict: {w.message}", field=w.field, line=w.line)
            for w in city.warnings if w.strict_fatal]


def _first_errors(city: City, checks: tuple[Callable[[City], None], ...]) -> list[ConfigError]:
    out = []
    for check in checks:
        try:
            check(city)
        except ConfigError as e:
            out.append(e)
    return out


def gate_city(city: City, *, gate: str, strict: bool = True) -> list[ConfigError]:
    """Every reason `gc start` (`gate="start"`) or a reload (`gate="reload"`) refuses `city`;
    empty when it would run it. The gate's warnings are added to `city.warnings`."""
    reasons = strict_refusals(city) if strict else []
    if gate == "start":
        reasons += _first_errors(city, (validate_rigs, validate_services, validate_webhooks, validate_agents,
                                        check_city_limits))
        city.warnings = list(city.warnings) + reserved_prefix_warnings(city)
        return reasons
    if gate != "reload":
        raise ValueError(f"unknown gate {gate!r}")
    reasons += _first_errors(city, (validate_agents, validate_services, validate_webhooks, check_city_limits))
    notes: list[ConfigWarning] = []
    try:
        validate_rigs(city)
    except ConfigError as e:
        notes.append(ConfigWarning(e.file, f"config reload: {e.message}", e.field, e.line))
    notes += [replace(w, message=f"config reload: {w.message}") for w in reserved_prefix_warnings(city)]
    city.warnings = list(city.warnings) + notes
    return reasons
