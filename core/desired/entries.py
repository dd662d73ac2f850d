"""Desired state records: one entry per desired session, with its source tier and why chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCES = ("resume", "wake-known-identity", "new", "min-fill", "named-always", "named-on-demand", "discovered",
           "manual", "dependency-floor")


@dataclass(frozen=True)
class Why:
    """One step of an entry's "why this identity" chain: a rule code and a sentence for people."""

    rule: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail}


@dataclass
class Request:
    """A pool request (PoolRequest): which tier asked for a session of `template`."""

    template: str
    tier: str  # resume | wake-known-identity | new
    session_bead_id: str = ""
    work_bead_id: str = ""
    priority: int = 0
    floor: bool = False  # min fill (FloorGuarantee)
    inflight: bool = False
    work_store_ref: str = ""  # the trigger work bead's store ("city" or a rig; "" = no reference)
    brain_parent_sid: str = ""  # the fork parent the trigger work names (gc.brain_parent_sid)

    @property
    def resume_like(self) -> bool:
        return self.tier in ("resume", "wake-known-identity")

    @property
    def source(self) -> str:
        if self.floor:
            return "min-fill"
        return self.tier

    def to_json(self) -> dict[str, Any]:
        """The request as the state JSON's `requests` rows show it."""
        return {"tier": self.tier, "session_bead_id": self.session_bead_id, "work_bead_id": self.work_bead_id,
                "priority": self.priority, "floor": self.floor, "inflight": self.inflight}


@dataclass
class DesiredEntry:
    """Gas City's TemplateParams, reduced to what the reconciler and the operator need."""

    session_name: str
    template: str
    identity: str
    alias: str
    pool_slot: int
    source: str
    bead_id: str = ""
    named_identity: str = ""
    named_mode: str = ""
    manual: bool = False
    dependency_only: bool = False
    env_identity_stamped: bool = True
    work_bead_id: str = ""
    env: dict[str, str] = field(default_factory=dict)
    why: list[Why] = field(default_factory=list)

    @property
    def named(self) -> bool:
        return bool(self.named_identity)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_name": self.session_name,
            "template": self.template,
            "identity": self.identity,
            "alias": self.alias,
            "pool_slot": self.pool_slot,
            "source": self.source,
            "bead_id": self.bead_id,
            "named": self.named,
            "named_identity": self.named_identity,
            "named_mode": self.named_mode,
            "manual": self.manual,
            "dependency_only": self.dependency_only,
            "work_bead_id": self.work_bead_id,
            "env": dict(sorted(self.env.items())),
            "why": [w.to_json() for w in self.why],
        }


class Entries(dict):
    """Desired entries by session name, also grouped by template as they are set (the build asks
    "is anything of this template desired yet?" for every template and bead). Entries are only
    ever set, never deleted, and an entry's template does not change once set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        self._by_template: dict[str, dict[str, DesiredEntry]] = {}
        for key, entry in dict(*args, **kwargs).items():
            self[key] = entry

    def __setitem__(self, key: str, entry: DesiredEntry) -> None:
        old = self.get(key)
        if old is not None:
            self._by_template.get(old.template, {}).pop(key, None)
        super().__setitem__(key, entry)
        self._by_template.setdefault(entry.template, {})[key] = entry

    def of_template(self, template: str) -> list[DesiredEntry]:
        """The entries of `template`, in the order they were set under it."""
        return list(self._by_template.get(template, {}).values())

    def share_groups(self, previous: Entries) -> None:
        """Take `previous`'s group of a template when it holds the same entry objects in the same
        order (recorded builds keep one copy of what did not change)."""
        for template, group in self._by_template.items():
            old = previous._by_template.get(template)
            if old is not None and old is not group and _same_objects(old, group):
                self._by_template[template] = old


def _same_objects(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two dicts hold the same keys, in the same order, with the very same values."""
    return len(a) == len(b) and all(ka == kb and va is vb for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True))


@dataclass
class DesiredResult:
    """Everything one build produced: entries by session name, demand counts, requests and signals."""

    entries: Entries = field(default_factory=Entries)  # keyed by session_name
    scale_check_counts: dict[str, int] = field(default_factory=dict)
    # PoolDesiredCounts(ComputePoolDesiredStates): accepted requests per template, as the build
    # computed them (resume, new and min fill under the nested caps), before the tick's retention.
    pool_requests: dict[str, int] = field(default_factory=dict)
    # Gas City's DesiredStateResult.PoolDesiredCounts as the demand snapshot sets it: the request
    # counts with partial-read retention and the named-session demand merge applied (what the
    # awake computation reads as ScaleCheckCounts). See core/reconcile/demand_snapshot.py.
    pool_desired: dict[str, int] = field(default_factory=dict)
    requests: dict[str, list[Request]] = field(default_factory=dict)
    rejected: list[tuple[Request, str]] = field(default_factory=list)
    partial_templates: set[str] = field(default_factory=set)
    partial_reasons: dict[str, str] = field(default_factory=dict)
    alias_held: dict[str, str] = field(default_factory=dict)  # template -> holder bead id
    named_demand: dict[str, bool] = field(default_factory=dict)
    named_routed_demand: dict[str, bool] = field(default_factory=dict)
    assigned_work_ids: list[str] = field(default_factory=list)
    # Every actionable assigned work bead the build collected (result.AssignedWorkBeads), before
    # the pool-demand filter that gives assigned_work_ids.
    collected_work_ids: list[str] = field(default_factory=list)
    roots: set[str] = field(default_factory=set)
    # The session names desired before the session-bead overlay (discovery and dependency floors):
    # Gas City's BaseState, which each refreshDesiredState pass starts again from. Sorted; a tuple
    # because it is only walked in order (every recorded step keeps one).
    base_keys: tuple[str, ...] = ()
    # Beads a dependency floor created this tick, by template (the build and each refresh pass
    # add to it), and the floors a pass minted beside an earlier one its reuse lookup could not
    # see because sync had not stamped dependency_only yet: (template, new bead, earlier beads).
    floor_created: dict[str, list[str]] = field(default_factory=dict)
    duplicate_floors: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    suspended: bool = False
    # StoreQueryPartial: a work store read failed or came back partial this tick (an injected
    # store fault), so the reconciler defers what an incomplete view could make wrong.
    store_query_partial: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.entries, Entries):
            self.entries = Entries(self.entries)

    def by_bead(self) -> dict[str, DesiredEntry]:
        return {e.bead_id: e for e in self.entries.values() if e.bead_id}

    def templates(self) -> set[str]:
        return {e.template for e in self.entries.values()}

    def sorted_entries(self) -> list[DesiredEntry]:
        return [self.entries[k] for k in sorted(self.entries)]

    def share_unchanged(self, previous: DesiredResult | None) -> None:
        """Swap each entry and request list that equals the one `previous` holds under the same
        key for `previous`'s object, and then each container (the entries, a template's group of
        them, the requests, the base keys, the roots) that holds the same objects, so
        consecutive recorded builds share what did not change.
        Values stay equal; call it only once neither result is being built or synced any more
        (entries are mutable while a tick runs)."""
        if previous is None or previous is self:
            return
        for key, entry in self.entries.items():
            old = previous.entries.get(key)
            if old is not None and old is not entry and old == entry:
                self.entries[key] = old
        for key, reqs in self.requests.items():
            old_reqs = previous.requests.get(key)
            if old_reqs is not None and old_reqs is not reqs and old_reqs == reqs:
                self.requests[key] = old_reqs
        if _same_objects(previous.entries, self.entries):
            self.entries = previous.entries
        else:
            self.entries.share_groups(previous.entries)
        if _same_objects(previous.requests, self.requests):
            self.requests = previous.requests
        if self.base_keys == previous.base_keys:
            self.base_keys = previous.base_keys
        if self.roots == previous.roots:
            self.roots = previous.roots
