"""citywatch's own settings file, for now only the loop-alarm thresholds.

    # ~/.config/citywatch/citywatch.toml  ($XDG_CONFIG_HOME honoured), or --settings FILE
    [citywatch.alarms]
    wakes_per_hour = 6            # session.woke events per identity in the last hour
    idle_spawns_per_hour = 3      # wakes of a template's pool sessions that claimed no work
    idle_spawn_grace = "5m"       # wakes younger than this are not judged yet
    alias_conflict_count = 5      # pool_alias_conflict_count at or above this
    alias_conflict_rises = 3      # ... or rising this many times while attached
    start_pending_timeout = "5m"  # start-pending/creating for longer than this
    churn_count = 2               # a session that died young after a wake this many times
    holds = true                  # every quarantined or circuit-open session is an alarm

Every key is optional; `--alarm KEY=VALUE` on the command line overrides the file. A bad file
is an error naming the file, the line and the field.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import tomli

from core.alarms import AlarmThresholds
from core.config.errors import ConfigError
from core.config.locate import locate, syntax_position
from core.formats.durations import DurationError, parse_duration
from core.guards.safeio import CONFIG_MAX_BYTES, read_regular

# settings key -> (AlarmThresholds field, kind)
ALARM_KEYS: dict[str, tuple[str, str]] = {
    "wakes_per_hour": ("wakes_per_hour", "count"),
    "idle_spawns_per_hour": ("idle_spawns_per_hour", "count"),
    "idle_spawn_grace": ("idle_spawn_grace_s", "duration"),
    "alias_conflict_count": ("alias_conflict_count", "count"),
    "alias_conflict_rises": ("alias_conflict_rises", "count"),
    "start_pending_timeout": ("start_pending_timeout_s", "duration"),
    "churn_count": ("churn_count", "count"),
    "holds": ("holds", "bool"),
}


def default_settings_path() -> str:
    """The citywatch settings file: $XDG_CONFIG_HOME (else ~/.config)/citywatch/citywatch.toml."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "citywatch", "citywatch.toml")


def _value(key: str, v: Any, where: str, text: str, fp: str) -> Any:
    kind = ALARM_KEYS[key][1]
    if kind == "bool":
        if not isinstance(v, bool):
            raise ConfigError(where, f"must be true or false, got {v!r}", field=fp, line=locate(text, fp))
        return v
    if kind == "count":
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(where, f"must be a whole number of at least 1, got {v!r}", field=fp, line=locate(text, fp))
        return v
    try:
        secs = parse_duration(v) if isinstance(v, str) else None
    except DurationError as e:
        raise ConfigError(where, str(e), field=fp, line=locate(text, fp)) from None
    if secs is None or secs <= 0:
        raise ConfigError(where, f'must be a positive duration such as "5m", got {v!r}', field=fp, line=locate(text, fp))
    return secs


def thresholds_from_table(table: Any, where: str, text: str = "") -> AlarmThresholds:
    """AlarmThresholds from a [citywatch.alarms] table, defaults for keys not given; raises
    ConfigError on a non-table, an unknown key or a bad value."""
    t = AlarmThresholds()
    if not isinstance(table, dict):
        raise ConfigError(where, "must be a table", field="citywatch.alarms", line=locate(text, "citywatch.alarms"))
    for key, v in table.items():
        fp = f"citywatch.alarms.{key}"
        if key not in ALARM_KEYS:
            raise ConfigError(where, f"unknown alarm setting (known: {', '.join(sorted(ALARM_KEYS))})", field=fp,
                              line=locate(text, fp))
        t = replace(t, **{ALARM_KEYS[key][0]: _value(key, v, where, text, fp)})
    return t


def load_thresholds(path: str | None, overrides: Sequence[str] = ()) -> AlarmThresholds:
    """Thresholds from `path` (None: the default settings file if it exists), then `overrides`
    ("key=value" strings). Raises ConfigError, located, on anything invalid."""
    explicit = path is not None
    path = path or default_settings_path()
    t = AlarmThresholds()
    if explicit or os.path.exists(path):
        try:
            raw = read_regular(path, CONFIG_MAX_BYTES)
        except OSError as e:
            raise ConfigError(path, f"cannot read the settings file ({e.strerror or e})") from None
        text = raw.decode("utf-8", "replace")
        try:
            data = tomli.loads(text)
        except RecursionError:
            raise ConfigError(path, "nested too deeply", line=1, col=1) from None
        except tomli.TOMLDecodeError as e:
            line, col = syntax_position(str(e))
            raise ConfigError(path, str(e).split(" (at ")[0], line=line, col=col) from None
        cw = data.get("citywatch", {})
        if not isinstance(cw, dict):
            raise ConfigError(path, "must be a table", field="citywatch", line=locate(text, "citywatch"))
        if "alarms" in cw:
            t = thresholds_from_table(cw["alarms"], path, text)
    for item in overrides:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in ALARM_KEYS:
            raise ConfigError("--alarm", f"expected KEY=VALUE with KEY one of {', '.join(sorted(ALARM_KEYS))}, "
                              f"got {item!r}")
        try:
            parsed: Any = tomli.loads(f"v = {value.strip()}")["v"]
        except tomli.TOMLDecodeError:
            parsed = value.strip()
        t = replace(t, **{ALARM_KEYS[key][0]: _value(key, parsed, "--alarm", "", key)})
    return t
