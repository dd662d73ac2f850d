"""Session and work beads. Beads are immutable records; a change makes a new bead, so a store
snapshot shares every unchanged bead with the previous one.

Metadata keys are Gas City's own names, kept as constants so a typo is a NameError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from core.config.naming import resolve_pool_slot
from core.formats.memo import tick_memo

# ---- identity ----
TEMPLATE = "template"
AGENT_NAME = "agent_name"
ALIAS = "alias"
ALIAS_HISTORY = "alias_history"
SESSION_NAME = "session_name"
SESSION_NAME_EXPLICIT = "session_name_explicit"
POOL_SLOT = "pool_slot"
POOL_MANAGED = "pool_managed"
SESSION_ORIGIN = "session_origin"
MANUAL_SESSION = "manual_session"
CONFIGURED_NAMED_SESSION = "configured_named_session"
CONFIGURED_NAMED_IDENTITY = "configured_named_identity"
CONFIGURED_NAMED_MODE = "configured_named_mode"
CANONICAL_INSTANCE_NAME = "canonical_instance_name"
CANONICAL_POOL_SLOT = "canonical_pool_slot"
DEPENDENCY_ONLY = "dependency_only"
POOL_ALIAS_CONFLICT = "pool_alias_conflict"
POOL_ALIAS_CONFLICT_COUNT = "pool_alias_conflict_count"
POOL_ALIAS_CONFLICT_AT = "pool_alias_conflict_at"
TRIGGER_BEAD_ID = "gc.trigger_bead_id"
TRIGGER_BEAD_STORE_REF = "gc.trigger_bead_store_ref"
BRAIN_PARENT_SID = "gc.brain_parent_sid"
WORK_DIR = "work_dir"
WAKE_MODE = "wake_mode"
PROVIDER_TERMINAL_ERROR = "provider_terminal_error"
# ---- lifecycle ----
STATE = "state"
STATE_REASON = "state_reason"
SLEEP_REASON = "sleep_reason"
SLEEP_INTENT = "sleep_intent"
SLEPT_AT = "slept_at"
DRAIN_AT = "drain_at"
CLOSE_REASON = "close_reason"
CLOSED_AT = "closed_at"
SYNCED_AT = "synced_at"
PENDING_CREATE_CLAIM = "pending_create_claim"
PENDING_CREATE_STARTED_AT = "pending_create_started_at"
LAST_WOKE_AT = "last_woke_at"
CREATION_COMPLETE_AT = "creation_complete_at"
AWAKE_STARTED_AT = "awake_started_at"
WAKE_REQUEST = "wake_request"
WAKE_REQUESTED_AT = "wake_requested_at"
GENERATION = "generation"
INSTANCE_TOKEN = "instance_token"
CONTINUATION_EPOCH = "continuation_epoch"
CONTINUATION_RESET_PENDING = "continuation_reset_pending"
RESET_COMMITTED_AT = "reset_committed_at"
RESTART_REQUESTED = "restart_requested"
SESSION_KEY = "session_key"
SESSION_ID_FLAG = "session_id_flag"  # the provider flag stamped on the bead (freshRestartSessionKeyInfo reads it)
CURRENTLY_PROCESSING = "currently_processing_bead_id"
STARTED_CONFIG_HASH = "started_config_hash"
STARTED_LIVE_HASH = "started_live_hash"
LIVE_HASH = "live_hash"
CORE_HASH_BREAKDOWN = "core_hash_breakdown"
CONFIG_DRIFT_DEFERRED_AT = "config_drift_deferred_at"
CONFIG_DRIFT_DEFERRED_KEY = "config_drift_deferred_key"
ATTACHED_CONFIG_DRIFT_DEFERRED_AT = "attached_config_drift_deferred_at"
ATTACHED_CONFIG_DRIFT_DEFERRED_KEY = "attached_config_drift_deferred_key"
STARTED_PROVISION_HASH = "started_provision_hash"
STARTED_LAUNCH_HASH = "started_launch_hash"
PRIMED_AT = "primed_at"
PRIMING_ATTEMPTED_AT = "priming_attempted_at"
PROMPT_HASH = "prompt_hash"
COMMAND = "command"
RETIRED_NAMED_IDENTITY = "retired_named_identity"
ARCHIVED_AT = "archived_at"
QUARANTINE_CYCLE = "quarantine_cycle"
HELD_UNTIL = "held_until"
QUARANTINED_UNTIL = "quarantined_until"
WAIT_HOLD = "wait_hold"
PIN_AWAKE = "pin_awake"
WAKE_ATTEMPTS = "wake_attempts"
CHURN_COUNT = "churn_count"
DETACHED_AT = "detached_at"
SESSION_HEALTH = "session_health"
SESSION_HEALTH_REASON = "session_health_reason"
SESSION_DRAINABLE = "session_drainable"
SUSPENDED_AT = "suspended_at"
STRANDED_EVENT_EMITTED_AT = "stranded_event_emitted_at"
UNKNOWN_STATE_ESCALATED_AT = "unknown_state_escalated_at"
CONTINUITY_ELIGIBLE = "continuity_eligible"
COMMON_NAME = "common_name"
PROVIDER_TERMINAL_ERROR_AT = "provider_terminal_error_at"
UNKNOWN_STATE_VALUE = "unknown_state_value"
UNKNOWN_STATE_FIRST_SEEN = "unknown_state_first_seen"
REQUESTED_SLEEP_AFTER_IDLE = "requested_sleep_after_idle"
EFFECTIVE_SLEEP_AFTER_IDLE = "effective_sleep_after_idle"
SLEEP_POLICY_SOURCE = "sleep_policy_source"
SLEEP_POLICY_FINGERPRINT = "sleep_policy_fingerprint"
SLEEP_CAPABILITY = "sleep_capability"
SLEEP_POLICY_ADJUSTMENT_REASON = "sleep_policy_adjustment_reason"
CONFIG_WAKE_SUPPRESSED = "config_wake_suppressed"
CIRCUIT_STATE = "session_circuit_state"
CIRCUIT_RESTARTS = "session_circuit_restarts"
CIRCUIT_OPENED_AT = "session_circuit_opened_at"
CIRCUIT_LAST_RESTART = "session_circuit_last_restart"
CIRCUIT_LAST_PROGRESS = "session_circuit_last_progress"
CIRCUIT_LAST_OBSERVED = "session_circuit_last_observed"
CIRCUIT_PROGRESS_SIGNATURE = "session_circuit_progress_signature"
CIRCUIT_OPEN_RESTART_COUNT = "session_circuit_open_restart_count"
CIRCUIT_RESET_GENERATION = "session_circuit_reset_generation"
CIRCUIT_KEYS = (CIRCUIT_STATE, CIRCUIT_RESTARTS, CIRCUIT_LAST_RESTART, CIRCUIT_LAST_PROGRESS, CIRCUIT_LAST_OBSERVED,
                CIRCUIT_PROGRESS_SIGNATURE, CIRCUIT_OPENED_AT, CIRCUIT_OPEN_RESTART_COUNT, CIRCUIT_RESET_GENERATION)

KNOWN_STATES = frozenset(
    {"start-pending", "creating", "active", "awake", "asleep", "drained", "suspended", "quarantined",
     "failed-create", "stopped", "orphaned", "closed", "", "draining"}
)
COUNTS_AGAINST_CAP = frozenset({"start-pending", "creating", "active", "awake", "draining", "quarantined"})
DELIBERATE_SLEEP_REASONS = frozenset(
    {"idle", "idle-timeout", "no-wake-reason", "config-drift", "drained", "city-stop", "user-hold",
     "wait-hold", "rate_limit", "failed-create", "provider-terminal-error"}
)
SLOT_FREEABLE_SLEEP = frozenset(
    {"idle", "idle-timeout", "city-stop", "failed-create", "runtime-missing", "provider-terminal-error"}
)

# session.CanonicalCloseReason: every close reason is at least 20 characters.
CLOSE_REASON_TEXT = {
    "": "session terminated: unknown state",
    "gc_swept": "session swept: no assigned work in any rig",
    "orphaned": "session orphaned: configured agent removed",
    "drained": "session drained: pool slot retired by reconciler",
    "failed-create": "session create failed: aborted before creation_complete",
    "stale-session": "session stale: no liveness signal beyond threshold",
    "duplicate": "session retired: duplicate of canonical bead",
    "duplicate-repair": "session retired: duplicate-repair canonicalization",
    "reconfigured": "session reconfigured: superseded by new agent config",
    "suspended": "session suspended: agent disabled in city config",
}


def close_reason_text(code: str) -> str:
    """The human text for a close reason code; a short unknown code becomes "session terminated: <code>"."""
    if code in CLOSE_REASON_TEXT:
        return CLOSE_REASON_TEXT[code]
    return code if len(code) >= 20 else f"session terminated: {code}"


class FrozenMeta(Mapping[str, str]):
    """Metadata that will not change, held compactly: its values in a tuple, its keys (in their
    order) in a layout shared by every FrozenMeta with the same keys in the same order. A dict
    of 24 keys takes about 1.2 KB and a FrozenMeta about 0.3 KB; beads that a newer version
    replaced hold their metadata this way, since every recorded step keeps the versions it
    saw. It reads as the dict it was made from (equal, same order, same repr)."""

    __slots__ = ("_layout", "_values")

    def __init__(self, md: Mapping[str, str]) -> None:
        keys = tuple(md)
        layout = _LAYOUTS.get(keys)
        if layout is None:
            if len(_LAYOUTS) >= _MAX_LAYOUTS:
                _LAYOUTS.clear()  # those in use stay with their FrozenMetas; only the sharing restarts
            layout = _LAYOUTS[keys] = {k: i for i, k in enumerate(keys)}
        self._layout: dict[str, int] = layout
        self._values: tuple[str, ...] = tuple(md.values())

    def __getitem__(self, key: str) -> str:
        return self._values[self._layout[key]]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._layout.get(key)
        return default if i is None else self._values[i]

    def __contains__(self, key: object) -> bool:
        return key in self._layout

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMeta) and other._layout is self._layout:
            return self._values == other._values
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]  # as a dict's

    def __repr__(self) -> str:
        return repr(dict(self))


# FrozenMeta layouts by key tuple (bounded: a long watch may see many key orders)
_LAYOUTS: dict[tuple[str, ...], dict[str, int]] = {}
_MAX_LAYOUTS = 4096

_T = TypeVar("_T")
_READ_AT_MAKE = (("template", TEMPLATE), ("session_name", SESSION_NAME), ("state", STATE), ("alias", ALIAS),
                 ("agent_name", AGENT_NAME))


@dataclass(frozen=True, slots=True)
class SessionBead:
    """A session bead. `metadata` is never mutated in place: use `with_meta`."""

    id: str
    created_at: datetime
    metadata: Mapping[str, str]
    open: bool = True
    title: str = ""
    labels: frozenset[str] = field(default_factory=frozenset)
    # what `derived` computed for this bead (created on first use; never part of its value)
    _derived: dict[Any, Any] | None = field(default=None, init=False, repr=False, compare=False)
    # The metadata every pass reads of every open bead, read once when the bead is made (plain
    # attributes: a tick reads them hundreds of thousands of times).
    template: str = field(init=False, repr=False, compare=False)
    session_name: str = field(init=False, repr=False, compare=False)
    state: str = field(init=False, repr=False, compare=False)
    alias: str = field(init=False, repr=False, compare=False)
    agent_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        md = self.metadata
        for attr, key in _READ_AT_MAKE:
            object.__setattr__(self, attr, md.get(key, ""))

    def get(self, key: str) -> str:
        return self.metadata.get(key, "")

    def derived(self, fn: Callable[[SessionBead], _T]) -> _T:
        """`fn(self)`, computed once for this bead and kept beside it. A bead is immutable (a
        change makes a new bead), so `fn` must read nothing but the bead itself."""
        kept = self._derived
        if kept is None:
            kept = {}
            object.__setattr__(self, "_derived", kept)
        try:
            return kept[fn]
        except KeyError:
            value = kept[fn] = fn(self)
            return value

    def retire(self) -> None:
        """The store replaced this version of the bead with a newer one: drop what `derived`
        kept for it (computed again when next asked) and hold its metadata as a FrozenMeta,
        equal to the dict it replaces. The bead's value does not change."""
        object.__setattr__(self, "_derived", None)
        if type(self.metadata) is dict:
            object.__setattr__(self, "metadata", FrozenMeta(self.metadata))

    def with_meta(self, changes: Mapping[str, str]) -> SessionBead:
        """A copy with metadata changes applied ("" deletes a key)."""
        md = dict(self.metadata)
        for k, v in changes.items():
            if v == "" or v is None:
                md.pop(k, None)
            else:
                md[k] = str(v)
        return SessionBead(self.id, self.created_at, md, self.open, self.title, self.labels)

    # ---- derived classifications (pure functions of the bead) ----
    @property
    def fallback_route(self) -> str:
        """retiredSessionFallbackRoute: the pool route work released from this session goes back
        to, its template metadata (trimmed, as stored), else its agent_name."""
        return self.template.strip() or self.agent_name.strip()

    @property
    def is_named(self) -> bool:
        """isNamedSessionBead: configured_named_session is "true" once trimmed. The flag alone
        decides; a session_origin of "named" without it is not a configured named session."""
        return self.metadata.get(CONFIGURED_NAMED_SESSION, "").strip() == "true"

    @property
    def origin(self) -> str:
        """sessionOrigin: session_origin (trimmed) when set; else "named" for the named flag,
        "manual" for a manual session, "ephemeral" for raw pool markers or an agent or session
        name `<template>-N` with N above 0; else ""."""
        return self.derived(_session_origin)

    @property
    def is_ephemeral(self) -> bool:
        """isEphemeralSessionBead: the origin, stored or derived, is "ephemeral"."""
        return self.origin == "ephemeral"

    @property
    def pool_managed(self) -> bool:
        """isPoolManagedSessionBead: ephemeral, pool_managed "true" (trimmed), or a pool_slot."""
        return self.derived(_pool_managed)

    @property
    def is_manual(self) -> bool:
        """isManualSessionBead: session_origin "manual" (trimmed) or manual_session exactly "true"."""
        md = self.metadata  # read directly: asked of every open bead several times a tick
        return md.get(SESSION_ORIGIN, "").strip() == "manual" or md.get(MANUAL_SESSION) == "true"

    @property
    def recorded_agent_name(self) -> str:
        """sessionBeadAgentName: agent_name, else the first `agent:` label."""
        if self.agent_name:
            return self.agent_name
        for lab in sorted(self.labels):
            if lab.startswith("agent:"):
                return lab[len("agent:"):]
        return ""

    @property
    def drained(self) -> bool:
        s = self.state
        return s == "drained" or (s == "asleep" and self.metadata.get(SLEEP_REASON, "") == "drained")

    @property
    def failed_create(self) -> bool:
        """isFailedCreateSessionInfo: the state, trimmed, is failed-create."""
        return self.state.strip() == "failed-create"

    @property
    def pending_claim(self) -> bool:
        return self.metadata.get(PENDING_CREATE_CLAIM, "") == "true"

    @property
    def pool_slot(self) -> int:
        try:
            return int(self.metadata.get(POOL_SLOT, "") or 0)
        except ValueError:
            return 0

    @property
    def dependency_only(self) -> bool:
        return self.metadata.get(DEPENDENCY_ONLY, "") == "true"

    def alias_history(self) -> list[str]:
        return [x.strip() for x in self.get(ALIAS_HISTORY).split(",") if x.strip()]

    def assignee_identities(self) -> tuple[str, ...]:
        """session.AssigneeIdentities: id, session_name, named identity, alias, alias history,
        each trimmed (an identity stored as "  reviewer  " answers to work for `reviewer`)."""
        return self.derived(_assignee_identities)  # every tick asks this of every open bead several times

    def identities(self) -> list[str]:
        """Every spelling an operator might use for this session."""
        seen: list[str] = []
        for v in [self.id, self.session_name, self.agent_name, self.alias, self.get(CONFIGURED_NAMED_IDENTITY),
                  self.title, *self.alias_history()]:
            if v and v not in seen:
                seen.append(v)
        return seen


def _assignee_identities(b: SessionBead) -> tuple[str, ...]:
    md = b.metadata
    out = []
    for v in (b.id, md.get(SESSION_NAME, ""), md.get(CONFIGURED_NAMED_IDENTITY, ""), md.get(ALIAS, "")):
        v = v.strip()
        if v:
            out.append(v)
    history = md.get(ALIAS_HISTORY, "")
    if history:
        out.extend(x.strip() for x in history.split(",") if x.strip())
    return tuple(out)


def _session_origin(b: SessionBead) -> str:
    md = b.metadata
    o = md.get(SESSION_ORIGIN, "").strip()
    if o:
        return o
    if b.is_named:
        return "named"
    if b.is_manual:
        return "manual"
    if (md.get(POOL_MANAGED, "").strip() == "true" or md.get(POOL_SLOT, "").strip()
            or md.get(DEPENDENCY_ONLY, "").strip() == "true"):
        return "ephemeral"
    template = md.get(TEMPLATE, "").strip()
    if template and (resolve_pool_slot(b.recorded_agent_name.strip(), template) > 0
                     or resolve_pool_slot(md.get(SESSION_NAME, "").strip(), template) > 0):
        return "ephemeral"
    return ""


def _pool_managed(b: SessionBead) -> bool:
    md = b.metadata
    return b.is_ephemeral or md.get(POOL_MANAGED, "").strip() == "true" or bool(md.get(POOL_SLOT, "").strip())


def push_alias_history(history: str, old_alias: str, current: str) -> str:
    """Newest first, de-duplicated, never containing the current alias."""
    items = [old_alias] + [x.strip() for x in history.split(",") if x.strip()]
    out: list[str] = []
    for x in items:
        if x and x != current and x not in out:
            out.append(x)
    return ",".join(out)


ROUTED_TO = "gc.routed_to"
RUN_TARGET = "gc.run_target"
# beadmeta.SessionAffinityMetadataKeys: cleared whenever work is released from its session
SESSION_AFFINITY_KEYS = ("gc.session_affinity", "gc.continuation_group")
KIND = "gc.kind"
KIND_WORKFLOW = "workflow"
MOLECULE_TYPES = frozenset({"molecule", "wisp"})
# Bead types Ready() never returns (readyExcludeTypes): containers, steps, gates and bookkeeping.
READY_EXCLUDED_TYPES = frozenset({"merge-request", "gate", "molecule", "step", "convoy", "message", "session",
                                  "agent", "role", "rig"})


@dataclass(frozen=True, slots=True)
class WorkBead:
    """A work bead: what the reconciler reads (status, assignee, route, priority, ready), the
    store it lives in ("" = the city store, else a rig name), its bead type and any other
    metadata (sorted key/value pairs; gc.routed_to is `routed_to`)."""

    id: str
    status: str = "open"  # open | in_progress | closed
    assignee: str = ""
    routed_to: str = ""
    priority: int = 0
    ready: bool = True
    created_at: datetime | None = None
    title: str = ""
    store: str = ""
    type: str = ""
    metadata: tuple[tuple[str, str], ...] = ()

    def with_(self, **changes) -> WorkBead:
        d = {f: getattr(self, f) for f in self.__slots__}
        d.update(changes)
        if isinstance(d.get("metadata"), dict):
            d["metadata"] = tuple(sorted(d["metadata"].items()))
        return WorkBead(**d)

    @property
    def actionable(self) -> bool:
        return self.status == "in_progress" or (self.status == "open" and self.is_ready)

    @property
    def is_ready(self) -> bool:
        """What a store's Ready() query returns: open-ready by the scenario's `ready` flag (its
        dependencies are closed) and not of a type Ready() excludes (molecule, step, gate, ...)."""
        return self.ready and self.type not in READY_EXCLUDED_TYPES

    def get(self, key: str) -> str:
        """A metadata value ("" when absent); gc.routed_to reads `routed_to`."""
        if key == ROUTED_TO:
            return self.routed_to
        for k, v in self.metadata:
            if k == key:
                return v
        return ""

    @property
    def meta(self) -> dict[str, str]:
        """Every metadata key, gc.routed_to included when set."""
        out = dict(self.metadata)
        if self.routed_to:
            out[ROUTED_TO] = self.routed_to
        return out

    @property
    def route(self) -> str:
        """routedToOrLegacyWorkflowTarget: gc.routed_to, else the gc.run_target of a workflow
        (gc.kind = workflow) bead that has no gc.routed_to."""
        routed = self.routed_to.strip()
        if routed:
            return routed
        if self.get(KIND).strip() != KIND_WORKFLOW:
            return ""
        return self.get(RUN_TARGET).strip()

    @property
    def releasable(self) -> bool:
        """Whether a session close or retirement may release this bead as work: not a mail
        message (excludeMailMessageBeads: a mail wisp's assignee is its only route to an inbox)
        and not a session bead (IsSessionBeadOrRepairable)."""
        return self.type not in ("message", "session")

    def released(self, fallback_route: str = "") -> WorkBead:
        """ReleaseWorkBead: unassigned, in-progress reset to open, session affinity cleared; the
        fallback route is stamped as gc.run_target only when the bead has neither a gc.run_target
        nor a gc.routed_to (gc.routed_to itself is never written here: route recovery backfills
        it from gc.run_target on a later tick)."""
        meta = {k: v for k, v in self.metadata if k not in SESSION_AFFINITY_KEYS}
        if fallback_route and not self.routed_to.strip() and not self.get(RUN_TARGET).strip():
            meta[RUN_TARGET] = fallback_route
        return self.with_(status="open", assignee="", metadata=meta)

    @property
    def molecule_root_demand(self) -> bool:
        """isOpenAssignedMoleculeWork: open, assigned, a molecule or wisp type, and ephemeral (a
        wisp) or a workflow root (gc.kind = workflow)."""
        return (self.status == "open" and bool(self.assignee.strip()) and self.type in MOLECULE_TYPES
                and (self.type == "wisp" or self.get(KIND).strip() == KIND_WORKFLOW))


WAIT_TERMINAL_STATES = frozenset({"closed", "canceled", "expired", "failed"})


@dataclass(frozen=True, slots=True)
class WaitBead:
    """A durable wait (`gc wait`): a session parked until its dependencies close (`kind =
    "deps"`, all of them or, with `dep_mode = "any"`, one) or until it is marked ready; it
    expires at `expires_at`. `registered_epoch` is the session's continuation epoch when the
    wait was registered (a later conversation cancels it)."""

    id: str
    session_id: str
    state: str = "pending"  # pending | ready | closed | canceled | expired | failed
    kind: str = "deps"
    dep_ids: tuple[str, ...] = ()
    dep_mode: str = "all"
    registered_epoch: str = ""
    expires_at: str = ""
    reason: str = ""  # why a terminal wait ended (continuation-stale, session-closed, ...)

    @property
    def terminal(self) -> bool:
        return self.state in WAIT_TERMINAL_STATES

    def with_(self, **changes) -> WaitBead:
        d = {f: getattr(self, f) for f in self.__slots__}
        d.update(changes)
        return WaitBead(**d)


@tick_memo()
def natural_key(s: str) -> tuple:
    """Sort key that orders gc-2 before gc-10 (model-made ids) and strings otherwise."""
    return tuple(int(p) if p.isascii() and p.isdigit() and len(p) < 4000 else p
                 for p in re.split(r"([0-9]+)", s))
