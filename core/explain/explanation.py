"""Why a session has its identity: the rules that gave it its identity, slot and alias (or why
it is not desired), the demand tier that keeps it, its alias deferral and its lifecycle, as one
typed record (core.explain.records.Explanation) that the Why panel and `citywatch explain`
render.

`explain_session(model, key)` explains one session of a model as it stands (a `ModelView`: it
changes nothing); `core.explain.run.explain_target(path, session, semantics=, steps=)` first
runs a scenario (or ticks a city.toml on a fresh world) and adds what the run did to that
session.

The key may be any spelling of the session (`SessionBead.identities()`: bead id, session name,
agent name, alias, named identity, title, an earlier alias) or a desired entry's identity. When
several beads match, the bead id wins, then a session name, then a desired entry (by alias,
named identity, identity), then open beads (by alias, named identity, agent name, title, alias
history), then closed ones, newest first; `also_matches` lists the others.

The JSON form (`Explanation.to_json()`; `citywatch explain --json`, keys sorted) is stable; keys
may be added:

    session        the key as asked
    found          false only from explain_session when nothing matches (explain_target raises)
    matched_by     which spelling matched: "bead id", "session name", "alias", "named identity",
                   "desired identity", "agent name", "title", "alias history"
    also_matches   other beads or entries the same key names: ["gc-3", ...]
    summary        one line
    desired        whether the last build desires it
    rules          ordered, first rule first, [{rule, detail}]: the desired entry's why chain
                   (shape.*, demand.*, slot.*, alias.*), preceded by adopt.<how> when the startup
                   adoption barrier created the bead; a store-backed dependency floor adds
                   identity.floor_session_name after alias.none (its canonical identity only
                   resolves its env; it is desired under its session name); for a bead that is not desired: its shape,
                   identity.recorded (what the bead carries) and one undesired.* rule saying why
                   (closed, no_agent, suspended, named_removed, failed_create, drained, draining,
                   canonical_duplicate, floor_unneeded, no_demand, asleep_not_reused,
                   not_selected, no_build)
    identity       {template, shape, shape_rule, semantics, desired_identity, bead_agent_name,
                    session_name, named_identity, canonical_instance_name, origin, spellings,
                    explanation}
    alias          {desired, bead, history, deferred (the state JSON's deferral row or null),
                    state: claimed | pending | deferred | named | none | held | released,
                    explanation; when deferred also wanted, holder, holder_state, attempts,
                    last_attempt, next_retry_at, backoff, retry_due}
    slot           {desired, bead, explanation}
    demand         {desired, source, tier, work_bead, pool_desired, scale_check_count, partial,
                    partial_reason, scale_check, named_demand, named_routed_demand, reason,
                    explanation}; scale_check ({} when the template has none) is what the
                   controller read: {source: run | simulated, value (the count or "error"), ok,
                   reason (why a real run failed), ran_at, tick (the tick that read it)}
    lifecycle      {bead, open, state, state_reason, sleep_reason, sleep_intent, close_reason,
                    held_until, quarantined_until, runtime (running | zombie | corpse | none),
                    last_activity, wake_reason, last_step (this session's actions and trace
                    decisions in the last step), awake (its row of the last tick's awake set:
                    should_wake, reason, wake_reasons, sleep_policy_suppressed,
                    has_assigned_work, assigned_work_bead; {} when none), reason (the REASON
                    a session that is not awake gives, as `gc session list` shows it: circuit-open,
                    its sleep reason, quarantine, wait-hold, user-hold, else suspended, idle,
                    held, quarantined or no-demand; "" when awake or closed), reason_hint (the
                    next step, e.g. `gc session reset <identity>` for an open circuit), trackers
                    (the state JSON's tracker row), explanation (sentences)}
    model          {simplifies}: sentences saying where the model simplifies Gas City for this session
                   (a work_query it never runs, the derived launch command, a ready wait's nudge,
                   a detached-work probe)
    history        explain_target only: every action of the run on this bead, [{step, do, kind,
                   reason}]
    target         explain_target only: {path, kind (scenario | city), steps_run, steps_total,
                   tick, now, semantics, scale_checks (run: --run-scale-checks ran the commands;
                   simulated)}

The wake reason comes from the last step (the reason of a start or a wake decision there), so a
session that stayed up shows none; its awake-set row says why it is kept awake (or not).
`explain_target` passes the awake set of the run's last tick, even when later steps ran none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.awake_row import AwakeRow
from core.explain.reasons import (
    alias_state,
    awake_words,
    lifecycle_words,
    model_notes,
    reason_words,
    session_reason,
    source_words,
    why_not_desired,
)
from core.explain.records import (
    Alias,
    Demand,
    Explanation,
    Identity,
    LastStep,
    Lifecycle,
    ModelNotes,
    RunAction,
    ScaleCheckRead,
    Slot,
    Why,
)
from core.explain.text import render_explanation
from core.formats.timefmt import format_time
from core.world import beads as B

if TYPE_CHECKING:
    from core.config.city_config import Agent
    from core.desired.entries import DesiredEntry
    from core.holds import Hold
    from core.model_view import ModelView
    from core.outcome import Outcome
    from core.trackers.view import TrackerRow
    from core.world.beads import SessionBead

__all__ = ["ExplainError", "Explanation", "RunAction", "explain_session", "known_names", "render_explanation"]


class ExplainError(Exception):
    """The explain target cannot be run or the session is unknown: the message is for the
    operator (file, line and field for a bad file; the known names for an unknown session)."""

_BEAD_FIELDS = (  # (rank, how, spellings of a bead)
    (1, "session name", lambda b: [b.session_name]),
    (6, "alias", lambda b: [b.alias]),
    (7, "named identity", lambda b: [b.get(B.CONFIGURED_NAMED_IDENTITY)]),
    (8, "agent name", lambda b: [b.agent_name]),
    (9, "title", lambda b: [b.title]),
    (10, "alias history", lambda b: b.alias_history()),
)
_ENTRY_FIELDS = (
    (1, "session name", lambda e: e.session_name),
    (2, "alias", lambda e: e.alias),
    (3, "named identity", lambda e: e.named_identity),
    (4, "desired identity", lambda e: e.identity),
)


def _entry_of(model: ModelView, b: SessionBead) -> DesiredEntry | None:
    d = model.last_desired
    if d is None:
        return None
    e = d.by_bead().get(b.id)
    if e is None and b.open:
        e = d.entries.get(b.session_name)
        if e is not None and e.bead_id not in ("", b.id):
            e = None
    return e


def _bead_of(model: ModelView, e: DesiredEntry) -> SessionBead | None:
    store = model.world.store
    if e.bead_id:
        return store.session(e.bead_id)
    found = store.open_by(B.SESSION_NAME, e.session_name)
    return found[0] if found else None


def _resolve(model: ModelView, key: str) -> tuple[SessionBead | None, DesiredEntry | None, str, list[str]]:
    """(bead, entry, matched_by, also_matches) for `key`; (None, None, "", []) when unknown."""
    store = model.world.store
    b = store.session(key)
    if b is not None:
        return b, _entry_of(model, b), "bead id", []
    cands: list[tuple[int, int, str, SessionBead | None, DesiredEntry | None]] = []
    d = model.last_desired
    for i, e in enumerate(d.sorted_entries() if d else []):
        for rank, how, get in _ENTRY_FIELDS:
            if get(e) == key:
                cands.append((rank, i, how, _bead_of(model, e), e))
                break
    sessions = store.all_sessions()
    for i, s in enumerate(sessions):
        for rank, how, get in _BEAD_FIELDS:
            if key in [v for v in get(s) if v]:
                cands.append((rank if s.open else rank + 20, i if s.open else -i, how, s, _entry_of(model, s)))
                break
    if not cands:
        return None, None, "", []
    cands.sort(key=lambda c: (c[0], c[1]))
    _, _, how, bead, entry = cands[0]
    chosen = bead.id if bead is not None else (entry.session_name if entry else "")
    also: list[str] = []
    for _, _, _, ob, oe in cands[1:]:
        name = ob.id if ob is not None else (oe.session_name if oe else "")
        if name and name != chosen and name not in also:
            also.append(name)
    return bead, entry, how, also


def known_names(model: ModelView) -> list[str]:
    """Every spelling `explain` accepts for this model: bead identities and desired identities."""
    names: set[str] = set()
    for b in model.world.store.all_sessions():
        names.update(b.identities())
    d = model.last_desired
    for e in (d.sorted_entries() if d else []):
        names.update(v for v in (e.session_name, e.identity, e.alias, e.named_identity) if v)
    return sorted(names)


def _shape_rule(model: ModelView, template: str) -> tuple[Why, Agent | None]:
    from core.identity import shape

    agent = model.city.agent(template) or (model.city.find_agent(template) if template else None)
    if agent is None:
        return Why("shape.unconfigured", f"template {template or '(none)'} is not in the config"), None
    sh = shape(agent, model.city, model.semantics)
    return Why("shape." + sh.kind.replace("-", "_"), sh.detail), agent


def _floor_identity_rule(entry: DesiredEntry) -> Why | None:
    """Why a store-backed dependency floor is desired under its session name, not the canonical
    identity its shape and environment name (ensureDependencyOnlyTemplate: the canonical
    identity resolves the floor's env, then InstanceName becomes the bead's session name and the
    alias is cleared)."""
    canonical = entry.env.get("GC_ALIAS", "") if entry.env else ""
    if not entry.dependency_only or not canonical or entry.identity != entry.session_name \
            or canonical == entry.session_name:
        return None
    return Why("identity.floor_session_name",
               f"a dependency floor resolves the canonical identity {canonical} only for its environment "
               f"(GC_ALIAS); its instance name is the bead's session name {entry.session_name} and its alias "
               f"is cleared, so it is desired and shown as {entry.session_name}")


def _adoption_rule(b: SessionBead | None, history: list[RunAction] | None) -> Why | None:
    if b is None or not history:
        return None
    for h in history:
        if h.kind == "adopt" and h.bead_id == b.id:
            how = h.reason or "unknown"
            return Why("adopt." + how.replace("-", "_"),
                       f"the startup adoption barrier found running session {h.session_name} without "
                       f"a bead and adopted it as {b.agent_name} ({how})")
    return None


def _slot(entry: DesiredEntry | None, b: SessionBead | None) -> Slot:
    bead = b.get(B.POOL_SLOT) if b else ""
    if entry is None:
        return Slot(None, bead, f"not desired; the bead records slot {bead}" if bead
                    else "not desired; the bead records no slot")
    rule = next((w for w in entry.why if w.rule.startswith("slot.")), None)
    if entry.pool_slot == 0:
        kind = ("named session" if entry.named else "manual session" if entry.manual
                else "dependency floor" if entry.dependency_only else "canonical or unslotted identity")
        return Slot(0, bead, f"no slot: {kind}" + (f" ({rule.detail})" if rule else ""))
    return Slot(entry.pool_slot, bead, f"slot {entry.pool_slot}" + (f": {rule.rule} ({rule.detail})" if rule else ""))


def _demand(model: ModelView, entry: DesiredEntry | None, template: str, why_not: tuple[str, str] | None) -> Demand:
    d = model.last_desired
    named = entry.named_identity if entry else ""
    scale_check = _scale_check(model, template)
    partial = (template in d.partial_templates) if d else False
    partial_reason = ""
    if partial:
        partial_reason = (scale_check.reason if scale_check is not None and scale_check.source == "run" else "") \
            or (d.partial_reasons.get(template, "") if d else "")
    tier = source_words(entry.source) if entry else ""
    if entry is not None:
        demand_rule = next((w for w in entry.why if w.rule.startswith("demand.")), None)
        reason = demand_rule.rule if demand_rule else ""
        explanation = tier + (f" ({demand_rule.detail})" if demand_rule else "")
    else:
        assert why_not is not None
        reason, explanation = why_not
    run = model.world.scale_check_run(template) if scale_check is not None else None
    if run is not None and not run.ok:
        explanation += f"; scale_check {run.describe()}"
    return Demand(
        desired=entry is not None, source=entry.source if entry else "", tier=tier,
        work_bead=entry.work_bead_id if entry else "",
        pool_desired=d.pool_desired.get(template, 0) if d else None,
        scale_check_count=d.scale_check_counts.get(template) if d else None,
        partial=partial, partial_reason=partial_reason, scale_check=scale_check,
        named_demand=bool(d and named and d.named_demand.get(named)),
        named_routed_demand=bool(d and named and d.named_routed_demand.get(named)),
        reason=reason, explanation=explanation)


def _scale_check(model: ModelView, template: str) -> ScaleCheckRead | None:
    """What the controller read from `template`'s scale_check: its last real run, or the
    simulated value (None when the template has no scale_check)."""
    agent = model.city.agent(template)
    if agent is None or not agent.has_scale_check:
        return None
    run = model.world.scale_check_run(template)
    if run is None:
        value = model.world.scale_check(template)
        return ScaleCheckRead("simulated", value, isinstance(value, int) and value >= 0)
    return ScaleCheckRead("run", run.value if run.ok else "error", run.ok, run.reason, format_time(run.at), run.tick)


def _runtime(model: ModelView, name: str) -> tuple[str, str]:
    rt = model.world.runtime.get(name) if name else None
    if rt is None:
        return "none", ""
    kind = "corpse" if rt.corpse else ("running" if rt.process_alive else "zombie")
    return kind, format_time(rt.last_activity)


def _last_step(outcome: Outcome | None, b: SessionBead | None, name: str,
               row: AwakeRow | None) -> tuple[LastStep | None, str]:
    """This session's actions and trace decisions in the last step, and the wake reason seen: a
    start's reason, else the awake set's reason for a session made a start candidate."""
    if outcome is None:
        return None, ""
    bid = b.id if b is not None else ""
    actions = [f"{a.kind} ({a.reason})" if a.reason else a.kind for a in outcome.actions
               if (bid and a.bead_id == bid) or (not bid and name and a.session_name == name)]
    decisions, wake = [], ""
    for r in outcome.trace:
        if r.record_type != "decision" or not name or r.session_name != name:
            continue
        decisions.append(f"{r.site_code}: {r.reason_code} -> {r.outcome_code}")
        if (r.site_code, r.outcome_code) == ("reconciler.session.wake_decision", "start_candidate") and row:
            wake = row.reason
    for a in outcome.actions:
        if a.kind in ("start", "wake") and bid and a.bead_id == bid and a.reason:
            wake = a.reason
    return LastStep(tuple(actions), tuple(decisions)), wake


def _awake_row(awake: Sequence[AwakeRow], b: SessionBead | None, name: str) -> AwakeRow | None:
    """This session's row of the awake set: by bead id, else by session name."""
    for r in awake:
        if (b is not None and r.bead_id == b.id) or (b is None and name and r.session_name == name):
            return r
    return None


def _tracker_row(model: ModelView, b: SessionBead | None) -> TrackerRow | None:
    if b is None or not b.open:
        return None
    from core.trackers.view import tracker_rows

    return next(iter(tracker_rows(model, {b.id})), None)


def _hold(model: ModelView, bead: SessionBead | None) -> Hold | None:
    """The hold keeping an open, not running bead down (core.holds), or None."""
    from core.holds import session_hold

    if bead is None or not bead.open or model.world.runtime.alive(bead.session_name):
        return None
    return session_hold(bead, model.world.now, model.city, model.world.memory)


def _summary(entry: DesiredEntry | None, b: SessionBead | None, alias: Alias, why_not: tuple[str, str] | None) -> str:
    if entry is None:
        assert b is not None and why_not is not None
        who = b.agent_name or b.session_name or b.id
        return f"{b.id} ({who}) is not desired: {why_not[1]}"
    head = f"{entry.identity} is desired ({entry.source})"
    if b is not None:
        head += f" as bead {b.id}" + (f", {b.state}" if b.state else "")
    if alias.state == "deferred":
        holder = (alias.retry.holder if alias.retry else "") or "no open bead"
        wanted = alias.retry.wanted if alias.retry else ""
        return head + f"; its alias {wanted} is deferred while {holder} holds it"
    if alias.state in ("claimed", "named"):
        return head + f" under alias {entry.alias}"
    if entry.alias:
        return head + f"; alias {entry.alias} not claimed yet"
    if b is not None and b.alias:
        return head + f"; the entry asks for no alias (the bead carries {b.alias})"
    return head + "; it has no alias"


def _not_found(key: str) -> Explanation:
    return Explanation(key, False, f"no session, bead or desired entry matches {key!r}")


def _rules(model: ModelView, entry: DesiredEntry | None, bead: SessionBead | None, agent: Agent | None,
           shape_rule: Why, history: list[RunAction] | None) -> tuple[list[Why], tuple[str, str] | None]:
    """The rules that made the session what it is: the desired entry's, with the floor identity
    rule before alias.none; or, for a bead not desired, its shape, recorded identity and why not;
    adoption first. Returns (rules, why not desired or None)."""
    why_not = None
    adopt = _adoption_rule(bead, history)
    if entry is not None:
        rules = list(entry.why)
        floor = _floor_identity_rule(entry)
        if floor is not None:
            at = next((i + 1 for i, r in enumerate(rules) if r.rule == "alias.none"), len(rules))
            rules.insert(at, floor)
    else:
        assert bead is not None
        why_not = why_not_desired(model.city, model.last_desired, bead, agent, model.semantics)
        slot = bead.get(B.POOL_SLOT)
        recorded = (f"the bead carries agent_name {bead.agent_name or '(none)'}, alias {bead.alias or '(none)'}"
                    + (f", pool_slot {slot}" if slot else "") + f", origin {bead.origin or '(unknown)'}")
        rules = [shape_rule, Why("identity.recorded", recorded), Why(why_not[0], why_not[1])]
    if adopt is not None:
        rules.insert(0, adopt)
    return rules, why_not


def _identity_explanation(entry: DesiredEntry | None, bead: SessionBead | None, shape_rule: Why) -> str:
    if entry is not None and bead is not None and bead.agent_name and bead.agent_name != entry.identity:
        if entry.identity == entry.session_name:
            # Floors and rediscovered pool beads carry no instance identity of their own.
            return (f"desired under its session name {entry.identity} "
                    f"({'dependency floor' if entry.dependency_only else entry.source}); "
                    f"it runs as {bead.agent_name}")
        return (f"desired as {entry.identity}; the bead still records {bead.agent_name} "
                "until normalization or sync rewrites it")
    if entry is not None and _floor_identity_rule(entry) is not None:
        # The shape rule names the canonical identity, which a floor uses only for its env.
        return (f"desired under its session name {entry.identity} (dependency floor); "
                f"it runs as {entry.env['GC_ALIAS']}")
    if entry is not None:
        return f"desired as {entry.identity} ({shape_rule.detail})"
    assert bead is not None  # found: with no desired entry, a bead matched
    return f"recorded as {bead.agent_name or bead.session_name} ({shape_rule.detail})"


def _identity(model: ModelView, entry: DesiredEntry | None, bead: SessionBead | None, template: str,
              shape_rule: Why, name: str) -> Identity:
    """The identity section: template and shape, the desired and recorded names, every spelling."""
    if bead is not None:
        spellings = bead.identities()
    else:
        assert entry is not None  # found: a bead or a desired entry matched
        spellings = [v for v in (entry.session_name, entry.identity) if v]
    return Identity(
        template=template,
        shape=shape_rule.rule.removeprefix("shape.").replace("_", " "),
        shape_rule=shape_rule.detail,
        semantics=model.semantics,
        desired_identity=entry.identity if entry else "",
        bead_agent_name=bead.agent_name if bead else "",
        session_name=name,
        named_identity=(entry.named_identity if entry else "") or (bead.get(B.CONFIGURED_NAMED_IDENTITY) if bead else ""),
        canonical_instance_name=bead.get(B.CANONICAL_INSTANCE_NAME) if bead else "",
        origin=bead.origin if bead else "",
        spellings=tuple(spellings),
        explanation=_identity_explanation(entry, bead, shape_rule),
    )


def _lifecycle(model: ModelView, bead: SessionBead | None, name: str, outcome: Outcome | None,
               awake: Sequence[AwakeRow] | None, hold: Hold | None) -> Lifecycle:
    """The lifecycle section: the bead's state and timers, its runtime, the last step, trackers,
    the awake-set row, the session reason and the hold, with the explanation in words."""
    runtime, last_activity = _runtime(model, name)
    if awake is None:
        awake = outcome.awake if outcome is not None else ()
    row = _awake_row(awake, bead, name)
    last_step, wake = _last_step(outcome, bead, name, row)
    tracker = _tracker_row(model, bead)
    explanation = lifecycle_words(bead, runtime, tracker)
    if row is not None:
        explanation.append(awake_words(row))
    reason, hint = session_reason(model, bead, row)
    if reason:
        explanation.insert(0, f"REASON {reason}: {reason_words(reason)}" + (f"; {hint}" if hint else ""))
    if wake:
        explanation.append(f"woken in the last step: {wake}")
    return Lifecycle(
        bead=bead.id if bead else "",
        open=bead.open if bead else False,
        state=bead.state if bead else "",
        state_reason=bead.get(B.STATE_REASON) if bead else "",
        sleep_reason=bead.get(B.SLEEP_REASON) if bead else "",
        sleep_intent=bead.get(B.SLEEP_INTENT) if bead else "",
        close_reason=bead.get(B.CLOSE_REASON) if bead else "",
        held_until=bead.get(B.HELD_UNTIL) if bead else "",
        quarantined_until=bead.get(B.QUARANTINED_UNTIL) if bead else "",
        runtime=runtime, last_activity=last_activity, wake_reason=wake, last_step=last_step, trackers=tracker,
        explanation=tuple(explanation), awake=row, reason=reason, reason_hint=hint, hold=hold)


def explain_session(model: ModelView, key: str, *, outcome: Outcome | None = None,
                    history: list[RunAction] | None = None,
                    awake: Sequence[AwakeRow] | None = None) -> Explanation:
    """Explain the session `key` (any spelling, see the module doc) as the model stands.

    Returns the Explanation documented in the module doc, with `found` False (and no sections)
    when nothing matches. `outcome` (the last step's) adds the wake reason and what the step
    did to the session; `history` (actions of the run) adds adoption and the history list;
    `awake` (the last tick's awake set, core.awake_row.AwakeRow; default: the outcome's)
    adds the awake-set decision.
    """
    from core.views.state_json import deferrals

    bead, entry, how, also = _resolve(model, key)
    if bead is None and entry is None:
        return _not_found(key)
    template = entry.template if entry is not None else (bead.template if bead else "")
    shape_rule, agent = _shape_rule(model, template)
    if agent is not None:
        template = agent.qualified_name
    rules, why_not = _rules(model, entry, bead, agent, shape_rule, history)
    deferral = None
    if bead is not None:
        deferral = next((d for d in deferrals(model) if d.bead_id == bead.id), None)
    alias = alias_state(entry, bead, deferral, model.world.now)
    name = (entry.session_name if entry else "") or (bead.session_name if bead else "")
    hold = _hold(model, bead)
    summary = _summary(entry, bead, alias, why_not)
    if hold is not None:  # a crash loop or an open circuit is the first thing to know
        summary = f"{hold.headline()} · {summary}"
    return Explanation(
        session=key, found=True, summary=summary, matched_by=how, also_matches=tuple(also),
        desired=entry is not None, rules=tuple(rules),
        identity=_identity(model, entry, bead, template, shape_rule, name), alias=alias,
        slot=_slot(entry, bead), demand=_demand(model, entry, template, why_not),
        lifecycle=_lifecycle(model, bead, name, outcome, awake, hold),
        model=ModelNotes(tuple(model_notes(model, bead, template))),
        history=tuple(h for h in history if h.bead_id == bead.id) if history is not None and bead is not None
        else None)
