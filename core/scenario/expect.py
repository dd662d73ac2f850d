"""A scenario's [[expect]] blocks: the keys each may carry with the type of every value (checked
when the file loads, so `pool_desired = { w = "1" }` is refused with its line instead of failing
as "want 1, got 1"), and their evaluation against a state of the run.

The contract's keys keep their meaning (scenario-format.md); the rest are the extensions listed
in docs/scenario-extensions.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.actions import EMITTED_KINDS
from core.tracefile.vocab import unknown_codes

# ---------------------------------------------------------------------------- schema

INT, BOOL, STR, LIST_STR, TABLE_INT, TABLE_BOOL, TABLE_STR, TABLE_SCALAR, TABLE_FIELD = (
    "int", "bool", "str", "list_str", "table_int", "table_bool", "table_str", "table_scalar", "table_field")

_WORDS = {INT: "an integer", BOOL: "true or false", STR: "a string", LIST_STR: "an array of strings",
          TABLE_INT: "a table of integers", TABLE_BOOL: "a table of true/false values",
          TABLE_STR: "a table of strings", TABLE_SCALAR: "a table of strings, integers or booleans",
          TABLE_FIELD: "a table of strings, integers, booleans or arrays of strings"}


@dataclass(frozen=True)
class Sub:
    """The schema of an array of tables ([[expect.X]]): its keys and their kinds; `one_of` names
    keys of which at least one must be given (how the entry selects what it checks)."""

    keys: dict[str, str]
    one_of: tuple[str, ...] = ()


_ACTION = {"kind": STR, "bead": STR, "reason": STR, "session_name": STR, "template": STR, "detail": STR}
_TRACE = {"record_type": STR, "site_code": STR, "reason_code": STR, "outcome_code": STR, "template": STR,
          "session_name": STR, "operation_name": STR, "evaluation_status": STR, "fields": TABLE_FIELD}
_EVENT = {"type": STR, "subject": STR, "bead": STR, "message": STR, "message_is": STR}

SUBS: dict[str, Sub] = {
    "session": Sub({"id": STR, "identity": STR, "session_name": STR, "open": BOOL, "metadata": TABLE_STR,
                    "metadata_not": TABLE_STR, "fingerprint_metadata": TABLE_STR, "present": LIST_STR,
                    "unchanged": LIST_STR, "no_writes": BOOL,
                    "write_count": INT, "written_keys": LIST_STR,
                    "labels_include": LIST_STR, "labels_exclude": LIST_STR, "title": STR},
                   ("id", "identity", "session_name")),
    "runtime": Sub({"name": STR, "alive": BOOL, "running": BOOL, "attached": BOOL, "pending_interaction": BOOL,
                    "meta": TABLE_STR, "env": TABLE_STR, "command_contains": LIST_STR,
                    "command_excludes": LIST_STR}, ("name",)),
    "deferral": Sub({"bead": STR, "alias": STR, "count": INT, "holder": STR}, ("bead",)),
    "action": Sub(_ACTION),
    "no_action": Sub(_ACTION),
    "entry": Sub({"session_name": STR, "identity": STR, "bead": STR, "template": STR, "alias": STR,
                  "pool_slot": INT, "source": STR, "named": BOOL, "named_identity": STR, "named_mode": STR,
                  "dependency_only": BOOL, "manual": BOOL, "env": TABLE_STR, "why_rules": LIST_STR,
                  "work_bead": STR}),
    "no_entry": Sub({"session_name": STR, "identity": STR, "bead": STR, "template": STR, "source": STR,
                     "named_identity": STR}, ("session_name", "identity", "bead", "template", "source",
                                              "named_identity")),
    "trace": Sub(_TRACE),
    "no_trace": Sub(_TRACE, tuple(_TRACE)),
    "trace_tally": Sub({**_TRACE, "count": INT}, ("count",)),
    "event": Sub(_EVENT, ("type",)),
    "no_event": Sub(_EVENT, ("type",)),
    "tracker": Sub({"bead": STR, "idle": TABLE_SCALAR, "max_age": TABLE_SCALAR, "defer": TABLE_SCALAR,
                    "wake_failures": TABLE_SCALAR, "circuit": TABLE_SCALAR}, ("bead",)),
    "work": Sub({"id": STR, "status": STR, "assignee": STR, "routed_to": STR, "priority": INT,
                 "store": STR, "metadata": TABLE_STR, "no_writes": BOOL, "write_count": INT,
                 "written_keys": LIST_STR,
                 "unchanged": LIST_STR}, ("id",)),
    "wait": Sub({"id": STR, "state": STR, "reason": STR}, ("id",)),
    "awake": Sub({"session_name": STR, "bead": STR, "should_wake": BOOL, "reason": STR, "wake_reasons": LIST_STR,
                  "has_assigned_work": BOOL, "assigned_work_bead": STR, "sleep_policy_suppressed": BOOL,
                  "requires_fresh_cycle": BOOL, "input": TABLE_SCALAR, "work_ready": TABLE_BOOL,
                  "work_blocked": TABLE_BOOL},
                 ("session_name", "bead")),
    "list_reason": Sub({"bead": STR, "wake_reasons": LIST_STR, "wake_reasons_include": LIST_STR,
                        "wake_reasons_exclude": LIST_STR}, ("bead",)),
    "not_awake": Sub({"session_name": STR, "bead": STR}, ("session_name", "bead")),
    "awake_among": Sub({"sessions": LIST_STR, "count": INT}, ("sessions",)),
    "request": Sub({"template": STR, "index": INT, "tier": STR, "session_bead": STR, "work_bead": STR,
                    "floor": BOOL}, ("template",)),
    "no_request": Sub({"template": STR, "tier": STR, "session_bead": STR, "work_bead": STR, "floor": BOOL},
                      ("template", "tier", "session_bead", "work_bead", "floor")),
}

KEYS: dict[str, str] = {
    "after": INT, "desired": LIST_STR, "not_desired": LIST_STR, "desired_sessions": LIST_STR,
    "desired_count": TABLE_INT, "open_sessions": TABLE_INT, "no_identity": LIST_STR,
    "pool_desired": TABLE_INT, "pool_requests": TABLE_INT, "scale_check_counts": TABLE_INT,
    "scale_check_present": TABLE_BOOL, "partial_templates": LIST_STR, "store_query_partial": BOOL, "named_demand": TABLE_BOOL,
    "named_routed_demand": TABLE_BOOL, "deferral_count": INT, "log": LIST_STR, "no_log": LIST_STR,
    "warning": LIST_STR, "action_count": TABLE_INT, "event_count": TABLE_INT, "request_templates": LIST_STR, "request_total": INT, "request_tiers": TABLE_INT, "assigned_work": LIST_STR,
    "trace_count": TABLE_INT, "session_count": INT, "awake_count": INT, "awake_rows": INT,
    "log_count": TABLE_INT, "log_total": INT, "event_total": INT,
    "operations": TABLE_FIELD,
}
ALL_KEYS = set(KEYS) | set(SUBS)

# Tables of counts where an empty table means "exactly none" (no template, kind, site or tier with
# a non-zero count; no identity with demand), so `pool_desired = {}` checks something.
NONE_WHEN_EMPTY = ("desired_count", "open_sessions", "pool_desired", "pool_requests", "scale_check_counts",
                   "action_count", "trace_count", "request_tiers", "named_demand", "named_routed_demand")
# Keys that check each item they list: empty, they would check nothing, so they are refused.
# (Keys that compare a whole set, such as `desired = []`, already mean "exactly none".)
_NOT_EMPTY = ("not_desired", "no_identity", "log", "no_log", "warning", "scale_check_present", "log_count")
_SUB_NOT_EMPTY = {"session": ("metadata", "metadata_not", "fingerprint_metadata", "present", "labels_include",
                              "labels_exclude"),
                  "runtime": ("meta", "command_contains", "command_excludes"), "entry": ("env", "why_rules"),
                  "work": ("metadata",),
                  "tracker": ("idle", "max_age", "defer", "wake_failures", "circuit"),
                  "trace": ("fields",), "no_trace": ("fields",)}

Locate = Callable[[str, str], Exception]  # (field path, message) -> the error to raise

# `fingerprint_metadata` placeholders: the fingerprints the running config gives a bead's agent
# (the state JSON's `fingerprints`).
FINGERPRINTS = ("core", "live", "provision", "launch", "breakdown")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _kind_of(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return f'string "{v}"'
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "table"
    return type(v).__name__


def _scalar_ok(kind: str, v: Any) -> bool:
    if kind == INT:
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == BOOL:
        return isinstance(v, bool)
    if kind == STR:
        return isinstance(v, str)
    return isinstance(v, (str, bool, int)) and not isinstance(v, float)


def check_value(kind: str, v: Any, fp: str, loc: Locate) -> None:
    """Raise loc(field, message) unless `v` has the kind the key takes."""
    if kind in (INT, BOOL, STR):
        if not _scalar_ok(kind, v):
            raise loc(fp, f"expected {_WORDS[kind]}, got {_kind_of(v)}")
        return
    if kind == LIST_STR:
        if not isinstance(v, list):
            raise loc(fp, f"expected {_WORDS[kind]}, got {_kind_of(v)}")
        for i, x in enumerate(v):
            if not isinstance(x, str):
                raise loc(fp, f"expected {_WORDS[kind]}, item {i} is {_kind_of(x)}")
        return
    if not isinstance(v, dict):
        raise loc(fp, f"expected {_WORDS[kind]}, got {_kind_of(v)}")
    item = {TABLE_INT: INT, TABLE_BOOL: BOOL, TABLE_STR: STR, TABLE_SCALAR: "scalar", TABLE_FIELD: "field"}[kind]
    for k, x in v.items():
        if item == "field" and isinstance(x, list) and all(isinstance(i, str) for i in x):
            continue
        if not _scalar_ok(item, x):
            want = _WORDS.get(item, "a string, integer or boolean")
            if item == "field":
                want = "a string, integer, boolean or array of strings"
            raise loc(f"{fp}.{k}", f"expected {want}, got {_kind_of(x)}")


def validate(e: Any, fp: str, steps: int, loc: Locate, suggest: Callable[[str, set[str]], str]) -> None:
    """Check one [[expect]] table: known keys only, every value of the kind its key takes, the
    selecting keys of each sub-table present, and `after` a step number of the file."""
    if not isinstance(e, dict):
        raise loc(fp, f"expected a table, got {_kind_of(e)}")
    for k in e:
        if k not in ALL_KEYS:
            raise loc(f"{fp}.{k}", f'unknown key "{k}"{suggest(k, ALL_KEYS)}')
    after = e.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or not (0 <= after <= steps):
        raise loc(f"{fp}.after", f"after must be a step number between 0 and {steps}")
    _validate_values(e, fp, loc)
    for k, sub in SUBS.items():
        if k not in e:
            continue
        rows = e[k]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise loc(f"{fp}.{k}", f"{k} must be an array of tables ([[expect.{k}]])")
        for j, row in enumerate(rows):
            _validate_row(k, sub, row, f"{fp}.{k}[{j}]", loc, suggest)


def _validate_values(e: dict[str, Any], fp: str, loc: Locate) -> None:
    """The [[expect]] table's own values: each of its key's kind, none empty that must not be,
    action kinds and trace sites the model can report, operations as arrays of names."""
    for k, kind in KEYS.items():
        if k in e:
            check_value(kind, e[k], f"{fp}.{k}", loc)
    for k in _NOT_EMPTY:
        if k in e and not e[k]:
            raise loc(f"{fp}.{k}", f"an empty {k} checks nothing; list what it must check, or drop the key")
    for kind in (e.get("action_count") or {}):
        _check_action_kind(kind, f"{fp}.action_count.{kind}", loc)
    for site in (e.get("trace_count") or {}):
        _check_trace_codes({"site_code": site}, f"{fp}.trace_count.{site}", loc)
    for prefix, names in (e.get("operations") or {}).items():
        if not isinstance(names, list):
            raise loc(f"{fp}.operations.{prefix}", "expected an array of operation names")
    if e.get("operations") == {}:
        raise loc(f"{fp}.operations", "an empty operations checks nothing; list what it must check, or drop the key")


def _validate_row(k: str, sub: Sub, row: dict[str, Any], rfp: str, loc: Locate,
                  suggest: Callable[[str, set[str]], str]) -> None:
    """One row of an [[expect.<k>]] sub-table: known keys of their kinds, a selecting key, and
    action kinds, trace codes and fingerprints that can match something."""
    for rk in row:
        if rk not in sub.keys:
            raise loc(f"{rfp}.{rk}", f'unknown key "{rk}"{suggest(rk, set(sub.keys))}')
    for rk, v in row.items():
        check_value(sub.keys[rk], v, f"{rfp}.{rk}", loc)
    if sub.one_of and not any(x in row for x in sub.one_of):
        raise loc(rfp, f"[[expect.{k}]] needs one of: {', '.join(sub.one_of)}")
    for rk in _SUB_NOT_EMPTY.get(k, ()):
        if rk in row and not row[rk]:
            raise loc(f"{rfp}.{rk}", f"an empty {rk} checks nothing; list what it must check, or drop the key")
    if k in ("action", "no_action") and "kind" in row:
        _check_action_kind(row["kind"], f"{rfp}.kind", loc)
    if k in ("trace", "no_trace", "trace_tally"):
        _check_trace_codes(row, rfp, loc)
    if k == "trace_tally" and len(row) < 2:
        raise loc(rfp, "[[expect.trace_tally]] needs a key selecting the records it counts besides count")
    if k == "session":
        _check_placeholders(row.get("fingerprint_metadata") or {}, f"{rfp}.fingerprint_metadata", loc)


def _check_placeholders(table: dict[str, str], fp: str, loc: Locate) -> None:
    """Each value of a fingerprint_metadata table names at least one fingerprint, and only known
    ones: a value without one is a plain `metadata` check."""
    for key, value in table.items():
        names = _PLACEHOLDER.findall(value)
        if not names:
            raise loc(f"{fp}.{key}", "names no fingerprint ({" + "}, {".join(FINGERPRINTS) + "}); "
                                     "a plain value belongs in metadata")
        for n in names:
            if n not in FINGERPRINTS:
                raise loc(f"{fp}.{key}", f'unknown fingerprint "{{{n}}}"; one of: '
                                         + ", ".join("{" + x + "}" for x in FINGERPRINTS))


def _check_action_kind(kind: str, fp: str, loc: Locate) -> None:
    if kind not in EMITTED_KINDS:
        raise loc(fp, f'the model never reports an action of kind "{kind}", so this can never fail; '
                      f"kinds: {', '.join(EMITTED_KINDS)}")


def _check_trace_codes(row: dict[str, Any], fp: str, loc: Locate) -> None:
    for field_, value in unknown_codes(row):
        raise loc(f"{fp}.{field_}", f'"{value}" is not a {field_.replace("_", " ")} of Gas City\'s trace vocabulary, '
                                   "so no record can match it")


# ---------------------------------------------------------------------------- evaluation


def _check_world(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """The desired entries, counts, sessions, waits, runtimes and deferrals."""
    out: list[str] = []
    out += _desired(e, st)
    out += _counts(e, st)
    for s in e.get("session", []):
        out += _check_session(s, st)
    for w in e.get("wait", []):
        got = next((x for x in st.get("waits", []) if x["id"] == w["id"]), None)
        if got is None:
            out.append(f"wait {w['id']}: no such wait")
            continue
        out += [f"wait {w['id']}: {k} want {w[k]!r}, got {got[k]!r}" for k in ("state", "reason")
                if k in w and got[k] != w[k]]
    for r in e.get("runtime", []):
        out += _check_runtime(r, st)
    for dfr in e.get("deferral", []):
        out += _check_deferral(dfr, st)
    return out


def _check_actions_and_requests(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """The actions taken and the accepted requests in total."""
    out: list[str] = []
    for a in e.get("action", []):
        if not any(_action_matches(a, x) for x in st["actions"]):
            out.append(f"no action matching {_fmt(a)}; actions were {[_fmt_action(x) for x in st['actions']]}")
    for a in e.get("no_action", []):
        hits = [x for x in st["actions"] if _action_matches(a, x)]
        if hits:
            out.append(f"unexpected action(s) matching {_fmt(a)}: {[_fmt_action(x) for x in hits]}")
    if "request_templates" in e:
        have = sorted(t for t, rs in st["requests"].items() if rs)
        if sorted(e["request_templates"]) != have:
            out.append(f"templates with accepted requests: want {sorted(e['request_templates'])}, got {have}")
    if "assigned_work" in e and sorted(e["assigned_work"]) != sorted(st["assigned_work"]):
        out.append(f"assigned work: want {sorted(e['assigned_work'])}, got {sorted(st['assigned_work'])}")
    if "request_total" in e:
        total = sum(len(rs) for rs in st["requests"].values())
        if total != e["request_total"]:
            out.append(f"request_total: want {e['request_total']}, got {total}")
    for tier, n in (e.get("request_tiers") or {}).items():
        got = sum(1 for rs in st["requests"].values() for q in rs if q["tier"] == tier)
        if got != n:
            out.append(f"request_tiers[{tier}]: want {n}, got {got}")
    return out


def _check_tallies(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """Operations, decision, action, event and request-tier counts (an empty table: exactly none)."""
    out: list[str] = []
    for prefix, names in (e.get("operations") or {}).items():
        got_ops = sorted({rec.get("operation_name", "") for rec in st["trace"] if rec.get("record_type") == "operation"
                          and rec.get("operation_name", "").startswith(prefix)})
        if got_ops != sorted(names):
            out.append(f"operations[{prefix}]: want {sorted(names)}, got {got_ops}")
    for site, n in (e.get("trace_count") or {}).items():
        got = sum(1 for rec in st["trace"] if rec.get("record_type") == "decision" and rec.get("site_code") == site)
        if got != n:
            out.append(f"trace_count[{site}]: want {n} decision(s), got {got}")
    if e.get("action_count") == {} and st["actions"]:
        out.append(f"action_count = {{}}: want no action, got {[_fmt_action(x) for x in st['actions']]}")
    if e.get("trace_count") == {}:
        sites = sorted({rec.get("site_code") for rec in st["trace"] if rec.get("record_type") == "decision"})
        if sites:
            out.append(f"trace_count = {{}}: want no decision record, got some at {sites}")
    if e.get("request_tiers") == {} and any(st["requests"].values()):
        out.append(f"request_tiers = {{}}: want no accepted request, got {sum(len(r) for r in st['requests'].values())}")
    for kind, n in (e.get("action_count") or {}).items():
        got = sum(1 for x in st["actions"] if x["kind"] == kind)
        if got != n:
            out.append(f"action_count[{kind}]: want {n}, got {got}")
    for etype, n in (e.get("event_count") or {}).items():
        got = sum(1 for x in st["events"] if x["type"] == etype)
        if got != n:
            out.append(f"event_count[{etype}]: want {n}, got {got}")
    return out


def _check_entries_and_trace(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """Desired entries wanted and unwanted, and trace records matched, tallied and absent."""
    out: list[str] = []
    for ent in e.get("entry", []):
        out += _check_entry(ent, st)
    for ent in e.get("no_entry", []):
        hits = [d["session_name"] for d in st["desired"] if _entry_selected(ent, d)]
        if hits:
            out.append(f"unexpected desired entry matching {_fmt(ent)}: {hits}")
    for t in e.get("trace", []):
        if not any(_trace_matches(t, rec) for rec in st["trace"]):
            out.append(f"no trace record matching {_fmt(t)}")
    for t in e.get("trace_tally", []):
        want = {k: v for k, v in t.items() if k != "count"}
        got = sum(1 for rec in st["trace"] if _trace_matches(want, rec))
        if got != t["count"]:
            out.append(f"trace_tally {_fmt(want)}: want {t['count']} record(s), got {got}")
    for t in e.get("no_trace", []):
        hits = [rec for rec in st["trace"] if _trace_matches(t, rec)]
        if hits:
            out.append(f"unexpected trace record(s) matching {_fmt(t)}: "
                       f"{[(r.get('site_code'), r.get('reason_code'), r.get('outcome_code')) for r in hits]}")
    return out


def _check_events_and_logs(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """Events, log lines and warnings."""
    out: list[str] = []
    for ev in e.get("event", []):
        if not any(_event_matches(ev, x) for x in st["events"]):
            out.append(f"no event matching {_fmt(ev)}; events were {[x['type'] + ':' + x['subject'] for x in st['events']]}")
    for ev in e.get("no_event", []):
        hits = [x["type"] + ":" + x["subject"] for x in st["events"] if _event_matches(ev, x)]
        if hits:
            out.append(f"unexpected event(s) matching {_fmt(ev)}: {hits}")
    for line in e.get("log", []):
        if not any(line in x for x in st["logs"]):
            out.append(f"no log line containing {line!r}")
    for text, n in (e.get("log_count") or {}).items():
        got = sum(x.count(text) for x in st["logs"])  # as strings.Count over the step's output
        if got != n:
            out.append(f"log_count[{text!r}]: want {n}, got {got}")
    if "log_total" in e and len(st["logs"]) != e["log_total"]:
        out.append(f"log_total: want {e['log_total']} log line(s), got {len(st['logs'])}: {st['logs']}")
    if "event_total" in e and len(st["events"]) != e["event_total"]:
        out.append(f"event_total: want {e['event_total']} event(s), got "
                   f"{[x['type'] + ':' + x['subject'] for x in st['events']]}")
    for line in e.get("no_log", []):
        hits = [x for x in st["logs"] if line in x]
        if hits:
            out.append(f"unexpected log line(s) containing {line!r}: {hits}")
    for text in e.get("warning", []):
        if not any(text in x for x in st["warnings"]):
            out.append(f"no warning containing {text!r}; warnings were {st['warnings']}")
    return out


def _check_trackers_work_awake(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """Trackers, work beads, the awake set and list reasons."""
    out: list[str] = []
    for t in e.get("tracker", []):
        out += _check_tracker(t, st)
    for w in e.get("work", []):
        out += _check_work(w, st)
    for a in e.get("awake", []):
        out += _check_awake(a, st)
    for a in e.get("list_reason", []):
        out += _check_list_reason(a, st)
    for a in e.get("awake_among", []):
        woken = sorted(x["session_name"] for x in st["awake"] if x["should_wake"] and x["session_name"] in a["sessions"])
        if "count" in a and len(woken) != a["count"]:
            out.append(f"awake set wakes {len(woken)} of {a['sessions']} {woken}, want {a['count']}")
    for a in e.get("not_awake", []):
        woken = [x for x in st["awake"] if x["should_wake"] and x["session_name"] == a.get("session_name", x["session_name"])
                 and x["bead_id"] == a.get("bead", x["bead_id"])]
        if woken:
            out.append(f"awake set wakes {_fmt(a)} (reason {woken[0]['reason']!r})")
    return out


def _check_requests(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """Requests wanted and unwanted."""
    out: list[str] = []
    for r in e.get("request", []):
        out += _check_request(r, st)
    for r in e.get("no_request", []):
        keymap = {"session_bead": "session_bead_id", "work_bead": "work_bead_id"}
        want = {keymap.get(k, k): v for k, v in r.items() if k != "template"}
        hits = [(t, q) for t, rs in st["requests"].items() if r.get("template", t) == t for q in rs
                if all(q.get(k) == v for k, v in want.items())]
        if hits:
            out.append(f"unexpected request(s) matching {_fmt(r)}: {hits}")
    return out


_EXPECT_CHECKS = (_check_world, _check_actions_and_requests, _check_tallies, _check_entries_and_trace,
                  _check_events_and_logs, _check_trackers_work_awake, _check_requests)


def evaluate(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """The failed checks of one [[expect]] block against the state after its step."""
    return [failure for check in _EXPECT_CHECKS for failure in check(e, st)]


def _open_beads(st: dict) -> list[dict]:
    return [s for s in st["sessions"] if s["open"]]


def _desired(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    out: list[str] = []
    desired_ids = sorted(d["identity"] for d in st["desired"])
    if "desired" in e and sorted(e["desired"]) != desired_ids:
        out.append(f"desired identities: want {sorted(e['desired'])}, got {desired_ids}")
    names = sorted(d["session_name"] for d in st["desired"])
    if "desired_sessions" in e and sorted(e["desired_sessions"]) != names:
        out.append(f"desired session names: want {sorted(e['desired_sessions'])}, got {names}")
    for ident in e.get("not_desired", []):
        if ident in desired_ids:
            out.append(f"{ident!r} is desired but should not be")
    if e.get("desired_count") == {} and st["desired"]:
        out.append(f"desired_count = {{}}: want no desired entry, got {names}")
    for tpl, n in (e.get("desired_count") or {}).items():
        got = sum(1 for d in st["desired"] if d["template"] == tpl)
        if got != n:
            out.append(f"desired_count[{tpl}]: want {n}, got {got}")
    return out


def _counts(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """The counting keys: sessions and the awake set, demand per template and identity, and the
    partial reads and deferrals."""
    return _session_counts(e, st) + _demand_counts(e, st) + _partial_counts(e, st)


def _session_counts(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """awake_count, awake_rows, session_count, open_sessions and no_identity."""
    out: list[str] = []
    if "awake_count" in e:
        woken = sorted(r["session_name"] for r in st["awake"] if r["should_wake"])
        if len(woken) != e["awake_count"]:
            out.append(f"awake_count: want {e['awake_count']} sessions the awake set wakes, got {len(woken)} {woken}")
    if "awake_rows" in e and len(st["awake"]) != e["awake_rows"]:
        out.append(f"awake_rows: want {e['awake_rows']} rows in the awake set, got {len(st['awake'])} "
                   f"{[r['session_name'] for r in st['awake']]}")
    if "session_count" in e and len(st["sessions"]) != e["session_count"]:
        out.append(f"session_count: want {e['session_count']}, got {len(st['sessions'])} "
                   f"({[x['id'] for x in st['sessions']]})")
    if e.get("open_sessions") == {} and _open_beads(st):
        out.append(f"open_sessions = {{}}: want no open session bead, got {[s['id'] for s in _open_beads(st)]}")
    for tpl, n in (e.get("open_sessions") or {}).items():
        got = sum(1 for s in _open_beads(st) if s["metadata"].get("template") == tpl)
        if got != n:
            out.append(f"open_sessions[{tpl}]: want {n}, got {got}")
    for ident in e.get("no_identity", []):
        holders = [s["id"] for s in _open_beads(st) if ident in (s["metadata"].get("agent_name"), s["metadata"].get("alias"))]
        if holders:
            out.append(f"no_identity {ident!r}: held by open bead(s) {holders}")
    return out


def _demand_counts(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """pool_desired, pool_requests, scale_check_counts (and which keys it has), named_demand and
    named_routed_demand."""
    out: list[str] = []
    for key in ("pool_desired", "pool_requests", "scale_check_counts"):
        nonzero = {t: n for t, n in st[key].items() if n}
        if e.get(key) == {} and nonzero:
            out.append(f"{key} = {{}}: want no template with a count, got {nonzero}")
        for tpl, n in (e.get(key) or {}).items():
            got = st[key].get(tpl, 0)  # a missing key reads 0, as a Go map does
            if got != n:
                out.append(f"{key}[{tpl}]: want {n}, got {got}")
    for tpl, present in (e.get("scale_check_present") or {}).items():
        if (tpl in st["scale_check_counts"]) != present:
            out.append(f"scale_check_counts has {'no' if present else 'a'} key {tpl!r}"
                       f"{'' if present else ' (value ' + str(st['scale_check_counts'][tpl]) + ')'}")
    for key in ("named_demand", "named_routed_demand"):
        held = sorted(i for i, v in st[key].items() if v)
        if e.get(key) == {} and held:
            out.append(f"{key} = {{}}: want no identity with demand, got {held}")
        for ident, want in (e.get(key) or {}).items():
            got = st[key].get(ident, False)
            if got != want:
                out.append(f"{key}[{ident}]: want {want}, got {got}")
    return out


def _partial_counts(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    """store_query_partial, partial_templates and deferral_count."""
    out: list[str] = []
    if "store_query_partial" in e and e["store_query_partial"] != st["store_query_partial"]:
        out.append(f"store_query_partial: want {e['store_query_partial']}, got {st['store_query_partial']}")
    if "partial_templates" in e and sorted(e["partial_templates"]) != st["partial_templates"]:
        out.append(f"partial_templates: want {sorted(e['partial_templates'])}, got {st['partial_templates']}")
    if "deferral_count" in e and e["deferral_count"] != len(st["deferrals"]):
        out.append(f"deferral_count: want {e['deferral_count']}, got {len(st['deferrals'])}")
    return out


def _check_runtime(r: dict, st: dict) -> list[str]:
    out: list[str] = []
    got = next((x for x in st["runtime"] if x["name"] == r["name"]), None)
    for k, want in r.items():
        if k == "name":
            continue
        if k in ("alive", "running"):
            have = got is not None and bool(got) and bool(got["alive"] if k == "alive" else got.get("running", True))
            if have != want:
                out.append(f"runtime {r['name']}: {k} want {want}, got {have}")
        elif got is None:
            out.append(f"runtime {r['name']}: not running (wanted {k} = {want!r})")
        elif k in ("meta", "env"):
            for mk, mv in want.items():
                if got[k].get(mk, "") != mv:
                    out.append(f"runtime {r['name']}: {k}.{mk} want {mv!r}, got {got[k].get(mk, '')!r}")
        elif k in ("command_contains", "command_excludes"):
            for text in want:
                if (text in got["command"]) != (k == "command_contains"):
                    verb = "lacks" if k == "command_contains" else "contains"
                    out.append(f"runtime {r['name']}: start command {got['command']!r} {verb} {text!r}")
        elif got.get(k) != want:
            out.append(f"runtime {r['name']}: {k} want {want!r}, got {got.get(k)!r}")
    return out


def _check_deferral(dfr: dict, st: dict) -> list[str]:
    match = [x for x in st["deferrals"] if x["bead_id"] == dfr["bead"]]
    if not match:
        return [f"deferral for {dfr['bead']}: none (deferrals: {[x['bead_id'] for x in st['deferrals']]})"]
    x = match[0]
    return [f"deferral {dfr['bead']}: {k} want {dfr[k]!r}, got {x[k]!r}"
            for k in ("alias", "count", "holder") if k in dfr and x[k] != dfr[k]]


def _first_match(cands: list[dict], errors_of: Callable[[dict], list[str]]) -> list[str]:
    """[] when some candidate meets every check, else the first candidate's failures."""
    best: list[str] | None = None
    for x in cands:
        errs = errors_of(x)
        if not errs:
            return []
        if best is None:
            best = errs
    return best or []


def _check_session(s: dict, st: dict) -> list[str]:
    """An [[expect.session]] row: some bead it selects (by id, session_name or identity, an open
    bead first) meets all its checks."""
    if "id" in s:
        cands = [x for x in st["sessions"] if x["id"] == s["id"]]
        label = s["id"]
    elif "session_name" in s:
        cands = [x for x in st["sessions"] if x["metadata"].get("session_name") == s["session_name"]]
        label = f"session_name {s['session_name']}"
    else:
        ident = s.get("identity", "")
        cands = [x for x in _open_beads(st) if x["metadata"].get("agent_name") == ident] or \
                [x for x in st["sessions"] if x["metadata"].get("agent_name") == ident]
        label = f"identity {ident}"
    if not cands:
        return [f"session {label}: no such bead"]
    return _first_match(cands, lambda x: _session_errors(s, x, label, st))


def _session_errors(s: dict, x: dict, label: str, st: dict) -> list[str]:
    """What one bead fails of an [[expect.session]] row's checks."""
    errs = []
    if "open" in s and x["open"] != s["open"]:
        errs.append(f"session {label}: open want {s['open']}, got {x['open']}")
    for k, v in (s.get("metadata") or {}).items():
        have = x["metadata"].get(k, "")
        if have != v:
            errs.append(f"session {label}: metadata.{k} want {v!r}, got {have!r}")
    for k, v in (s.get("metadata_not") or {}).items():
        if x["metadata"].get(k, "") == v:
            errs.append(f"session {label}: metadata.{k} is still {v!r}")
    for k in s.get("present", []):
        if not x["metadata"].get(k, ""):
            errs.append(f"session {label}: metadata.{k} is empty or missing")
    errs += _check_fingerprints(s, x, label, st)
    for lab in s.get("labels_include", []):
        if lab not in x["labels"]:
            errs.append(f"session {label}: label {lab!r} missing (labels {x['labels']})")
    for lab in s.get("labels_exclude", []):
        if lab in x["labels"]:
            errs.append(f"session {label}: label {lab!r} present")
    if "title" in s and x["title"] != s["title"]:
        errs.append(f"session {label}: title want {s['title']!r}, got {x['title']!r}")
    errs += _check_writes(s, x["id"], st)
    return errs


def _check_fingerprints(s: dict, x: dict, label: str, st: dict) -> list[str]:
    """`fingerprint_metadata`: each key holds its value with every {placeholder} replaced by that
    fingerprint of the bead's agent under the running config."""
    table = s.get("fingerprint_metadata") or {}
    if not table:
        return []
    prints = st.get("fingerprints", {}).get(x["id"])
    if prints is None:
        return [f"session {label}: no configured agent to fingerprint"]
    errs = []
    for k, v in table.items():
        want = _PLACEHOLDER.sub(lambda m: prints[m.group(1)], v)
        have = x["metadata"].get(k, "")
        if have != want:
            errs.append(f"session {label}: metadata.{k} want {v} = {want!r}, got {have!r}")
    return errs


WRITE_KEYS = frozenset({"unchanged", "no_writes", "write_count", "written_keys"})


def _check_writes(s: dict, bead_id: str, st: dict, kind: str = "session") -> list[str]:
    """`unchanged`, `no_writes`, `write_count`, `written_keys`: what the step's store writes (its
    mutation records) did to the session or work bead. A write of a value a key already had
    changes nothing but is still a write."""
    if not WRITE_KEYS & set(s):
        return []
    writes = [t for t in st.get("trace", []) if t.get("record_type") == "mutation" and t.get("target_id") == bead_id
              and t.get("target_kind", "session") == kind]
    errs = []
    if s.get("no_writes") is True and writes:
        errs.append(f"{kind} {bead_id}: {len(writes)} store write(s) during the step, want none")
    if s.get("no_writes") is False and not writes:
        errs.append(f"{kind} {bead_id}: no store write during the step, want at least one")
    if "write_count" in s and len(writes) != s["write_count"]:
        errs.append(f"{kind} {bead_id}: {len(writes)} store write(s) during the step, want {s['write_count']}")
    if "written_keys" in s:
        keys = sorted({k for t in writes for k in (t.get("fields") or {}).get("diffs", {})})
        if keys != sorted(s["written_keys"]):
            errs.append(f"{kind} {bead_id}: metadata keys written during the step {keys}, "
                        f"want {sorted(s['written_keys'])}")
    for k in s.get("unchanged", []):
        for t in writes:
            d = (t.get("fields") or {}).get("diffs", {}).get(k)
            if d is not None:
                errs.append(f"{kind} {bead_id}: metadata.{k} changed during the step "
                            f"({d.get('before', '')!r} -> {d.get('after', '')!r})")
                break
    return errs


def _entry_selected(ent: dict, d: dict) -> bool:
    keymap = {"bead": "bead_id"}
    return all(d.get(keymap.get(k, k)) == ent[k]
               for k in ("session_name", "identity", "bead", "template", "source", "named_identity") if k in ent)


def _check_entry(ent: dict, st: dict) -> list[str]:
    """An [[expect.desired]] row: some desired entry it selects meets all its checks."""
    def sel(d: dict) -> bool:
        return all(d.get(k) == ent[k] for k in ("session_name", "identity") if k in ent) and \
            ("bead" not in ent or d["bead_id"] == ent["bead"])

    cands = [d for d in st["desired"] if sel(d)]
    label = _fmt({k: ent[k] for k in ("session_name", "identity", "bead") if k in ent})
    if not cands:
        return [f"desired entry {label}: none (desired: {[d['identity'] for d in st['desired']]})"]
    return _first_match(cands, lambda d: _entry_errors(ent, d, label))


def _entry_errors(ent: dict, d: dict, label: str) -> list[str]:
    """What one desired entry fails of an [[expect.desired]] row's checks."""
    errs = []
    for k, v in ent.items():
        if k in ("session_name", "identity", "bead"):
            continue
        if k == "env":
            for ek, ev in v.items():
                if d["env"].get(ek, "") != ev:
                    errs.append(f"desired entry {label}: env.{ek} want {ev!r}, got {d['env'].get(ek, '')!r}")
        elif k == "why_rules":
            rules = [w["rule"] for w in d["why"]]
            for r in v:
                if r not in rules:
                    errs.append(f"desired entry {label}: why rule {r!r} missing (rules {rules})")
        elif k == "work_bead":
            if d["work_bead_id"] != v:
                errs.append(f"desired entry {label}: work_bead want {v!r}, got {d['work_bead_id']!r}")
        elif d.get(k) != v:
            errs.append(f"desired entry {label}: {k} want {v!r}, got {d.get(k)!r}")
    return errs


def _trace_matches(want: dict, rec: dict) -> bool:
    for k, v in want.items():
        if k == "fields":
            fields = rec.get("fields") or {}
            # a boolean never equals a number here (Python's True == 1 would let a count pass for a flag)
            if any(fields.get(fk) != fv or isinstance(fields.get(fk), bool) != isinstance(fv, bool)
                   for fk, fv in v.items()):
                return False
        elif rec.get(k) != v:
            return False
    return True


def _event_matches(ev: dict, x: dict) -> bool:
    return (ev.get("type") == x["type"] and ev.get("subject", x["subject"]) == x["subject"]
            and ev.get("bead", x["bead_id"]) == x["bead_id"] and ev.get("message", "") in x.get("message", "")
            and ev.get("message_is", x.get("message", "")) == x.get("message", ""))


def _check_tracker(t: dict, st: dict) -> list[str]:
    row = next((x for x in st["trackers"] if x["bead_id"] == t["bead"]), None)
    if row is None:
        return [f"tracker for {t['bead']}: none"]
    out = []
    for k, want in t.items():
        if k == "bead":
            continue
        for kk, vv in want.items():
            if row[k].get(kk) != vv:
                out.append(f"tracker {t['bead']}.{k}.{kk}: want {vv!r}, got {row[k].get(kk)!r}")
    return out


def _check_work(w: dict, st: dict) -> list[str]:
    row = next((x for x in st["work"] if x["id"] == w["id"]), None)
    if row is None:
        return [f"work {w['id']}: no such work bead"]
    out = _check_writes(w, w["id"], st, "work")
    for k, want in w.items():
        if k == "id" or k in WRITE_KEYS:
            continue
        if k == "metadata":
            for mk, mv in want.items():
                have = row["metadata"].get(mk, "")
                if have != mv:
                    out.append(f"work {w['id']}: metadata.{mk} want {mv!r}, got {have!r}")
        elif row.get(k) != want:
            out.append(f"work {w['id']}: {k} want {want!r}, got {row.get(k)!r}")
    return out


def _check_list_reason(a: dict, st: dict) -> list[str]:
    row = next((x for x in st.get("session_reasons", []) if x["bead"] == a["bead"]), None)
    if row is None:
        return [f"list reason of {a['bead']}: no open session bead with that id"]
    got = row["wake_reasons"]
    out = []
    if "wake_reasons" in a and got != a["wake_reasons"]:
        out.append(f"list reason of {a['bead']}: wake_reasons want {a['wake_reasons']}, got {got}")
    out += [f"list reason of {a['bead']}: wake reason {r!r} missing from {got}"
            for r in a.get("wake_reasons_include", []) if r not in got]
    out += [f"list reason of {a['bead']}: wake reason {r!r} present in {got}"
            for r in a.get("wake_reasons_exclude", []) if r in got]
    return out


def _check_awake(a: dict, st: dict) -> list[str]:
    def sel(x: dict) -> bool:
        return all(x.get(k) == a[k] for k in ("session_name",) if k in a) and ("bead" not in a or x["bead_id"] == a["bead"])

    label = _fmt({k: a[k] for k in ("session_name", "bead") if k in a})
    rows = [x for x in st["awake"] if sel(x)]
    if not rows:
        return [f"awake row {label}: none (rows: {[x['session_name'] for x in st['awake']]})"]
    x = rows[0]
    out = [f"awake row {label}: {k} want {v!r}, got {x.get(k)!r}"
           for k, v in a.items() if k not in ("session_name", "bead", "input", "work_ready", "work_blocked")
           and x.get(k) != v]
    for k, v in (a.get("input") or {}).items():
        if x.get("input", {}).get(k) != v:
            out.append(f"awake row {label}: input {k} want {v!r}, got {x.get('input', {}).get(k)!r}")
    for key, flag in (("work_ready", "ready"), ("work_blocked", "blocked")):
        for wid, v in (a.get(key) or {}).items():
            got = x.get("work", {}).get(wid)
            if got is None:
                out.append(f"awake row {label}: no assigned work {wid!r} in its input (work: {sorted(x.get('work', {}))})")
            elif got[flag] != v:
                out.append(f"awake row {label}: work {wid} {flag} want {v!r}, got {got[flag]!r}")
    return out


def _check_request(r: dict, st: dict) -> list[str]:
    reqs = st["requests"].get(r["template"], [])
    keymap = {"session_bead": "session_bead_id", "work_bead": "work_bead_id"}
    want = {keymap.get(k, k): v for k, v in r.items() if k not in ("template", "index")}
    if "index" in r:
        if r["index"] >= len(reqs):
            return [f"request {r['template']}[{r['index']}]: none ({len(reqs)} accepted)"]
        got = reqs[r["index"]]
        return [f"request {r['template']}[{r['index']}]: {k} want {v!r}, got {got.get(k)!r}"
                for k, v in want.items() if got.get(k) != v]
    if not any(all(q.get(k) == v for k, v in want.items()) for q in reqs):
        return [f"no request of {r['template']} matching {_fmt(want)}; requests were {reqs}"]
    return []


def _action_matches(want: dict, x: dict) -> bool:
    keymap = {"bead": "bead_id"}
    return all(x.get(keymap.get(k, k), "") == v for k, v in want.items())


def _fmt(d: dict) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in d.items()) + "}"


def _fmt_action(x: dict) -> str:
    return f"{x['kind']}:{x['bead_id']}:{x['reason']}"
