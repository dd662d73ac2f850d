"""Bead-ID prefixes derived from city and rig names (Gas City's DeriveBeadsPrefix)."""

from __future__ import annotations

import re


def _split_compound(word: str) -> list[str]:
    # A new part starts at an upper-case letter that follows a non-upper-case one.
    parts, start = [], 0
    for i in range(1, len(word)):
        if word[i].isupper() and not word[i - 1].isupper():
            parts.append(word[start:i])
            start = i
    parts.append(word[start:])
    return parts if len(parts) > 1 else [word]


def derive_beads_prefix(name: str) -> str:
    """Strip a -py/-go suffix; initials of the -/_ parts (or camelCase parts); a single short
    word as is; otherwise its first two letters. Always lower case."""
    for suffix in ("-py", "-go"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    parts = [p for p in re.split(r"[-_]", name) if p]
    if len(parts) == 1:
        parts = _split_compound(parts[0])
    if len(parts) >= 2:
        return "".join(p[0] for p in parts if p).lower()
    if len(name) <= 3:
        return name.lower()
    return name[:2].lower()
