"""The wake reasons `gc session list` shows in its REASON column (Gas City's display helper
evaluateWakeReasonsInfo in session_reconcile.go, fed by sessionReason in cmd_session.go).

This is a display computation only: the controller's wake decisions come from the awake set
(core/reconcile/awake.py), never from here. The CLI does not run the pool evaluator; it reads
the config and approximates each pool's desired count by its max (cliPoolDesired), so an
asleep pool session within a pool's max shows `config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.desired.lookup import TemplateLookup, template_lookup
from core.formats.timefmt import parse_time
from core.identity import instance_expansion
from core.reconcile.lease import start_requested
from core.reconcile.sleep_policy import Policy, keep_warm_eligible, policy_for, wake_suppressed_at
from core.world import beads as B

if TYPE_CHECKING:
    from core.config.city_config import Agent, City
    from core.model_view import ModelView
    from core.world.beads import SessionBead
    from core.world.runtime import Runtime

# Gas City's WakeReason values, in the order evaluateWakeReasonsInfo appends them.
WAIT, CREATE, SESSION, CONFIG, WORK, KEEP_WARM, ATTACHED, PENDING, PIN = (
    "wait", "create", "session", "config", "work", "keep-warm", "attached", "pending", "pin")


@dataclass(frozen=True)
class WakeEvaluation:
    """A session's display wake reasons, the sleep policy they were judged under, and whether
    that policy suppresses its config wake (wakeEvaluation)."""

    reasons: tuple[str, ...]
    policy: Policy
    config_suppressed: bool


def cli_pool_desired(city: City, semantics: str) -> dict[str, int]:
    """cliPoolDesired: each instance-expanding agent with a positive max_active_sessions mapped to
    that max; unlimited pools and non-pool agents are left out (read as 0)."""
    out: dict[str, int] = {}
    for a in city.agents:
        m = a.max_active_sessions if a.max_active_sessions is not None else -1
        if instance_expansion(a, semantics) and m > 0:
            out[a.qualified_name] = m
    return out


def _normalized_template(lookup: TemplateLookup, b: SessionBead) -> str:
    """normalizedSessionTemplateInfo: the configured template, else the one the bead's agent name
    (or agent: label), then its alias, resolve to; else the raw template."""
    if b.template and (a := lookup.find_agent_by_template(b.template)) is not None:
        return a.qualified_name
    return (lookup.template_for_identity(b.recorded_agent_name) or lookup.template_for_identity(b.alias.strip())
            or b.template)


def _metadata_state(b: SessionBead) -> str:
    """sessionMetadataStateInfo: awake reads as active, start-pending as creating, drained as asleep."""
    state = b.get(B.STATE).strip()
    return {"awake": "active", "start-pending": "creating", "drained": "asleep"}.get(state, state)


def _future(raw: str, now: datetime) -> bool:
    t = parse_time(raw)
    return t is not None and now < t


def _config_eligible(agent: Agent | None, b: SessionBead, template: str,
                     pool_desired: Mapping[str, int]) -> bool:
    """sessionWithinDesiredConfigInfo's verdict."""
    if agent is None:
        return False
    always_named = b.is_named and b.get(B.CONFIGURED_NAMED_MODE).strip() == "always"
    if b.drained and not always_named:
        return False
    if b.get(B.DEPENDENCY_ONLY) == "true":
        return False
    if b.is_named:
        return always_named or pool_desired.get(template, 0) > 0
    if b.is_manual:
        return True
    return pool_desired.get(template, 0) > 0


def evaluate_wake_reasons(city: City, semantics: str, rt: Runtime, b: SessionBead, now: datetime, *,
                          pool_desired: Mapping[str, int], work_set: Mapping[str, bool],
                          ready_waits: set[str]) -> WakeEvaluation:
    """evaluateWakeReasonsInfo: the reasons a session bead would be woken for, as the CLI lists
    them. An active hold or quarantine yields none; a wait hold keeps only `wait` and the runtime's
    `create`/`pending`. `pool_desired` maps templates to desired counts, `work_set` templates to
    whether their work_query found work, `ready_waits` holds the ids of beads with a ready wait."""
    lookup = template_lookup(city, semantics)
    template = _normalized_template(lookup, b)
    agent = lookup.find_agent_by_template(template)
    policy = policy_for(city, agent)
    if _future(b.get(B.HELD_UNTIL), now) or _future(b.get(B.QUARANTINED_UNTIL), now):
        return WakeEvaluation((), policy, False)
    reasons: list[str] = []
    wait_hold = b.get(B.WAIT_HOLD) != ""
    name = b.session_name
    if b.id in ready_waits:
        reasons.append(WAIT)
    if start_requested(b, now):
        reasons.append(CREATE)
    if not wait_hold and agent is not None and _metadata_state(b) == "active" and not policy.enabled:
        reasons.append(SESSION)
    suppressed = wake_suppressed_at(rt, now, b, policy)
    if _config_eligible(agent, b, template, pool_desired) and not wait_hold:
        always_named = b.is_named and b.get(B.CONFIGURED_NAMED_MODE).strip() == "always"
        if not suppressed or pool_desired.get(template, 0) > 0 or always_named:
            reasons.append(CONFIG)
    if not wait_hold and work_set.get(template, False):
        reasons.append(WORK)
    if not wait_hold and keep_warm_eligible(rt, now, b, policy):
        reasons.append(KEEP_WARM)
    if not wait_hold and name.strip() and rt.attached(name):
        reasons.append(ATTACHED)
    if name and rt.pending(name):
        reasons.append(PENDING)
    return WakeEvaluation(tuple(reasons), policy, policy.enabled and suppressed)


def pin_visible(city: City, semantics: str, suspended: bool, b: SessionBead, now: datetime) -> bool:
    """pinAwakeWakeReasonVisible: pin_awake=true on a live-able bead (not closed, suspended,
    drained, a dependency floor or wait-held, no active hold or quarantine) of a configured agent
    that is not suspended (`suspended`: the agent, its rig or the city is)."""
    if b.get(B.PIN_AWAKE).strip() != "true" or not b.open or _metadata_state(b) in ("closed", "suspended"):
        return False
    if b.drained or b.get(B.DEPENDENCY_ONLY) == "true" or b.get(B.WAIT_HOLD):
        return False
    if _future(b.get(B.HELD_UNTIL), now) or _future(b.get(B.QUARANTINED_UNTIL), now):
        return False
    return template_lookup(city, semantics).find_agent_by_template(
        _normalized_template(template_lookup(city, semantics), b)) is not None and not suspended


def list_wake_reasons(model: ModelView, b: SessionBead) -> tuple[str, ...]:
    """The wake reasons `gc session list` shows for bead `b` now: read against the config file as
    the CLI reads it (an edit the controller has not applied yet included), with cliPoolDesired,
    the ready waits in the store, and a scenario's [work_query] results as the work set (empty in
    the app, as the CLI passes none); `pin` is added for a visible pin_awake."""
    from core.world.suspension import agent_suspended

    city = model.pending_city or model.city
    w = model.world
    ready = {x.session_id for x in w.store.waits.values() if x.state == "ready" and x.session_id}
    ev = evaluate_wake_reasons(city, model.semantics, w.runtime, b, w.now,
                               pool_desired=cli_pool_desired(city, model.semantics),
                               work_set=dict(w.work_query), ready_waits=ready)
    reasons = ev.reasons
    lookup = template_lookup(city, model.semantics)
    agent = lookup.find_agent_by_template(_normalized_template(lookup, b))
    suspended = agent is not None and agent_suspended(city, w.suspension, agent)
    if PIN not in reasons and pin_visible(city, model.semantics, suspended, b, w.now):
        reasons = reasons + (PIN,)
    return reasons
