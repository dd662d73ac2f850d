"""Byte-exact JSON the way Gas City's Go controller writes a trace record.

The batch CRC covers the raw bytes of each line, so a writer that wants its segments to verify
under `gc trace show` (and to look like a real city's) must produce what Go's `encoding/json`
produces: struct fields in declaration order with `omitempty`, map keys sorted, `<`, `>`, `&`,
U+2028 and U+2029 escaped, floats in Go's shortest form, and times in RFC 3339 with trimmed
nanoseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# SessionReconcilerTraceRecord's JSON fields in declaration order; True marks the fields
# written even when empty (no omitempty).
RECORD_FIELDS: tuple[tuple[str, bool], ...] = (
    ("trace_schema_version", True), ("seq", True), ("trace_id", True), ("tick_id", True),
    ("record_id", True), ("parent_record_id", False), ("caused_by_record_ids", False),
    ("record_type", True), ("trace_mode", False), ("trace_source", False), ("site_code", False),
    ("ts", True), ("cycle_offset_ms", False), ("city_path", False), ("config_revision", False),
    ("template", False), ("session_bead_id", False), ("session_name", False), ("alias", False),
    ("provider", False), ("work_dir", False), ("session_key", False), ("operation_id", False),
    ("controller_instance_id", False), ("controller_pid", False), ("controller_started_at", False),
    ("host", False), ("tick_trigger", False), ("trigger_detail", False), ("gc_version", False),
    ("gc_commit", False), ("build_date", False), ("vcs_dirty", False), ("code_fingerprint", False),
    ("reason_code", False), ("outcome_code", False), ("completion_status", False),
    ("completeness_status", False), ("evaluation_status", False), ("durability_tier", False),
    ("duration_ms", False), ("record_count", False), ("seq_start", False), ("seq_end", False),
    ("first_seq", False), ("last_seq", False), ("batch_crc32", False), ("dropped_record_count", False),
    ("dropped_batch_count", False), ("drop_reason_counts", False), ("active_template_count", False),
    ("detailed_template_count", False), ("templates_touched", False), ("decision_counts", False),
    ("operation_counts", False), ("mutation_counts", False), ("reason_counts", False),
    ("outcome_counts", False), ("auto_arms_triggered", False), ("demand_summary", False),
    ("dependency_blocked", False), ("missing_template", False), ("fields", False),
)
RECORD_FIELD_NAMES = frozenset(name for name, _ in RECORD_FIELDS)

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class GoJSONError(ValueError):
    """A value Go's encoder would refuse (NaN, infinity) or a record with an unknown field."""


def go_string(s: str) -> str:
    """`s` as a JSON string the way Go's encoding/json writes it (HTML-safe escapes)."""
    text = json.dumps(s, ensure_ascii=False)
    if any(c in text for c in _ESCAPES):
        text = "".join(_ESCAPES.get(c, c) for c in text)
    return text


def go_float(f: float) -> str:
    """`f` as Go's encoding/json formats a float64; raises GoJSONError for NaN and infinities."""
    if f != f or f in (float("inf"), float("-inf")):
        raise GoJSONError(f"Go's encoder refuses the float {f!r}")
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    a = abs(f)
    if a < 1e-6 or a >= 1e21:
        text = repr(f)  # shortest digits, exponent form, as Go's 'e' with precision -1
        mant, _, exp = text.partition("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        if sign == "+" and len(digits) < 2:
            digits = digits.rjust(2, "0")
        return f"{mant}e{sign}{digits}"
    text = format(Decimal(repr(f)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_ts_ns(ns: int) -> str:
    """RFC 3339 in UTC with trailing zeros of the nanoseconds trimmed (Go's RFC3339Nano)."""
    sec, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def parse_ts_ns(text: str) -> int | None:
    """Nanoseconds since the epoch for an RFC 3339 string with any offset; None if unparseable."""
    if not isinstance(text, str) or len(text) < 20:
        return None
    s = text.strip()
    frac_ns = 0
    head, dot, rest = s.partition(".")
    if dot:
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        if not digits:
            return None
        frac_ns = int(digits[:9].ljust(9, "0"))
        tz = rest[i:]
    else:
        head, tz = s[:19], s[19:]
    if tz in ("Z", "z"):
        tz = "+00:00"
    try:
        dt = datetime.fromisoformat(head + tz)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


def datetime_to_ns(dt: datetime) -> int:
    """Nanoseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    whole = int(dt.replace(microsecond=0).timestamp())
    return whole * 1_000_000_000 + dt.microsecond * 1000


def encode_value(v: Any) -> str:
    """One JSON value as Go encodes `any`: maps with sorted keys, no spaces."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_string(v)
    if isinstance(v, datetime):
        return go_string(format_ts_ns(datetime_to_ns(v)))
    if isinstance(v, Mapping):
        items = sorted((str(k), x) for k, x in v.items())
        return "{" + ",".join(go_string(k) + ":" + encode_value(x) for k, x in items) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(encode_value(x) for x in v) + "]"
    raise GoJSONError(f"cannot encode a {type(v).__name__} in a trace record")


def _empty(v: Any) -> bool:
    """Go's omitempty: false, 0, "", nil, and empty slices and maps."""
    if v is None or v is False or v == "":
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == 0
    return isinstance(v, (list, tuple, Mapping)) and len(v) == 0


_ZERO = {"trace_schema_version": 0, "seq": 0, "ts": "0001-01-01T00:00:00Z"}


def encode_record(rec: Mapping[str, Any]) -> bytes:
    """One trace record line (without its newline), byte-identical to Go's json.Marshal of the
    same SessionReconcilerTraceRecord. Raises GoJSONError on a key the record type lacks."""
    extra = set(rec) - RECORD_FIELD_NAMES
    if extra:
        raise GoJSONError(f"trace records have no field {sorted(extra)[0]!r}")
    parts = []
    for name, always in RECORD_FIELDS:
        v = rec.get(name)
        if not always and _empty(v):
            continue
        if v is None:
            v = _ZERO.get(name, "")
        parts.append(go_string(name) + ":" + encode_value(v))
    return ("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass")
