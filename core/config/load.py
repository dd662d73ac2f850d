"""Load a city as `gc` does (see compose.py for the pipeline).

Loading and validating are two steps, as in Gas City: `load_city` raises ConfigError only for
what Gas City's loader refuses; `validate.validate_city` applies ValidateAgents/ValidateRigs.
Unknown city.toml keys are warnings; unknown pack.toml keys are errors; agent.toml keys are not
checked. A remote (git) import is recorded as unresolved and everything else still loads.
"""

from __future__ import annotations

import os
from typing import Any

from core.config.city_config import City
from core.config.compose import Composer
from core.config.errors import ConfigError
from core.config.packs import PACK_FILE
from core.config.reader import Reader
from core.config.tables import is_remote_source

__all__ = ["load_city", "load_city_from_table", "load_city_text", "is_remote_source", "PACK_FILE", "ConfigError"]


def _city_file(path: str) -> str:
    if os.path.isdir(path):
        path = os.path.join(path, "city.toml")
    return os.path.abspath(path)


def load_city(path: str, packs_dir: str | None = None) -> City:
    """Load `path` (a city.toml, or a directory holding one). `packs_dir` is a directory of
    pack folders by name: a remote import whose source ends in `/<name>` resolves to
    `packs_dir/<name>` when that folder holds a pack.toml (Gas City seeds `core` and `bd` this
    way). Raises ConfigError naming file, line and field."""
    city_file = _city_file(path)
    rd = Reader()
    data = rd.read_toml(city_file, "config")
    return Composer(rd, os.path.dirname(city_file), city_file, packs_dir=_packs(packs_dir)).compose(data)


def load_city_from_table(data: dict[str, Any], root_dir: str, label: str, text: str | None = None,
                         locate_prefix: tuple[str, ...] = ("city",), packs_dir: str | None = None) -> City:
    """Load a city given as an already-parsed table (a scenario's inline `[city]`): paths resolve
    against `root_dir` as if city.toml lived there; `label` names the file in messages. An
    unknown key here is an error, not a warning: a scenario file lets no typo pass."""
    rd = Reader(strict_unknown=True)
    if text is not None:
        rd.texts[label] = text
        rd.locate_prefix[label] = locate_prefix
    composer = Composer(rd, os.path.abspath(root_dir), label, allow_root_pack=False, packs_dir=_packs(packs_dir),
                        site_bindings=False)
    return composer.compose(data)


def load_city_text(text: str, root_dir: str, label: str, packs_dir: str | None = None) -> City:
    """Load city.toml content held in memory (hot reload of an unsaved buffer, tests)."""
    rd = Reader()
    data = rd.parse_text(label, text)
    return Composer(rd, os.path.abspath(root_dir), label, packs_dir=_packs(packs_dir)).compose(data)


def _packs(packs_dir: str | None) -> str | None:
    return os.path.abspath(packs_dir) if packs_dir else None
