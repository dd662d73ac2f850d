"""Invariants checked after every scenario step; a breach is a model bug, reported loudly.

The session-lifecycle chaos invariants of Gas City (session_lifecycle_chaos_test.go), plus:
no two open beads share an alias (a failed-create bead
never holds one: ensureSessionAliasAvailable skips it); once the two-tick reclaim has run, no desired bead of a
canonical singleton keeps a `name-N` identity unless its alias reclaim is still deferred;
live pool sessions desired for demand (not only rediscovered, not dependency floors) that are
neither draining nor holding work never exceed their caps. Where Gas City's code breaks these
itself, the exact case is exempt (docs/reconcile.md, Invariants): a superseded named predecessor
sharing its alias (#4741), a bead's own session name read as a legacy slot (city- or
rig-scoped), GC_TEMPLATE checked against the configured template as Gas City's chaos harness
does, and a runtime started as an unqualified template that a reload qualified on its bead.

They encode Gas City's guarantees, not stricter ones: a runtime belongs to a bead by its session
id and instance token (not by name); an asleep bead may keep its create claim while a startup
lease longer than the 60 s stale-creating window is active; a live claimed bead may be awake
while its start is in flight; a bead closed by a pending-create rollback may keep its runtime
until the next tick's hygiene reaps it; a named bead the sync reopened for a fresh spawn is
`stopped` with its create claim until the reconcile heals it to start-pending. Gas City's own tests require each of these states.

Bead and runtime invariants apply to states the model produced: they are checked after
steps that ran a controller tick. A hand-written starting state may violate them; such a
violation is reported only if the model never repairs it (the bead is still exactly as
written when the scenario ends). Beads in a state the reconciler skips by design (unknown
or newer-version states) are exempt.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.desired.alias import superseded_named_predecessor
from core.identity import canonical_singleton, stale_suffixed
from core.reconcile.lifecycle import RECONCILER_KNOWN_STATES
from core.world import beads as B

if TYPE_CHECKING:
    from core.model.facade import Model
    from core.outcome import Outcome

# knownChaosLifecycleState plus start-pending: sync creates start-pending beads with a claim,
# and one that waits on the wake budget or a dependency keeps them across ticks.
VALID_STATES = (RECONCILER_KNOWN_STATES | {"draining", "archived", "closing"}) - {""}
RUNTIME_STATES = frozenset({"active", "awake", "draining"})
CLAIM_STATES = frozenset({"creating", "failed-create", "start-pending"})
CANCELABLE_EXEMPT = frozenset({"config-drift", "orphaned", "suspended"})


def _skipped_by_design(b: B.SessionBead) -> bool:
    return b.state not in RECONCILER_KNOWN_STATES and b.state not in ("draining", "archived")


def bead_violations(model: Model, *, reconciled: bool = True) -> list[tuple[str, str]]:
    """(bead id or "", message) for every invariant the current world breaks; `reconciled` is
    False after a step that ran a sync but no reconcile (a sync or build step)."""
    out: list[tuple[str, str]] = []
    aliases: dict[str, B.SessionBead] = {}
    open_names: dict[str, str] = {}
    for b in model.world.store.open_sessions():
        if b.session_name:
            open_names[b.session_name] = b.id
        out += _shared_alias(aliases, b)
        if _skipped_by_design(b):
            continue
        out += _open_bead_violations(model, b, reconciled)
    out += _closed_with_live_runtime(model, open_names)
    return out


def _shared_alias(aliases: dict[str, B.SessionBead], b: B.SessionBead) -> list[tuple[str, str]]:
    """No two open beads share an alias (a failed create and a superseded named predecessor
    excepted); `aliases` remembers which bead holds each alias seen so far."""
    if not b.alias:
        return []
    out: list[tuple[str, str]] = []
    held = aliases.get(b.alias)
    if held is not None and not _predecessor_pair(held, b) and not (held.failed_create or b.failed_create):
        out.append((b.id, f"alias {b.alias!r} held by two open beads: {held.id} and {b.id}"))
    if held is None or superseded_named_predecessor(held, b.alias) or held.failed_create:
        aliases[b.alias] = b
    return out


def _open_bead_violations(model: Model, b: B.SessionBead, reconciled: bool = True) -> list[tuple[str, str]]:
    """One open bead's state, claim, runtime and drain invariants."""
    rt = model.world.runtime
    out: list[tuple[str, str]] = []
    state = b.state.strip()
    if state not in VALID_STATES:
        out.append((b.id, f"open bead {b.id} has {'an empty' if not state else 'an invalid'} state {state!r}"))
    alive = bool(b.session_name) and rt.alive(b.session_name) and _owns_runtime(model, b)
    if alive:
        out += _live_runtime_violations(model, b, state)
    # Gas City's heal turns a live claimed bead into awake while its start is still in flight
    # (healStateWithRollbackInfo); the claim stays until the start commits
    # (TestReconcileSessionBeads_DefersPendingCreateRecoveryWhileStartInFlight).
    awake_in_flight = state == "awake" and alive and _start_in_flight(model, b)
    # reopenClosedConfiguredNamedSessionBead writes syncSessionCachedState's `stopped` with a
    # fresh create claim for a runtime that is not running; the reconcile's heal makes it
    # start-pending (healStateWithRollbackInfo), so it may stand only until a reconcile has run
    reopened = state == "stopped" and not reconciled
    if b.pending_claim and state not in CLAIM_STATES and not _asleep_within_lease(model, b) \
            and not awake_in_flight and not reopened:
        out.append((b.id, f"bead {b.id} has pending_create_claim with state {state!r}"))
    d = model.world.memory.drains.get(b.id)
    if d is not None and d.reason not in CANCELABLE_EXEMPT and alive and rt.pending(b.session_name) \
            and not b.get(B.WAIT_HOLD) and not _blocked(b, model):
        out.append((b.id, f"bead {b.id} has a pending interaction beside a cancelable {d.reason!r} drain"))
    return out


def _live_runtime_violations(model: Model, b: B.SessionBead, state: str) -> list[tuple[str, str]]:
    """A bead whose runtime is alive: a runtime state, no claim left once the start is done, and
    the runtime's env naming this bead (GC_TEMPLATE may name the configured or requalified
    template) with its instance token and epoch."""
    rt = model.world.runtime
    out: list[tuple[str, str]] = []
    if state not in RUNTIME_STATES:
        out.append((b.id, f"runtime {b.session_name!r} is alive while bead {b.id} has state {state!r}"))
    if b.pending_claim and not _start_in_flight(model, b):
        out.append((b.id, f"runtime {b.session_name!r} is alive while bead {b.id} keeps pending_create_claim"))
    rs = rt.get(b.session_name)
    if rs is None or not rs.env:
        return out
    env = rs.env
    for key, want in (("GC_SESSION_ID", b.id), ("GC_SESSION_NAME", b.session_name), ("GC_TEMPLATE", b.template)):
        if key == "GC_TEMPLATE" and env.get(key, "") != want \
                and (env.get(key, "") == _configured_template(model, b)
                     or _requalified_template(model, b, env.get(key, ""))):
            continue
        if env.get(key, "") != want:
            out.append((b.id, f"runtime {b.session_name!r} env {key}={env.get(key, '')!r}, want {want!r}"))
    for key in ("GC_INSTANCE_TOKEN", "GC_RUNTIME_EPOCH"):
        if not env.get(key):
            out.append((b.id, f"runtime {b.session_name!r} env {key} is empty"))
    return out


def _closed_with_live_runtime(model: Model, open_names: dict[str, str]) -> list[tuple[str, str]]:
    """A closed bead whose name no open bead took keeps no live runtime of its own (beyond the
    tick that closed it)."""
    rt = model.world.runtime
    out: list[tuple[str, str]] = []
    for b in model.world.store.all_sessions():
        if b.open or not b.session_name or b.session_name in open_names:
            continue
        rs = rt.get(b.session_name)
        if rs is not None and rs.alive and rs.session_id == b.id and not _closed_this_tick(model, b):
            out.append((b.id, f"closed bead {b.id} still has a live runtime {b.session_name!r}"))
    return out


def _owns_runtime(model: Model, b: B.SessionBead) -> bool:
    """Gas City matches a runtime to a bead by its session id and instance token
    (runningSessionMatchesPendingCreate), not by name: a live runtime under the bead's name that
    carries another bead's id or token is not this bead's (the reconciler rolls such a create
    back). A runtime that carries neither (started outside the controller) goes by name."""
    from core.world.runtime import META_INSTANCE_TOKEN, META_SESSION_ID

    rt = model.world.runtime
    live_id = rt.get_meta(b.session_name, META_SESSION_ID).strip()
    if live_id:
        return live_id == b.id
    live_token = rt.get_meta(b.session_name, META_INSTANCE_TOKEN).strip()
    token = b.get(B.INSTANCE_TOKEN).strip()
    return not live_token or not token or live_token == token


def _start_in_flight(model: Model, b: B.SessionBead) -> bool:
    """A live, claimed bead whose start is still in flight (pendingCreateStartInFlight): heal
    already calls it awake, the claim is committed once the start finishes (Gas City's
    reconciler tests hold this state for a tick)."""
    from core.reconcile.lease import start_in_flight

    return start_in_flight(b, model.world.now, _startup_timeout(model))


def _asleep_within_lease(model: Model, b: B.SessionBead) -> bool:
    """healStatePatchWithRollback turns a creating bead stale after 60 s into `asleep` but keeps
    its claim while the configured startup lease (longer than 60 s) is still active."""
    from core.reconcile.lease import lease_active

    timeout = _startup_timeout(model)
    return b.state.strip() == "asleep" and timeout > 60.0 and lease_active(b, model.world.now, timeout)


def _closed_this_tick(model: Model, b: B.SessionBead) -> bool:
    """A bead closed by a pending-create rollback during this tick: its runtime is reaped by the
    next tick's hygiene (reapRuntimesBoundToClosedBeads), not in the same tick."""
    from core.formats.timefmt import parse_time

    closed = parse_time(b.get(B.CLOSED_AT))
    return closed is not None and closed == model.world.now and b.state.strip() == "failed-create"


def _startup_timeout(model: Model) -> float:
    return model.city.session.startup_timeout_seconds()


def _configured_template(model: Model, b: B.SessionBead) -> str:
    """The template the running config gives the bead: its [[named_session]]'s backing template,
    else the agent its template, agent_name or namepool name resolves to. Gas City's chaos
    harness checks GC_TEMPLATE against the configured template; sync writes a bead's `template`
    only when it is empty or rig-unqualified, so after a reload moves a named session or
    recovers a bead to another agent the bead keeps the old one while starts use the new one
    (PROP06, PROP08)."""
    from core.desired.context import BuildContext

    if b.is_named:
        spec = model.city.named_by_identity(b.get(B.CONFIGURED_NAMED_IDENTITY).strip())
        if spec is not None:
            return spec.template_qualified
    return BuildContext(model.city, model.world, model.semantics, []).template_of(b)


def _requalified_template(model: Model, b: B.SessionBead, started_as: str) -> bool:
    """A runtime started as an unqualified template whose bead a reload later handed to a rig
    agent: sync rewrites a rig-unqualified stored template to the entry's qualified one
    (syncSessionBeads), so the bead says `<dir>/<name>` while the process keeps the env it was
    started with for as long as it runs. The new agent may share the local name
    (resolveLegacyPoolTemplate, PROP10) or not (recovered by its namepool name, PROP11). Sync
    never rewrites a qualified template and never unqualifies one, and it qualifies only with
    the rig of a rig-scoped entry (`<rig>/<template>`), so exactly the pair GC_TEMPLATE without a
    `/` beside a bead template naming a configured agent `<dir>/<name>` is exempt."""
    if not started_as or "/" in started_as:
        return False
    rig, slash, _ = b.template.rpartition("/")
    a = model.city.agent(b.template) if slash else None
    return a is not None and a.dir == rig


def _predecessor_pair(a: B.SessionBead, b: B.SessionBead) -> bool:
    """Two open beads may share alias A when one of them is an asleep configured-named
    predecessor holding A as its session_name (#4741): Gas City's alias check skips such a
    holder, alias and all, when the identity's own live holder claims A, and nothing clears
    the predecessor's alias afterwards (incident S7)."""
    alias = a.alias
    return superseded_named_predecessor(a, alias) != superseded_named_predecessor(b, alias)


def _blocked(b: B.SessionBead, model: Model) -> bool:
    from core.trackers.timers import timer_blocker

    return timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), model.world.now) != ""


def singleton_violations(model: Model) -> list[tuple[str, str]]:
    """A bead the build desires for a canonical singleton must carry the canonical identity
    unless its alias reclaim is still deferred (pool_alias_conflict pending). A bead that is
    only rediscovered is exempt: discovery keeps a bead's identity as it is (Gas City normalizes
    only the beads it selects for demand) and the reconciler decides its fate."""
    out: list[tuple[str, str]] = []
    desired = model.last_desired
    if desired is None:
        return out
    for e in desired.entries.values():
        a = model.city.agent(e.template)
        if a is None or not canonical_singleton(a, model.semantics) or e.manual or e.named or not e.bead_id \
                or e.source == "discovered":
            continue
        b = model.world.store.session(e.bead_id)
        qn = a.qualified_name
        # Only a reclaim of the canonical alias itself waits on a holder (pool_alias_conflict
        # names the alias the bead could not take); any other recorded conflict exempts nothing.
        if b is None or not b.open or b.is_manual or b.get(B.POOL_ALIAS_CONFLICT).strip() == qn:
            continue
        if _own_name_as_legacy_slot(b, a, e.template):
            continue
        if stale_suffixed(a, b.alias) or stale_suffixed(a, b.agent_name) or b.get(B.POOL_SLOT):
            out.append((b.id, f"canonical singleton {qn}: desired bead {b.id} keeps identity "
                              f"agent_name={b.agent_name!r} alias={b.alias!r} pool_slot={b.get(B.POOL_SLOT)!r}"))
    return out


def _own_name_as_legacy_slot(b: B.SessionBead, a, template: str) -> bool:
    """Gas City's sync stamps an entry's instance name as agent_name when the stored one is the
    template (legacyTemplateIdentity); a dependency floor's instance name is the bead's own
    session name `<agent>-<bead id>` (ensureDependencyOnlyTemplate), which with bead ids
    `gc-<n>` reads as a stale slot, and the next build collapses it again. Exempt exactly the
    identity sync leaves:
    - city-scoped (PROP01, PROP02): resolvePoolSlot reads the session name as the legacy
      `<template>-gc-<n>` pool form, so alias and pool_slot are stamped from it too;
    - rig-scoped (PROP09): resolvePoolSlot against the qualified template reads nothing, so
      alias and pool_slot stay empty; only the build's bare `<agent>-gc-<n>` read sees a slot."""
    from core.identity import resolve_pool_slot

    sn = b.session_name.strip()
    if not sn or b.agent_name.strip() != sn:
        return False
    alias, slot_md = b.alias.strip(), b.get(B.POOL_SLOT).strip()
    slot = resolve_pool_slot(sn, template)
    if slot > 0:
        return alias in (sn, "") and slot_md == str(slot)
    return stale_suffixed(a, sn) and alias == "" and slot_md == ""


def cap_violations(model: Model) -> list[tuple[str, str]]:
    """Live pool sessions that are not draining and hold no work never exceed the agent's
    resolved cap, its rig's cap or the workspace cap. Only sessions the last build desires for
    demand count: one left out (its agent removed or suspended), or only rediscovered (its
    template's budget went elsewhere), is on its way out after the spawn-claim grace. Dependency
    floors do not count either: Gas City creates them outside the create budget
    (selectOrCreateDependencyPoolSessionBead)."""
    from core.desired.context import BuildContext

    store, rt, mem, city = model.world.store, model.world.runtime, model.world.memory, model.city
    entries = model.last_desired.entries.values() if model.last_desired else ()
    kept = {e.bead_id for e in entries if e.source != "discovered"}
    per_tpl: dict[str, int] = {}
    for b in store.open_sessions():
        if not b.pool_managed or b.is_named or b.is_manual or b.dependency_only or not rt.alive(b.session_name):
            continue
        if b.id not in kept:
            continue
        if b.id in mem.drains or b.state == "draining":
            continue
        keys = [b.id, b.session_name, b.get(B.CONFIGURED_NAMED_IDENTITY)]
        if any(store.work_assigned_to(k) for k in keys if k):
            continue
        per_tpl[b.template] = per_tpl.get(b.template, 0) + 1
    out: list[tuple[str, str]] = []
    ctx = BuildContext(city, model.world, model.semantics, [])
    per_rig: dict[str, int] = {}
    for tpl, n in sorted(per_tpl.items()):
        a = city.agent(tpl)
        if a is None:
            continue
        cap = ctx.cap(a)
        if cap is not None and n > cap:
            out.append(("", f"{n} live idle pool sessions of {tpl} exceed its cap of {cap}"))
        if a.dir:
            per_rig[a.dir] = per_rig.get(a.dir, 0) + n
    for rig_name, n in sorted(per_rig.items()):
        rig = city.rig(rig_name)
        if rig is not None and rig.max_active_sessions is not None and 0 <= rig.max_active_sessions < n:
            out.append(("", f"{n} live idle pool sessions in rig {rig_name} exceed its cap of {rig.max_active_sessions}"))
    ws = city.workspace.max_active_sessions
    total = sum(per_tpl.values())
    if ws is not None and 0 <= ws < total:
        out.append(("", f"{total} live idle pool sessions exceed the workspace cap of {ws}"))
    return out


# An undesired pool session is kept open through the spawn claim grace (startup_timeout + 60 s
# from its wake); the first tick past it drains the session with a deadline 300 s from that
# tick; the first tick past the deadline stops it. Each stage waits for a tick, so a clock that
# jumps between ticks moves the deadline with it: the session must be gone after a tick at
# least DRAIN_TIMEOUT past the first tick that was past the grace, and RETIRE_TICKS ticks since
# it left the desired set.
RETIRE_TICKS = 3


def retire_grace(model: Model) -> float:
    """Seconds an undesired pool session may stay open before its drain begins."""
    from core.reconcile.lease import POOL_SPAWN_CLAIM_GRACE

    return model.city.session.startup_timeout_seconds() + POOL_SPAWN_CLAIM_GRACE


def retire_bound(model: Model) -> float:
    """Seconds within which an undesired pool session is retired when ticks come often (the
    grace, then the drain deadline; see RETIRE_TICKS)."""
    from core.reconcile.drains import DRAIN_TIMEOUT

    return retire_grace(model) + DRAIN_TIMEOUT


def undesired_live_pool_sessions(model: Model) -> list[B.SessionBead]:
    """Open pool beads (not named, not manual) with a live runtime that the last build does not
    desire and that hold no open work: the reconciler drains and stops them (orphaned)."""
    if model.last_desired is None:
        return []
    store, rt = model.world.store, model.world.runtime
    wanted = {e.session_name for e in model.last_desired.entries.values()}
    out = []
    for b in store.open_sessions():
        if not b.pool_managed or b.is_named or b.is_manual or not b.session_name or b.session_name in wanted:
            continue
        if not rt.alive(b.session_name):
            continue
        keys = [b.id, b.session_name, b.get(B.CONFIGURED_NAMED_IDENTITY)]
        if any(w.status in ("open", "in_progress") for k in keys if k for w in store.work_assigned_to(k)):
            continue
        out.append(b)
    return out


class InvariantChecker:
    """Checks a scenario run step by step (see the module docstring for what counts)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.base = dict(model.world.store.sessions.items())
        self.ticks = 0
        self.initial = {(bid, msg) for bid, msg in bead_violations(model)}
        # bead id -> (first seen undesired, ticks then, the first tick time past the grace or None)
        self.undesired_since: dict[str, tuple[datetime, int, datetime | None]] = {}
        self.last = model.world.store.sessions  # the beads as the previous step left them
        self.desired_since: dict[str, int] = {}  # bead id -> tick count when a build first desired it

    def _untouched(self, bead_id: str) -> bool:
        b = self.model.world.store.session(bead_id)
        return bool(bead_id) and b is not None and self.base.get(bead_id) is b

    def _inherited(self, bead_id: str, msg: str) -> bool:
        """A breach the hand-written starting state already had, on a bead the model has not
        written since (finish() reports it if the model never repairs it). A new breach on an
        untouched bead (say, a runtime started for it) is the model's own."""
        return (bead_id, msg) in self.initial and self._untouched(bead_id)

    def after_step(self, out: Outcome) -> list[str]:
        """The breaches after a step that ran the controller: a tick, or a build or sync step
        (which write beads too); operator pokes are not checked."""
        if out.ticks <= 0 and out.desired is None:
            self._hand_written()
            return []
        self.ticks += out.ticks
        self.last = self.model.world.store.sessions
        if out.panic:
            return [f"the tick panicked (a model bug): {out.panic}"]
        found = bead_violations(self.model, reconciled=out.ticks > 0) + cap_violations(self.model)
        settled = self._settled(singleton_violations(self.model), out)
        if self.ticks >= 2:
            found += settled
        if out.ticks > 0:
            found += self._retirement()
        # A build alone repairs no bead state (only a tick's sync and reconcile do): after one,
        # every breach the starting state had is still the starting state's.
        built_only = out.ticks <= 0
        return [msg for bid, msg in found
                if not self._inherited(bid, msg) and not (built_only and (bid, msg) in self.initial)
                and bid not in out.faulted_beads]

    def _settled(self, found: list[tuple[str, str]], out: Outcome) -> list[tuple[str, str]]:
        """The singleton breaches of beads desired since before this step's last tick: a bead that
        just became desired (work assigned to it, say) gets the next build's normalization."""
        if out.ticks <= 0:
            return [f for f in found if f[0] in self.desired_since]
        desired = {e.bead_id for e in self.model.last_desired.entries.values() if e.bead_id} \
            if self.model.last_desired else set()
        before = self.desired_since
        self.desired_since = {bid: before.get(bid, self.ticks) for bid in desired}
        return [f for f in found if f[0] in before]

    def _hand_written(self) -> None:
        """After an operator's poke (set_session and the like), the beads it wrote count as
        hand-written, like the starting state: their breaches are theirs, not the model's."""
        sessions = self.model.world.store.sessions
        edited = {bid for bid, b in sessions.items() if self.last.get(bid) is not b}
        self.last = sessions
        if not edited:
            return
        self.base.update({bid: sessions[bid] for bid in edited})
        self.initial |= set(bead_violations(self.model))

    def _retirement(self) -> list[tuple[str, str]]:
        from core.reconcile.drains import DRAIN_TIMEOUT

        now = self.model.world.now
        grace, bound = retire_grace(self.model), retire_bound(self.model)
        seen = {}
        out = []
        for b in undesired_live_pool_sessions(self.model):
            since, ticks, drain_from = self.undesired_since.get(b.id, (now, self.ticks, None))
            waited = (now - since).total_seconds()
            if drain_from is None and waited >= grace:
                drain_from = now  # this tick drains it at the latest
            seen[b.id] = (since, ticks, drain_from)
            draining = (now - drain_from).total_seconds() if drain_from is not None else 0.0
            if self.ticks - ticks >= RETIRE_TICKS and waited > bound and draining > DRAIN_TIMEOUT:
                out.append((b.id, f"undesired pool session {b.session_name!r} (bead {b.id}) still runs "
                                  f"{waited:.0f}s and {self.ticks - ticks} ticks after it left the desired set "
                                  f"(bound {bound:.0f}s)"))
        self.undesired_since = seen
        return out

    def finish(self) -> list[str]:
        """Step-0 violations the model never repaired (the bead is still as written)."""
        if self.ticks == 0:
            return []
        now = {(bid, msg) for bid, msg in bead_violations(self.model)}
        return [f"at step 0, never repaired: {msg}" for bid, msg in sorted(self.initial & now)
                if self._untouched(bid)]
