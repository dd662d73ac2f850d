"""Every catalog case about identity checks an identity-critical field: which identity, alias,
pool slot, session name or template a session gets. A case that checks only counts and sources
(`desired_count`, `source = "new"`) passes a model that hands the new session the wrong slot.

The cases listed in NOT_ABOUT_IDENTITY test lifecycle mechanics of one session whose identity
is not in question (timers, counters, hashes, drains); each says why.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path

CATALOG = Path(__file__).parent / "scenarios"
_ID = re.compile(r"([A-Z]+[0-9]+)-")
_FIELDS = {"agent_name", "alias", "pool_slot", "session_name", "template", "configured_named_identity"}

NOT_ABOUT_IDENTITY = {
    "R04": "the wake budget: how many of eight singletons start per tick",
    "R05": "healing expired hold and quarantine timers on one bead",
    "R06": "crash detection and its counters on one live session",
    "R07": "start-failure counting without double counting, one bead",
    "R08": "a stable session clearing its failure counters",
    "R14": "no drift decision before a started config hash exists",
    "R15": "rebaselining a legacy config hash",
    "R18": "closing an orphaned bead whose runtime is dead",
    "R26": "an agent drain-ack on a desired session",
    "R27": "an agent drain-ack on an undesired session",
    "R29": "healing a live pending create's claim",
    "R30": "rolling back or keeping a never-started create by its lease",
    "R32": "a restart request on a dead named session",
    "R33": "closing an undesired failed-create bead",
    "R37": "the heal table of bead states",
    "S19": "drain-ack accounting of an always-named session (the loop, not its name)",
    "BUILD01": "an agent refused for its session transport: no session at all, so no identity",
    "CIRC01": "restoring the circuit breaker from a corrupt count on one named bead",
    "CIRC02": "restoring the circuit breaker from an unknown state on one named bead",
    "CIRC03": "restoring the circuit breaker from an unreadable time on one named bead",
    "CIRC04": "the once-per-incident log line of an open breaker",
    "FAULT02": "how much demand a partial store read yields (counts, not names)",
    "FAULT04": "a failed metadata write logged while the tick goes on",
    "ORPHAN02": "the count of failed detached-work probes on one work bead (no session in question)",
    "LIFE01": "zero timestamps read as absent by the lifecycle projection of one bead",
    "LIFE02": "crash and churn counting under the subprocess provider",
    "LIMIT01": "a rate-limit screen classified on one live session",
    "REC01": "the close reason of a named bead whose template is gone",
    "REC02": "re-applying session_live after an empty stored live hash",
    "REC04": "the words of the lifecycle log line",
    "STALL01": "a stalled continuation reset logged, evented and traced",
    "STRAND01": "stranded pool work reported and then repaired (the work and the close, not the name)",
    "STRAND02": "the stranded marker cleared while the session is alive",
    "WAIT01": "a ready wait waking its held session",
}


def _checks_identity(e: dict) -> bool:
    if any(k in e for k in ("desired", "desired_sessions", "not_desired", "no_identity")):
        return True
    if any(set(x) & {"identity", "session_name", "alias", "pool_slot", "template"} for x in e.get("entry", [])):
        return True
    if any(set(x) & {"identity", "session_name"} for x in e.get("no_entry", [])):
        return True
    if any(set(s) & {"identity", "session_name"} or set(s.get("metadata", {})) & _FIELDS for s in e.get("session", [])):
        return True
    if any(set(r) & {"identity", "session_bead"} for r in e.get("request", [])):
        return True
    if any("alias" in d for d in e.get("deferral", [])) or e.get("runtime"):
        return True
    return any("session_name" in a for a in e.get("action", []))


def _catalog() -> dict[str, list[tuple[Path, bool]]]:
    out: dict[str, list[tuple[Path, bool]]] = defaultdict(list)
    for p in sorted(CATALOG.rglob("*.toml")):
        m = _ID.match(p.name)
        if m:
            doc = tomllib.loads(p.read_text())
            out[m.group(1)].append((p, any(_checks_identity(e) for e in doc.get("expect", []))))
    return out


def test_every_identity_case_checks_an_identity_critical_field():
    cat = _catalog()
    assert len(cat) > 100
    missing = sorted(i for i, files in cat.items() if i not in NOT_ABOUT_IDENTITY and not any(ok for _, ok in files))
    assert missing == [], "catalog ids checking no identity, alias, pool slot, session name or template: " + \
        ", ".join(f"{i} ({', '.join(p.name for p, _ in cat[i])})" for i in missing)


def test_the_exemptions_are_real_ids_that_still_need_them():
    """An exempt id must exist, and must not already check identity (then it needs no entry)."""
    cat = _catalog()
    for i in NOT_ABOUT_IDENTITY:
        assert i in cat, f"{i}: no such catalog id"
        assert not any(ok for _, ok in cat[i]), f"{i} checks identity now: drop it from NOT_ABOUT_IDENTITY"


def test_a_count_only_case_is_caught(tmp_path):
    assert not _checks_identity({"after": 1, "desired_count": {"w": 1}, "entry": [{"bead": "gc-1", "source": "new"}]})
    assert _checks_identity({"after": 1, "entry": [{"bead": "gc-1", "pool_slot": 2}]})
    assert _checks_identity({"after": 1, "session": [{"id": "gc-1", "metadata": {"alias": "w-1"}}]})
    assert not _checks_identity({"after": 1, "session": [{"id": "gc-1", "metadata": {"state": "awake"}}]})
