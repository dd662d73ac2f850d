"""What Gas City's TOML decoder makes of a whole parsed file: values of the wrong type (fatal, as
its decoder fails) and keys no struct field takes (`toml.MetaData.Undecoded`, which Gas City's
CheckUndecodedKeys turns into unknown-field warnings with a "did you mean" hint).

A file is walked against its struct in gc_structs (City, PackConfig, Agent, SiteBinding).
Findings carry both citywatch's field path (`agent[2].foo`, to locate the line) and Gas City's
dotted key (`agent.foo`, as its messages print it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.config import schema as S
from core.config.gc_structs import STRUCTS, SUGGESTION_STRUCTS

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")

# Keys Gas City reports with a release-wave notice instead of "unknown field"
# (specializedUndecodedWarning): never fatal, even in pack.toml.
_SPECIALIZED = {
    "scope": "keep setting scope per agent in agents/<name>/agent.toml",
    "install_agent_hooks": "keep setting install_agent_hooks per agent in agents/<name>/agent.toml",
}

# String fields that hold a Go duration: a wrong type there says so.
_DURATIONS: dict[str, frozenset[str]] = {
    struct: frozenset(k for k, kind in spec.items() if kind == S.DUR)
    for struct, spec in (("Agent", S.AGENT_FIELDS), ("AgentPatch", S.AGENT_PATCH_FIELDS),
                         ("AgentOverride", S.AGENT_OVERRIDE_FIELDS), ("PoolOverride", S.POOL_OVERRIDE_FIELDS),
                         ("DaemonConfig", S.DAEMON_FIELDS), ("SessionConfig", S.SESSION_FIELDS),
                         ("ChatSessionsConfig", S.CHAT_FIELDS), ("SessionSleepConfig", S.SLEEP_FIELDS))
}


@dataclass(frozen=True)
class Finding:
    """One undecoded key: where it is, how Gas City names it, what it says, and whether Gas City
    treats it as an unknown field (fatal in pack.toml) rather than a migration notice."""

    field: str
    key: str
    message: str
    fatal: bool = True


def gc_key(parts: list[str]) -> str:
    """A dotted TOML key as Gas City's decoder prints it: parts that are not bare are quoted."""
    return ".".join(p if _BARE.match(p) else '"' + p.replace('"', '\\"') + '"' for p in parts)


@lru_cache(maxsize=1)
def known_keys() -> tuple[str, ...]:
    """Every key of the structs Gas City draws suggestions from, sorted (knownTOMLKeys)."""
    return tuple(sorted({k for s in SUGGESTION_STRUCTS for k in STRUCTS[s]}))


def suggestion(key: str) -> str:
    """Gas City's suggestKey: the first known key (sorted) within edit distance 2 of the last
    part of `key`, as ` (did you mean "x"?)`, or ""."""
    leaf = key.rsplit(".", 1)[-1]
    best, best_d = "", 3
    for k in known_keys():
        d = S.edit_distance(leaf, k, limit=3)
        if d < best_d:
            best, best_d = k, d
    return f' (did you mean "{best}"?)' if best and best != leaf else ""


def _message(key: str) -> tuple[str, bool]:
    section, _, leaf = key.partition(".")
    if section in ("agent_defaults", "agents") and leaf in _SPECIALIZED:
        return f'"{key}" is not supported in this release wave; {_SPECIALIZED[leaf]}', False
    return f'unknown field "{key}"{suggestion(key)}', True


def _join(fp: str, key: str) -> str:
    return f"{fp}.{key}" if fp else key


def _walk_unknown(value: Any, kind: str, fp: str, parts: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(field path, key parts) of every key `kind` does not decode, parents before children."""
    if kind in STRUCTS and isinstance(value, dict):
        fields = STRUCTS[kind]
        for k, v in value.items():
            sub_fp, sub_parts = _join(fp, k), parts + [k]
            if k in fields:
                yield from _walk_unknown(v, fields[k], sub_fp, sub_parts)
            else:
                yield from _all_keys(v, sub_fp, sub_parts)
    elif kind.startswith("[") and isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_unknown(v, kind[1:-1], f"{fp}[{i}]", parts)
    elif kind.startswith("{") and isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_unknown(v, kind[1:-1], _join(fp, k), parts + [k])


def _all_keys(value: Any, fp: str, parts: list[str]) -> Iterator[tuple[str, list[str]]]:
    """An undecoded key and, below it, every key it holds (the decoder lists them all)."""
    yield fp, parts
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _all_keys(v, _join(fp, k), parts + [k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, dict):
                for k, vv in v.items():
                    yield from _all_keys(vv, _join(f"{fp}[{i}]", k), parts + [k])


def undecoded(data: dict[str, Any], struct: str) -> list[Finding]:
    """Every key of `data` that Gas City's struct `struct` leaves undecoded, in file order."""
    out = []
    for fp, parts in _walk_unknown(data, struct, "", []):
        key = gc_key(parts)
        message, fatal = _message(key)
        out.append(Finding(fp, key, message, fatal))
    return out


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind.startswith("["):
        return isinstance(value, list)
    return isinstance(value, dict)  # a struct or a {T} table


def _expected(kind: str, struct: str, key: str) -> str:
    if kind == "string":
        return S.expected(S.DUR if key in _DURATIONS.get(struct, ()) else S.STR)
    if kind in ("int", "bool", "float"):
        return S.expected({"int": S.INT, "bool": S.BOOL, "float": "float"}[kind])
    if kind == "[string]":
        return S.expected(S.STRLIST)
    if kind.startswith("[") and kind[1:-1] in STRUCTS:
        return f"{S.expected(S.TABLES)} ([[{key}]])"
    if kind.startswith("["):
        return S.expected(S.LIST)
    if kind == "{string}":
        return S.expected(S.STRMAP)
    return S.expected(S.TABLE)


def type_error(data: dict[str, Any], struct: str) -> tuple[str, str] | None:
    """The first value (in file order) whose type Gas City's decoder refuses: (field path,
    message), or None."""
    return _first_type_error(data, struct, "", [])


def _first_type_error(value: Any, kind: str, fp: str, parts: list[str], parent: str = "",
                      key: str = "") -> tuple[str, str] | None:
    if not _type_ok(kind, value):
        hint_key = gc_key(parts)
        return fp, f"{_expected(kind, parent, key if not kind.startswith('[') else hint_key)}, got " \
                   f"{S.type_name(value)} {S.short(value)}"
    if kind in STRUCTS:
        fields = STRUCTS[kind]
        for k, v in value.items():
            if k in fields:
                found = _first_type_error(v, fields[k], _join(fp, k), parts + [k], kind, k)
                if found:
                    return found
    elif kind.startswith("["):
        for i, v in enumerate(value):
            found = _first_type_error(v, kind[1:-1], f"{fp}[{i}]", parts, parent, key)
            if found:
                return found
    elif kind.startswith("{"):
        for k, v in value.items():
            found = _first_type_error(v, kind[1:-1], _join(fp, k), parts + [k], parent, "")
            if found:
                return found
    return None
