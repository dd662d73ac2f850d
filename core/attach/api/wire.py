"""Decoding what a supervisor sends (its JSON is parsed by core.guards.safeio.load_json): the
typed fields of its objects read defensively.

A supervisor is a program on another machine: a reply may be damaged, hostile or simply newer
than this schema. Nothing here raises on a value of the wrong type; `Fields` reads a value as
its type or as the empty value, and notes the field path it could not read so the caller can
show one warning for the whole reply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.formats.timefmt import parse_time


@dataclass
class Fields:
    """Reads one object's fields by type; `problems` collects the paths of the fields that held
    a value of another type (read as empty)."""

    where: str  # the object's path in the reply, e.g. "items[3]"
    raw: Any
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.raw, dict):
            self.problems.append(f"{self.where}: not an object")
            self.raw = {}

    def _get(self, key: str, types: tuple[type, ...], default: Any) -> Any:
        v = self.raw.get(key)
        if v is None:
            return default
        if isinstance(v, bool) and bool not in types:
            self.problems.append(f"{self.where}.{key}")
            return default
        if not isinstance(v, types):
            self.problems.append(f"{self.where}.{key}")
            return default
        return v

    def text(self, key: str) -> str:
        return self._get(key, (str,), "")

    def flag(self, key: str) -> bool:
        return self._get(key, (bool,), False)

    def opt_flag(self, key: str) -> bool | None:
        return self._get(key, (bool,), None)

    def integer(self, key: str) -> int | None:
        return self._get(key, (int,), None)

    def number(self, key: str) -> float | None:
        v = self._get(key, (int, float), None)
        return float(v) if v is not None and math.isfinite(v) else None

    def time(self, key: str) -> datetime | None:
        text = self.text(key)
        if not text:
            return None
        t = parse_time(text)
        if t is None:
            self.problems.append(f"{self.where}.{key}")
        return t

    def texts(self, key: str) -> tuple[str, ...]:
        v = self._get(key, (list,), [])
        if any(not isinstance(x, str) for x in v):
            self.problems.append(f"{self.where}.{key}")
        return tuple(x for x in v if isinstance(x, str))

    def text_map(self, key: str) -> dict[str, str]:
        v = self._get(key, (dict,), {})
        if any(not isinstance(x, str) for x in v.values()):
            self.problems.append(f"{self.where}.{key}")
        return {str(k): x for k, x in v.items() if isinstance(x, str)}


def problems_text(problems: list[str], limit: int = 5) -> str:
    """`a.b, c.d, ... (N in all)`: the first few field paths of a reply that could not be read."""
    head = ", ".join(problems[:limit])
    return head + (f", ... ({len(problems)} in all)" if len(problems) > limit else "")
