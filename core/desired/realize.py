"""Step 5 of the build: turn pool requests into sessions (reuse, normalize, or create) under the
per-tick create budget (realizePoolDesiredSessions and build_desired_state_pool_info.go).

Per template, in three phases as Gas City runs them: A) each request, in accepted order, picks a
bead to reuse or plans a fresh create and claims its slot; B) planned creates are executed;
C) results become desired entries in request order (a failed create frees its slot).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from core.actions import Action
from core.config.city_config import Agent
from core.desired.alias import (
    CLEAR_CONFLICT,
    alias_holder,
    alias_taken_error,
    conflict_count,
    defer_changes,
    in_deferred_state,
    retry_due,
)
from core.desired.budget import CreateBudget
from core.desired.context import (
    BuildContext,
    is_manual_for,
    session_qualified_name,
)
from core.desired.entries import DesiredEntry, Request, Why
from core.desired.naming import (
    SessionNameError,
    derive_pool_session_name,
    resolve_tmux_alias,
    session_name_taken,
    validate_explicit_name,
)
from core.desired.slots import claim_for_bead, claim_preferred, existing_slot
from core.formats.goduration import go_quote
from core.formats.timefmt import format_time_seconds
from core.identity import request_identity, shape, stale_suffixed
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead, push_alias_history
from core.world.store import StoreWriteError


@dataclass
class Item:
    """One request's journey through the three phases."""

    request: Request
    bead: SessionBead | None = None
    slot: int = 0
    skip: bool = False
    create: bool = False  # a planned fresh create (Phase B executes it)
    create_error: str = ""
    why: list[Why] = field(default_factory=list)


def instance_token(bead_id: str, generation: str) -> str:
    """A deterministic stand-in for Gas City's random instance token."""
    return "tok-" + hashlib.sha1(f"{bead_id}:{generation}".encode()).hexdigest()[:12]


def shape_why(ctx: BuildContext, a: Agent) -> Why:
    """The why rule for the template's identity shape."""
    s = shape(a, None, ctx.semantics)
    return Why("shape." + s.kind.replace("-", "_"), s.detail)


def reusable(ctx: BuildContext, a: Agent, b: SessionBead, used: set[str], busy: set[str]) -> bool:
    """reusablePoolSessionInfo: open, not drained, failed-create, draining or asleep, not manual
    or named, holding no assigned work, not already used, and of this template."""
    return (b.open and not b.drained and not b.failed_create and b.state.strip() not in ("draining", "asleep")
            and not is_manual_for(a, b) and not b.is_named and b.id not in busy
            and b.id not in used and ctx.template_of(b) == a.qualified_name)


def identifies_canonical(b: SessionBead, qn: str) -> bool:
    """The bead already carries the canonical identity (agent_name, alias, title or agent: label)."""
    return qn in (b.agent_name.strip(), b.alias.strip(), b.title.strip()) or f"agent:{qn}" in b.labels


def bead_stale_suffixed(ctx: BuildContext, a: Agent, b: SessionBead) -> bool:
    """staleNonExpandingPoolSessionBeadInfo: a non-manual bead of a canonical singleton still
    carrying a numbered identity (agent_name, alias, title, an agent: label) or a pool_slot."""
    if not ctx.uses_canonical_singleton(a) or is_manual_for(a, b):
        return False
    for v in (b.recorded_agent_name, b.alias, b.title):
        if stale_suffixed(a, v, ctx.semantics):
            return True
    if any(stale_suffixed(a, lab[6:].strip(), ctx.semantics) for lab in b.labels if lab.startswith("agent:")):
        return True
    return bool(b.get(B.POOL_SLOT).strip())


def busy_bead_ids(ctx: BuildContext, work: list[WorkBead]) -> set[str]:
    """sessionBeadHasAssignedWorkInfo over the pool-demand assigned work: beads assigned work by
    id, session_name or configured named identity (never by alias)."""
    keys = {w.assignee.strip() for w in work if w.assignee.strip() and w.status in ("open", "in_progress")}
    busy: set[str] = set()
    for k in keys:
        b = ctx.store.session(k)
        if b is not None and b.open:
            busy.add(b.id)
        for b in ctx.store.open_by(B.SESSION_NAME, k) + ctx.store.open_by(B.CONFIGURED_NAMED_IDENTITY, k):
            busy.add(b.id)
    return busy


def _resumes_assigned_work(ctx: BuildContext, r: Request, b: SessionBead) -> bool:
    """poolRequestResumesAssignedWorkInfo: a resume whose exact work bead is still assigned to
    one of the bead's identities."""
    if r.tier != "resume" or r.session_bead_id != b.id or not r.work_bead_id:
        return False
    w = ctx.live_assigned_work(r.work_bead_id)
    if w is None:
        return False
    return bool(w.assignee.strip()) and w.assignee.strip() in b.assignee_identities()


# ---------------------------------------------------------------- singleton normalization

def normalize_singleton(ctx: BuildContext, a: Agent, b: SessionBead) -> tuple[SessionBead, list[Why]]:
    """normalizeNonExpandingPoolSessionInfoForSelection: collapse a reused bead of a canonical
    singleton onto the canonical identity (agent_name, alias, title, agent: labels, no pool_slot,
    conflict keys cleared). When the canonical alias is held by another live bead nothing of the
    collapse is written; instead the deferral is recorded (alias cleared, pool_alias_conflict,
    count+1, at=now), throttled by the 30 s -> 30 min backoff. Returns the bead as stored."""
    if not ctx.uses_canonical_singleton(a) or is_manual_for(a, b) or b.is_named:
        return b, []
    qn = a.qualified_name
    sem = ctx.semantics
    md: dict[str, str] = {}
    alias = b.alias.strip()
    deferred = b.get(B.POOL_ALIAS_CONFLICT).strip()

    def clear_conflict() -> None:
        md.update({k: "" for k in CLEAR_CONFLICT if b.get(k)})

    if stale_suffixed(a, b.recorded_agent_name, sem) and b.agent_name.strip() != qn:
        md[B.AGENT_NAME] = qn
    alias_update = False
    if (stale_suffixed(a, alias, sem) and alias != qn) or (not alias and deferred == qn):
        md[B.ALIAS] = qn
        md[B.ALIAS_HISTORY] = push_alias_history(b.get(B.ALIAS_HISTORY), alias, qn)
        clear_conflict()
        alias_update = True
    if alias == qn:
        clear_conflict()
    if b.get(B.POOL_SLOT).strip():
        md[B.POOL_SLOT] = ""
    title = qn if stale_suffixed(a, b.title, sem) and b.title.strip() != qn else None
    remove = {lab for lab in b.labels if lab.startswith("agent:") and stale_suffixed(a, lab[6:].strip(), sem)}
    add = {f"agent:{qn}"} if (md or title is not None or remove) and f"agent:{qn}" not in b.labels else set()
    if not md and title is None and not remove and not add:
        return b, []
    why: list[Why] = []
    if alias_update:
        # The owner is the canonical identity itself, so a [[named_session]] reservation of it never
        # refuses the claim: only another bead can hold it.
        holder, rule = alias_holder(ctx.store, qn, b.id, qn, ctx.named_identities)
        if holder is not None:
            who = holder.id
            ctx.log(f"buildDesiredState: pool {go_quote(qn)}: deferring singleton pool identity normalization for "
                    f"bead {b.id}: normalizing singleton pool identity for bead {b.id} to {go_quote(qn)}: "
                    f"{alias_taken_error(qn, who, rule)}")
            return record_deferred(ctx, a, b, who, rule)
    labels = (b.labels - remove) | add
    nb = ctx.store.update_session(b.id, md, title=title, labels=labels)
    ctx.log(f"buildDesiredState: pool {go_quote(qn)}: collapsing phantom pool identity for bead {b.id} to {go_quote(qn)}")
    ctx.actions.append(Action("normalize", b.id, b.session_name, "canonical-singleton",
                              f"{b.agent_name or b.id} -> {qn}", qn))
    if alias_update:
        why.append(Why("alias.reclaimed", f"the canonical alias {qn} was free: claimed and conflict keys cleared"))
    why.append(Why("alias.normalized", f"stale slot identity collapsed onto {qn}"))
    return nb, why


def record_deferred(ctx: BuildContext, a: Agent, b: SessionBead, who: str, rule: str) -> tuple[SessionBead, list[Why]]:
    """recordDeferredNonExpandingPoolAliasConflictInfo: clear the alias and count the conflict,
    unless the backoff says the last attempt was too recent (then nothing is written). `who` is
    the holder's id and `rule` the field it holds the alias by."""
    qn = a.qualified_name
    why = [Why("alias.deferred", f"{qn} is held by {who} ({rule}); retried with backoff")]
    count = conflict_count(b.get(B.POOL_ALIAS_CONFLICT_COUNT))
    if not retry_due(b.get(B.POOL_ALIAS_CONFLICT_AT), str(count), ctx.now):
        why.append(Why("alias.backoff", f"last attempt {b.get(B.POOL_ALIAS_CONFLICT_AT)} (count {count}) is "
                                        "inside the backoff window: nothing written"))
        return b, why
    nb = ctx.store.update_session(b.id, defer_changes(b, qn, ctx.now))
    ctx.actions.append(Action("defer_alias", b.id, b.session_name, "alias-held", f"{qn} held by {who} ({rule})", qn))
    return nb, why


# ---------------------------------------------------------------- creates

def create_pool_bead(ctx: BuildContext, a: Agent, identity: str, slot: int, trigger: str,
                     dependency_only: bool = False, trigger_store: str = "") -> tuple[SessionBead | None, list[Why], str]:
    """createPoolSessionBeadWithGuardedAlias: mint a start-pending pool bead. Its alias is set only
    when free (no owner: a configured [[named_session]] identity is reserved), else deferred.
    Returns (bead, why, error); a bad tmux_alias fails the create before anything is written.

    A dependency floor's bead is created exactly like any other pool bead: `dependency_only` is
    not written here (only sync stamps it), which is what lets a refresh pass mint a second floor
    bead (see core/desired/floors.py). `dependency_only` only names the create's reason."""
    qn = a.qualified_name
    try:
        tmux_alias = validate_explicit_name(resolve_tmux_alias(ctx, a))  # fails before any write
        bid = ctx.store.new_id()
        sn = derive_pool_session_name(qn, bid, tmux_alias, lambda n: session_name_taken(ctx, n, bid))
    except SessionNameError as e:
        return None, [], str(e)
    holder, rule = alias_holder(ctx.store, identity, "", "", ctx.named_identities)
    agent_name = identity or qn
    md = {
        B.TEMPLATE: qn, B.AGENT_NAME: agent_name, B.SESSION_NAME: sn,
        B.STATE: "start-pending", B.PENDING_CREATE_CLAIM: "true",
        B.PENDING_CREATE_STARTED_AT: format_time_seconds(ctx.now), B.SESSION_ORIGIN: "ephemeral",
        B.POOL_MANAGED: "true", B.GENERATION: "1", B.CONTINUATION_EPOCH: "1",
        B.INSTANCE_TOKEN: instance_token(bid, "1"), B.CANONICAL_INSTANCE_NAME: agent_name,
    }
    if slot > 0:
        md[B.POOL_SLOT] = str(slot)
        md[B.CANONICAL_POOL_SLOT] = str(slot)
    if trigger:  # poolTriggerMetadata
        md[B.TRIGGER_BEAD_ID] = trigger
        if trigger_store:
            md[B.TRIGGER_BEAD_STORE_REF] = trigger_store
    why: list[Why] = []
    if holder is None and not rule:
        md[B.ALIAS] = identity
        why.append(Why("alias.claimed", f"{identity} was free at create"))
    else:
        who = holder.id if holder is not None else "a configured [[named_session]]"
        why.append(Why("alias.deferred", f"{identity} unavailable at create: held by {who} ({rule})"))
    try:
        bead = ctx.store.create_session(md, ctx.now, bead_id=bid, title=agent_name, labels=[f"agent:{agent_name}"])
    except StoreWriteError as err:
        return None, [], f"creating pool session for {go_quote(qn)}: {err}"
    ctx.track_created(bead)
    ctx.actions.append(Action("create_bead", bid, sn, "dependency-floor" if dependency_only else "pool-demand",
                              agent_name, qn))
    if B.ALIAS not in md:
        ctx.actions.append(Action("defer_alias", bid, sn, "alias-unavailable", identity, qn))
    return bead, why, ""


# ---------------------------------------------------------------- entries

def base_env(a_qn: str, b: SessionBead, identity: str, origin: str = "ephemeral") -> dict[str, str]:
    """resolveTemplate's environment: GC_AGENT is the runtime name, GC_ALIAS the identity."""
    env = {"GC_TEMPLATE": a_qn, "GC_ALIAS": identity, "GC_AGENT": b.session_name, "GC_SESSION_ORIGIN": origin,
           "GC_SESSION_NAME": b.session_name, "GC_SESSION_ID": b.id}
    env.update(trigger_env(b))
    return env


def trigger_env(b: SessionBead) -> dict[str, str]:
    """sessionTriggerBeadEnv (resolveTemplateForSessionBeadInfo has the same): the work bead that
    triggered the session, under both names, and its store when the bead records one."""
    trig = b.get(B.TRIGGER_BEAD_ID).strip()
    if not trig:
        return {}
    env = {"GC_TRIGGER_BEAD_ID": trig, "GC_TRIGGER_WORK_BEAD_ID": trig}
    ref = b.get(B.TRIGGER_BEAD_STORE_REF).strip()
    if ref:
        env["GC_TRIGGER_BEAD_STORE_REF"] = ref
        env["GC_TRIGGER_WORK_STORE_REF"] = ref
    return env


def pool_entry(a: Agent, b: SessionBead, identity: str, slot: int, source: str, why: list[Why],
               work_bead: str = "") -> DesiredEntry:
    """setPoolTemplateRuntimeIdentity: the desired alias is the instance identity unless the bead is
    in a deferred alias state (no alias yet and a conflict record, pending claim or creating
    state); then Alias/GC_ALIAS are empty and GC_AGENT falls back to the session name."""
    env = base_env(a.qualified_name, b, identity)
    alias, stamped = identity, True
    if b.alias.strip() != identity.strip() and in_deferred_state(b):
        alias, stamped = "", False
        env["GC_ALIAS"] = ""
        env["GC_AGENT"] = b.session_name
    else:
        env["GC_ALIAS"] = env["GC_AGENT"] = identity
    return DesiredEntry(session_name=b.session_name, template=a.qualified_name, identity=identity, alias=alias,
                        pool_slot=slot, source=source, bead_id=b.id, env_identity_stamped=stamped,
                        work_bead_id=work_bead, env=env, why=why)


def manual_entry(ctx: BuildContext, a: Agent, b: SessionBead, source: str, why: list[Why],
                 work_bead: str) -> DesiredEntry:
    """A manual session keeps the identity persisted on its bead and its own alias; PoolSlot 0."""
    identity = session_qualified_name(a, b)
    env = base_env(a.qualified_name, b, identity)
    alias = b.alias.strip() or identity
    return DesiredEntry(session_name=b.session_name, template=a.qualified_name, identity=identity or b.session_name,
                        alias=alias, pool_slot=0, source=source, bead_id=b.id, manual=True,
                        env_identity_stamped=False, work_bead_id=work_bead, env=env,
                        why=why + [Why("shape.manual", "manual session: keeps its persisted identity and alias"),
                                   Why("alias.kept", f"keeps its own alias {alias}")])


DEMAND_WHY = {
    "resume": ("demand.resume", "assigned work {w} resumes this session"),
    "wake-known-identity": ("demand.wake_known_identity", "work {w} is assigned to the template identity and no session holds it"),
    "new": ("demand.new", "new demand (scale_check / routed work){wt}"),
    "min-fill": ("demand.min_fill", "min_active_sessions floor"),
}


def bind_trigger(ctx: BuildContext, b: SessionBead, r: Request) -> SessionBead:
    """bindPoolSessionTriggerBead (computePoolTriggerBindingPatch, the trigger id, its store and
    the fork parent): point the bead at the request's work bead, that bead's store and its
    gc.brain_parent_sid, or clear all three when the request carries none, in one write. A
    refused write leaves the bead as it was and is logged; the entry goes on without the new
    trigger. Work directories and pack metadata are not modelled."""
    want, have = r.work_bead_id.strip(), b.get(B.TRIGGER_BEAD_ID).strip()
    have_ref, want_ref = b.get(B.TRIGGER_BEAD_STORE_REF).strip(), r.work_store_ref.strip()
    patch: dict[str, str] = {}
    if not want:
        if have:
            patch[B.TRIGGER_BEAD_ID] = ""
        if have_ref:
            patch[B.TRIGGER_BEAD_STORE_REF] = ""
        if b.get(B.BRAIN_PARENT_SID).strip():
            patch[B.BRAIN_PARENT_SID] = ""
    else:
        if have != want:
            patch[B.TRIGGER_BEAD_ID] = want
            if b.get(B.BRAIN_PARENT_SID).strip() != r.brain_parent_sid.strip():
                patch[B.BRAIN_PARENT_SID] = r.brain_parent_sid.strip()
        if want_ref and have_ref != want_ref:
            patch[B.TRIGGER_BEAD_STORE_REF] = want_ref
        elif not want_ref and have != want and have_ref:
            patch[B.TRIGGER_BEAD_STORE_REF] = ""
    if not patch:
        return b
    refused = len(ctx.store.failed_writes)
    nb = ctx.store.update_session(b.id, patch)
    if len(ctx.store.failed_writes) > refused:
        err = ctx.store.failed_writes[-1].split(": ", 1)[-1]
        ctx.log(f"buildDesiredState: pool {go_quote(r.template)} session {b.id} trigger bead {r.work_bead_id}: "
                f"{err} (continuing without trigger env)")
    return nb


# ---------------------------------------------------------------- the three phases

def select_or_plan(ctx: BuildContext, a: Agent, r: Request, prefer: SessionBead | None, used: set[str],
                   used_slots: set[int], busy: set[str], budget: CreateBudget) -> Item:
    """selectOrPlanPoolSessionBead: the preferred bead (resume or in-flight), else the bead that
    already carries a canonical singleton's identity, else the earliest reusable bead, else a
    fresh create (refused when the demand read was partial or the create budget is spent)."""
    if prefer is not None and prefer.id not in used and not prefer.failed_create:
        return _take_preferred(ctx, a, r, prefer, used_slots)
    reused = _reuse_open_bead(ctx, a, r, used, used_slots, busy)
    if reused is not None:
        return reused
    return _plan_create(ctx, a, r, used_slots, budget)


def _take_preferred(ctx: BuildContext, a: Agent, r: Request, prefer: SessionBead, used_slots: set[int]) -> Item:
    """The preferred bead's branch of selectOrPlanPoolSessionBead: claim its slot (skipped when
    a concrete slot is already taken) and normalize a singleton's identity."""
    canonical = ctx.uses_canonical_singleton(a)
    item = Item(r)
    preserve = _resumes_assigned_work(ctx, r, prefer)
    slot = claim_preferred(ctx, a, prefer, preserve, used_slots)
    if slot == 0 and not canonical:
        ctx.log(f"buildDesiredState: pool {go_quote(a.qualified_name)} request: pool session {prefer.id} concrete slot already claimed (skipping)")
        item.skip = True
        return item
    item.slot = slot
    if canonical:
        item.why.append(Why("slot.canonical", "canonical singletons never take a slot (pool_slot stays empty)"))
    elif preserve and slot > (a.max_active_sessions or 0) > 0:
        item.why.append(Why("slot.preserved", f"assigned work keeps slot {slot} above max_active_sessions"))
    elif existing_slot(ctx, a, prefer) == slot:
        item.why.append(Why("slot.claimed_existing", f"kept the slot its identity names ({slot})"))
    else:
        item.why.append(Why("slot.lowest_free", f"its identity names no usable slot: lowest free slot ({slot})"))
    if is_manual_for(a, prefer):
        item.bead = prefer
        return item
    item.bead, nwhy = normalize_singleton(ctx, a, prefer)
    item.why += nwhy
    return item


def _reuse_open_bead(ctx: BuildContext, a: Agent, r: Request, used: set[str], used_slots: set[int],
                     busy: set[str]) -> Item | None:
    """The reuse branch of selectOrPlanPoolSessionBead: the open bead that already carries a
    canonical singleton's identity, else the earliest reusable bead; None when none fits."""
    qn = a.qualified_name
    canonical = ctx.uses_canonical_singleton(a)
    item = Item(r)
    beads = ctx.open_for_template(qn)
    if canonical:
        for b in (x for x in beads if reusable(ctx, a, x, used, busy)):
            if b.session_name.strip() and not bead_stale_suffixed(ctx, a, b) and identifies_canonical(b, qn):
                item.slot = claim_for_bead(ctx, a, b, used_slots)
                item.why.append(Why("slot.canonical", "reused the bead that already carries the canonical identity"))
                item.bead, nwhy = normalize_singleton(ctx, a, b)
                item.why += nwhy
                return item
    for b in beads:
        if not b.session_name.strip() or not reusable(ctx, a, b, used, busy):
            continue
        slot = claim_for_bead(ctx, a, b, used_slots)
        if slot == 0 and not canonical:
            continue
        item.slot = slot
        item.why.append(Why("slot.canonical", "earliest reusable bead, collapsed onto the canonical identity") if canonical
                        else Why("slot.reused", f"earliest reusable bead of the template, at slot {slot}"))
        item.bead, nwhy = normalize_singleton(ctx, a, b)
        item.why += nwhy
        return item
    return None


def _plan_create(ctx: BuildContext, a: Agent, r: Request, used_slots: set[int], budget: CreateBudget) -> Item:
    """The create branch of selectOrPlanPoolSessionBead: a fresh bead at the lowest free slot,
    refused (its slot released) when the demand read was partial or the create budget is spent."""
    qn = a.qualified_name
    item = Item(r)
    slot = claim_for_bead(ctx, a, None, used_slots)
    if qn in ctx.result.partial_templates:
        used_slots.discard(slot)
        ctx.log(f"buildDesiredState: pool {go_quote(qn)} request: pool session create skipped: demand read partial "
                "(partial demand read, fresh create blocked)")
        item.skip = True
        return item
    if not budget.try_claim(qn):
        used_slots.discard(slot)
        ctx.log(f"buildDesiredState: pool {go_quote(qn)} request: pool session create budget exhausted (fresh create deferred)")
        item.skip = True
        return item
    item.create, item.slot = True, slot
    item.why.append(Why("slot.canonical", "canonical singletons never take a slot (pool_slot stays empty)") if ctx.uses_canonical_singleton(a)
                    else Why("slot.lowest_free", f"lowest free slot ({slot})"))
    return item


def realize_template(ctx: BuildContext, a: Agent, reqs: list[Request], busy: set[str], budget: CreateBudget) -> None:
    """Realize one template's accepted requests in order into desired entries, in the three
    phases of realizePoolDesiredSessions: select or plan, create, finalize."""
    if ctx.refuse_transport(a, f"pool {go_quote(a.qualified_name)}"):
        return
    used: set[str] = set()
    used_slots: set[int] = set()
    items = _phase_a_select(ctx, a, reqs, used, used_slots, busy, budget)
    _phase_b_create(ctx, a, items, budget)
    _phase_c_finalize(ctx, a, items, used, used_slots)


def _phase_a_select(ctx: BuildContext, a: Agent, reqs: list[Request], used: set[str], used_slots: set[int],
                    busy: set[str], budget: CreateBudget) -> list[Item]:
    """Phase A of realizePoolDesiredSessions: for each request, a bead to reuse or a create to
    plan; a named session's bead is never taken as pool capacity, and no bead serves twice."""
    qn = a.qualified_name
    items: list[Item] = []
    for r in reqs:
        prefer = ctx.store.session(r.session_bead_id) if r.session_bead_id else None
        if prefer is not None and not prefer.open:
            prefer = None
        if prefer is not None and prefer.is_named and ctx.semantics != "pre-1989":
            ctx.log(f"buildDesiredState: pool {go_quote(qn)}: refusing to materialize named-session bead {prefer.id} "
                    f"as pool instance (would create phantom {go_quote(a.name)}-N sibling)")
            items.append(Item(r, skip=True))
            continue
        item = select_or_plan(ctx, a, r, prefer, used, used_slots, busy, budget)
        if not item.skip and item.bead is not None:
            if item.bead.id in used:
                item.skip = True
            else:
                used.add(item.bead.id)
        items.append(item)
    return items


def _phase_b_create(ctx: BuildContext, a: Agent, items: list[Item], budget: CreateBudget) -> None:
    """Phase B of realizePoolDesiredSessions: create the planned beads; a failed create keeps
    its error and gives its budget back."""
    for item in items:
        if not item.create:
            continue
        identity, _ = request_identity(a, item.slot, ctx.semantics)
        bead, why, err = create_pool_bead(ctx, a, identity, item.slot, item.request.work_bead_id,
                                          trigger_store=item.request.work_store_ref)
        if err:
            item.create_error = err
            budget.release()
            continue
        item.bead = bead
        item.why += why


def _phase_c_finalize(ctx: BuildContext, a: Agent, items: list[Item], used: set[str], used_slots: set[int]) -> None:
    """Phase C of realizePoolDesiredSessions: in request order, each item that holds a bead
    becomes a desired entry (a failed create releases its slot)."""
    res = ctx.result
    for item in items:
        if item.skip:
            continue
        if item.create and item.create_error:
            ctx.log(f"buildDesiredState: pool {go_quote(a.qualified_name)} request: {item.create_error} (skipping)")
            used_slots.discard(item.slot)
            continue
        b = item.bead
        assert b is not None  # a request without a create error holds its bead
        if item.create:
            if b.id in used:
                continue
            used.add(b.id)
        b = bind_trigger(ctx, b, item.request)
        res.entries[b.session_name] = _request_entry(ctx, a, b, item)


def _request_entry(ctx: BuildContext, a: Agent, b: SessionBead, item: Item) -> DesiredEntry:
    """The desired entry one realized request makes: its demand's why first, then the slot's;
    a manual bead keeps its own entry, a pool bead says whether its alias is claimed yet."""
    r = item.request
    why = [shape_why(ctx, a)]
    rule, text = DEMAND_WHY[r.source]
    if r.inflight:
        rule, text = "demand.inflight", "an in-flight create of this template already covers new demand"
    why.append(Why(rule, text.format(w=r.work_bead_id, wt=f"; trigger {r.work_bead_id}" if r.work_bead_id else "")))
    why += item.why
    if is_manual_for(a, b):
        return manual_entry(ctx, a, b, r.source, why, r.work_bead_id)
    identity, slot = request_identity(a, item.slot, ctx.semantics)
    entry = pool_entry(a, b, identity, slot, r.source, why, r.work_bead_id)
    if not entry.alias and not any(w.rule == "alias.deferred" for w in entry.why):
        entry.why.append(Why("alias.deferred", f"alias {identity} not yet claimed "
                                               f"({b.get(B.POOL_ALIAS_CONFLICT) or 'pending create'}); sync claims it"))
    elif entry.alias and not any(w.rule.startswith("alias.") for w in entry.why):
        entry.why.append(Why("alias.claimed", f"alias {entry.alias} (the instance identity)"))
    return entry


def realize(ctx: BuildContext) -> None:
    """Realize every template's accepted requests, templates in sorted order."""
    res = ctx.result
    busy = busy_bead_ids(ctx, ctx.assigned_work)
    budget = CreateBudget(ctx.city.max_wakes_per_tick)
    budget.configure_fair_share(res.requests, seed=ctx.world.tick)
    for qn, reqs in res.requests.items():
        a = ctx.agent(qn)
        if a is None:
            ctx.log(f"buildDesiredState: pool {go_quote(qn)} has demand but no matching agent in config (skipping)")
            continue
        if ctx.in_suspended_rig(a):
            continue
        realize_template(ctx, a, reqs, busy, budget)

