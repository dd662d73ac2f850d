"""How a configured identity becomes a runtime session name (Gas City's SessionNameFor): the
config's `workspace.session_template`, else the identity made runtime-safe. Config validation
checks named sessions with it, so it lives with the config; `core.identity` offers it with the
other naming rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config.city_config import City


def sanitize(name: str) -> str:
    """Runtime-safe form of an identity: `/` -> `--`, `.` -> `__`."""
    return name.replace("/", "--").replace(".", "__")


_TPL_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def session_name_for(city: City | None, identity: str) -> str:
    """SessionNameFor: the runtime name of a named identity (workspace.session_template, else
    the sanitized identity)."""
    tpl = city.workspace.session_template if city is not None else ""
    if tpl == "":  # SessionNameFor renders any non-empty template, even one of blanks
        return sanitize(identity)
    dir_, _, base = identity.rpartition("/")
    fields = {"City": city.name if city else "", "Agent": sanitize(identity), "Dir": dir_, "Name": base}
    return _TPL_FIELD.sub(lambda m: fields.get(m.group(1), ""), tpl)
