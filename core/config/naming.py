"""How a configured identity becomes a runtime session name (Gas City's SessionNameFor): the
config's `workspace.session_template`, else the identity made runtime-safe. Config validation
checks named sessions with it, so it lives with the config; `core.identity` offers it with the
other naming rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.formats.goparse import GoParseError, atoi, atoi_ignoring_error

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


def resolve_pool_slot(name: str, template: str) -> int:
    """resolvePoolSlot: the N of `<template>-N` as strconv.Atoi reads it (a sign allowed, so
    `worker-+3` is slot 3 and `worker--3` is -3); else, for the legacy `<template>-gc-N`, what
    Atoi leaves of N with its error dropped (0 for `gc-x`, the int64 limit for a value out of
    range); 0 otherwise. Callers that want a slot ask for one above 0."""
    prefix = template + "-"
    if not name.startswith(prefix):
        return 0
    tail = name[len(prefix):]
    try:
        return atoi(tail)
    except GoParseError:
        pass
    if tail.startswith("gc-"):
        return atoi_ignoring_error(tail[3:])
    return 0
