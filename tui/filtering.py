"""The `/` filter: a case-insensitive substring; a leading `!` keeps the rows that do not match."""

from __future__ import annotations

from collections.abc import Iterable


def matches(query: str, texts: Iterable[object]) -> bool:
    """Does a row whose cells are `texts` pass the filter `query` ("" passes everything)?"""
    q = query.strip()
    if not q:
        return True
    invert = q.startswith("!")
    if invert:
        q = q[1:].strip()
        if not q:
            return True
    hay = " ".join(str(t) for t in texts).lower()
    found = q.lower() in hay
    return not found if invert else found
