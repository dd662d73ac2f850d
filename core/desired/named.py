"""Step 6: configured [[named_session]] identities."""

from __future__ import annotations

from core.desired.context import BuildContext
from core.desired.model import DesiredEntry, Why
from core.identity import canonical_singleton, expanded_session_identities, session_name_for
from core.world import beads as B
from core.world.beads import SessionBead


def canonical_named_bead(ctx: BuildContext, identity: str, runtime_name: str, template_qn: str) -> SessionBead | None:
    for b in ctx.store.open_by(B.CONFIGURED_NAMED_IDENTITY, identity):
        if b.is_named and not b.failed_create:
            return b
    for name in (runtime_name, identity):
        for b in ctx.store.open_by(B.SESSION_NAME, name):
            if b.failed_create:
                continue
            if b.is_named and b.get(B.CONFIGURED_NAMED_IDENTITY) in ("", identity) and \
                    ctx.template_of(b) in ("", template_qn):
                return b
    return None


def named_conflict(ctx: BuildContext, identity: str, runtime_name: str) -> SessionBead | None:
    for b in ctx.store.open_by(B.SESSION_NAME, runtime_name) + ctx.store.open_by(B.ALIAS, identity):
        if not b.failed_create and not (b.is_named and b.get(B.CONFIGURED_NAMED_IDENTITY) == identity):
            return b
    return None


def named_work_ready(ctx: BuildContext, identity: str) -> bool:
    for w in ctx.store.work_assigned_to(identity):
        if w.status == "in_progress" or (w.status == "open" and w.ready):
            return True
    return False


def build_named(ctx: BuildContext) -> None:
    res = ctx.result
    for n in ctx.city.named_sessions:
        a = ctx.agent(n.template_qualified) or ctx.city.find_agent(n.template_qualified)
        if a is None or not ctx.agent_active(a):
            continue
        identity = n.identity
        runtime = session_name_for(ctx.city, identity)
        work = named_work_ready(ctx, identity)
        if work and identity == a.qualified_name and expanded_session_identities(a, ctx.semantics):
            work = False  # #3865: bare-template assignee on a multi-slot template is pool work
        res.named_demand[identity] = work
        res.named_routed_demand[identity] = (canonical_singleton(a, ctx.semantics)
                                             and res.scale_check_counts.get(a.qualified_name, 0) > 0)
        canonical = canonical_named_bead(ctx, identity, runtime, a.qualified_name)
        mode = n.effective_mode
        if canonical is None:
            other = named_conflict(ctx, identity, runtime)
            if other is not None:
                ctx.log(f"named session {identity}: {other.id} holds {runtime}/{identity}; skipping this tick")
                ctx.decision("desired.named_session", "identity_conflict", "skipped", a.qualified_name, runtime,
                             holder=other.id)
                continue
            if mode != "always" and not work:
                continue
        key = canonical.session_name if canonical is not None else runtime
        why = [Why("shape.named", f"[[named_session]] {identity} (mode {mode}) on template {a.qualified_name}")]
        if mode == "always":
            why.append(Why("demand.named_always", "mode = \"always\": kept materialized every tick"))
        elif canonical is not None and not work:
            why.append(Why("demand.named_on_demand", "on_demand named session with an existing canonical bead stays desired"))
        else:
            why.append(Why("demand.named_on_demand", f"work is assigned directly to {identity}"))
        why.append(Why("alias.claimed", f"named identity {identity} is reserved for this session"))
        env = {"GC_TEMPLATE": a.qualified_name, "GC_ALIAS": identity, "GC_AGENT": identity,
               "GC_SESSION_ORIGIN": "named", "GC_SESSION_NAME": key,
               "GC_SESSION_ID": canonical.id if canonical is not None else ""}
        res.entries[key] = DesiredEntry(
            session_name=key, template=a.qualified_name, identity=identity, alias=identity, pool_slot=0,
            source="named-always" if mode == "always" else "named-on-demand",
            bead_id=canonical.id if canonical is not None else "", named_identity=identity, named_mode=mode,
            env=env, why=why)
