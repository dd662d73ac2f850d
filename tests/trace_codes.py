"""Shared check: every code a trace record carries is one Gas City defines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.tracefile.vocab import (
    COMPLETENESS_STATUSES,
    EVALUATION_STATUSES,
    TICK_TRIGGERS,
    TRACE_MODES,
    TRACE_SOURCES,
    unknown_codes,
)

_FIELDS = (("evaluation_status", EVALUATION_STATUSES), ("completeness_status", COMPLETENESS_STATUSES),
           ("tick_trigger", TICK_TRIGGERS), ("trace_mode", TRACE_MODES), ("trace_source", TRACE_SOURCES))


def code_problems(states: Iterable[dict[str, Any]]) -> list[str]:
    """One line per trace record field (record type, site, reason, outcome, and the enumerated
    status fields) whose value is outside Gas City's vocabulary, over every state's trace."""
    out: list[str] = []
    for st in states:
        for rec in st.get("trace", []):
            bad = unknown_codes(rec) + [(k, rec[k]) for k, allowed in _FIELDS if rec.get(k) and rec[k] not in allowed]
            out += [f"step {st.get('step')}: {rec.get('record_type')} {rec.get('site_code')}: {k} {v!r}" for k, v in bad]
    return out
