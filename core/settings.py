"""citywatch's own settings file: the app's preferences and the loop-alarm thresholds.

    # ~/.config/citywatch/citywatch.toml  ($XDG_CONFIG_HOME honoured), or --settings FILE
    [citywatch]
    theme = "textual-dark"       # kept here whenever the theme is changed in the app
    bell = false                 # ring the terminal bell when a new loop alarm is raised
    export_dir = "~/citywatch-exports"   # where `E` offers to save a scenario (default: this)

    [citywatch.keymap]           # binding id = keys (the ids are listed in `?` help)
    step = "n"
    back = "left_square_bracket,b"

    [citywatch.alarms]           # see core/attach/settings.py
    wakes_per_hour = 6

Every key is optional. A bad file is an error naming the file, the line and the field. The app
writes only `citywatch.theme`, and only when the operator changes the theme; the rest of the
file (comments included) is kept as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import tomli

from core.alarms import AlarmThresholds
from core.attach.settings import default_settings_path, load_thresholds
from core.config.errors import ConfigError
from core.config.locate import locate, syntax_position

APP_KEYS = {"theme", "bell", "export_dir", "keymap", "alarms"}
DEFAULT_EXPORT_DIR = os.path.join("~", "citywatch-exports")


@dataclass(frozen=True)
class Settings:
    """The app's settings: where they came from, the theme, the alarm bell, the export folder,
    the keymap (binding id -> keys) and the alarm thresholds."""

    path: str = ""  # the file read or to write the theme to ("" = none)
    theme: str = ""
    bell: bool = False
    export_dir: str = DEFAULT_EXPORT_DIR
    keymap: dict[str, str] = field(default_factory=dict)
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)


def _read(path: str) -> tuple[dict[str, Any], str]:
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        raise ConfigError(path, f"cannot read the settings file ({e.strerror or e})") from None
    try:
        return tomli.loads(text), text
    except tomli.TOMLDecodeError as e:
        line, col = syntax_position(str(e))
        raise ConfigError(path, str(e).split(" (at ")[0], line=line, col=col) from None


def load_settings(path: str | None = None, alarm_overrides: Sequence[str] = ()) -> Settings:
    """The settings in `path` (None: the default file, if it exists), with `alarm_overrides`
    ("key=value") on top. Raises ConfigError, located, on anything invalid."""
    explicit = path is not None
    path = os.path.expanduser(path or default_settings_path())
    thresholds = load_thresholds(path if explicit or os.path.exists(path) else None, list(alarm_overrides))
    if not (explicit or os.path.exists(path)):
        return Settings(path=path, thresholds=thresholds)
    data, text = _read(path)
    cw = data.get("citywatch", {})
    if not isinstance(cw, dict):
        raise ConfigError(path, "must be a table", field="citywatch", line=locate(text, "citywatch"))
    for key in cw:
        if key not in APP_KEYS:
            from core.config.schema import suggest

            raise ConfigError(path, f"unknown setting{suggest(key, APP_KEYS)}", field=f"citywatch.{key}",
                              line=locate(text, f"citywatch.{key}"))

    def expect(key: str, kind: type, what: str) -> Any:
        v = cw.get(key)
        if v is not None and (not isinstance(v, kind) or (kind is int and isinstance(v, bool))):
            raise ConfigError(path, f"must be {what}, got {v!r}", field=f"citywatch.{key}",
                              line=locate(text, f"citywatch.{key}"))
        return v

    theme = expect("theme", str, "a theme name") or ""
    bell = bool(expect("bell", bool, "true or false"))
    export_dir = expect("export_dir", str, "a folder path") or DEFAULT_EXPORT_DIR
    keymap_table = expect("keymap", dict, "a table of binding id = keys") or {}
    keymap = {}
    for bid, keys in keymap_table.items():
        if not isinstance(keys, str) or not keys.strip():
            fp = f"citywatch.keymap.{bid}"
            raise ConfigError(path, f"must be keys such as \"n\" or \"ctrl+n,f5\", got {keys!r}", field=fp,
                              line=locate(text, fp))
        keymap[bid] = keys.strip()
    return Settings(path, theme, bell, export_dir, keymap, thresholds)


def save_theme(path: str, theme: str) -> None:
    """Keep `theme` as `citywatch.theme` in the settings file at `path`, creating the file (and
    its folder) when there is none and leaving everything else in it as it was."""
    import tomlkit

    path = os.path.expanduser(path)
    doc = tomlkit.document()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            doc = tomlkit.parse(f.read())
    cw = doc.get("citywatch")
    if cw is None:
        cw = tomlkit.table()
        doc["citywatch"] = cw
    cw["theme"] = theme
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(tomlkit.dumps(doc))
    os.replace(tmp, path)
