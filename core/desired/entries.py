"""Desired state records: one entry per desired session, with its source tier and why chain."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
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
        self._by_template: dict[str, dict[str, DesiredEntry]] | None = {}
        for key, entry in dict(*args, **kwargs).items():
            self[key] = entry

    def _groups(self) -> dict[str, dict[str, DesiredEntry]]:
        groups = self._by_template
        if groups is None:  # released (release_groups): grouped again, in the entries' order
            groups = {}
            for key, entry in self.items():
                groups.setdefault(entry.template, {})[key] = entry
            self._by_template = groups
        return groups

    def __setitem__(self, key: str, entry: DesiredEntry) -> None:
        groups = self._groups()
        old = self.get(key)
        if old is not None:
            groups.get(old.template, {}).pop(key, None)
        super().__setitem__(key, entry)
        groups.setdefault(entry.template, {})[key] = entry

    def of_template(self, template: str) -> list[DesiredEntry]:
        """The entries of `template`, in the order they were set under it (in the entries' order
        once the groups were released)."""
        return list(self._groups().get(template, {}).values())

    def share_groups(self, previous: Entries) -> None:
        """Take `previous`'s group of a template when it holds the same entry objects in the same
        order (recorded builds keep one copy of what did not change)."""
        theirs = previous._groups()
        for template, group in self._groups().items():
            old = theirs.get(template)
            if old is not None and old is not group and _same_objects(old, group):
                self._groups()[template] = old

    def release_groups(self) -> None:
        """Drop the groups by template (derived from the entries, and only the build reads them:
        a recorded build whose groups a newer one has shared need not keep them; they are made
        again if asked)."""
        self._by_template = None


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
        them, the requests, the base keys, the roots, the counts and id lists) that holds the
        same objects or equal values, so consecutive recorded builds share what did not change.
        Within what did change, a request equal to one of `previous`'s, an entry's field equal
        to the previous entry's under its key, and a why step equal to one of `previous`'s
        become `previous`'s objects too (most of a changed entry or request list repeats the
        last build's).
        Values stay equal; call it only once neither result is being built or synced any more
        (entries are mutable while a tick runs)."""
        if previous is None or previous is self:
            return
        whys: dict[Why, Why] | None = None
        for key, entry in self.entries.items():
            old = previous.entries.get(key)
            if old is entry:
                continue
            if old is not None and old == entry:
                self.entries[key] = old
                continue
            if whys is None:
                whys = {w: w for e in previous.entries.values() for w in e.why}
            _share_parts(entry, old, whys)
        known: dict[tuple, Request] | None = None
        for key, reqs in self.requests.items():
            old_reqs = previous.requests.get(key)
            if old_reqs is reqs:
                continue
            if old_reqs is not None and old_reqs == reqs:
                self.requests[key] = old_reqs
                continue
            if known is None:
                known = {_request_key(r): r for rs in previous.requests.values() for r in rs}
            reqs[:] = [known.get(_request_key(r), r) for r in reqs]
        if _same_objects(previous.entries, self.entries):
            self.entries = previous.entries
        else:
            self.entries.share_groups(previous.entries)
        if _same_objects(previous.requests, self.requests):
            self.requests = previous.requests
        for name in _SHARED_WHEN_EQUAL:
            mine, theirs = getattr(self, name), getattr(previous, name)
            if mine is not theirs and mine == theirs:
                setattr(self, name, theirs)
        if self.logs is not previous.logs:  # most of a build's log lines repeat the last build's
            texts = {x: x for x in previous.logs}
            self.logs[:] = [texts.get(x, x) for x in self.logs]


    def retire(self, newer: DesiredResult) -> None:
        """`newer` (the next recorded build) has shared with this one (share_unchanged), and no
        build will run on this one again: drop what only a build reads and what only sharing
        needed, which every recorded step would otherwise keep. The groups by template (a dict
        of every template) are made again if asked; the root templates are only read while
        dependency floors are realized, so they are emptied unless `newer` holds them."""
        if newer is self:
            return
        if self.entries is not newer.entries:
            self.entries.release_groups()
        if self.roots is not newer.roots:
            self.roots = set()

# DesiredResult's plain containers of values (counts, flags, ids, texts): an equal one is
# replaced by the previous build's object (share_unchanged).
_SHARED_WHEN_EQUAL = ("base_keys", "roots", "scale_check_counts", "pool_requests", "pool_desired",
                      "partial_templates", "partial_reasons", "alias_held", "named_demand", "named_routed_demand",
                      "assigned_work_ids", "collected_work_ids", "floor_created", "duplicate_floors", "logs")
_ENTRY_FIELDS = tuple(f.name for f in fields(DesiredEntry) if f.name != "why")


def _share_parts(entry: DesiredEntry, old: DesiredEntry | None, whys: dict[Why, Why]) -> None:
    """Give a changed or new `entry` the previous entry's value of each field where they are
    equal, and the previous build's why steps where equal."""
    if old is not None:
        for name in _ENTRY_FIELDS:
            mine, theirs = getattr(entry, name), getattr(old, name)
            if mine is not theirs and mine == theirs:
                setattr(entry, name, theirs)
        if entry.why == old.why:
            entry.why = old.why
            return
    entry.why[:] = [whys.get(w, w) for w in entry.why]


def _request_key(r: Request) -> tuple:
    """A request's value (Request is a mutable dataclass, so it cannot key a dict itself)."""
    return tuple(getattr(r, name) for name in _REQUEST_FIELDS)


_REQUEST_FIELDS = tuple(f.name for f in fields(Request))
