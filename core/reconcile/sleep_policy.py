"""The idle sleep policy as the reconciler applies it (session_sleep.go): resolve the
effective `sleep_after_idle` for a session, decide whether its config demand is suppressed
because it has been idle long enough, and persist the policy snapshot on the bead.

The simulated provider reports activity and attachment, so sleep capability is `full`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.config.city_config import Agent, City
from core.config.sleep import resolve_sleep_policy, sleep_class
from core.formats.durations import try_duration
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.runtime import Runtime

CAPABILITY = "full"


@dataclass(frozen=True)
class Policy:
    """A session's resolved sleep policy: requested and effective values, where they came from,
    and the idle duration in seconds."""
    sleep_class: str
    requested: str
    effective: str
    source: str
    capability: str
    adjustment: str
    fingerprint: str
    duration: float

    @property
    def enabled(self) -> bool:
        return self.effective not in ("", "off")


def resolve(ctx: TickContext, b: SessionBead) -> Policy:
    """The session's policy: a function of the config and the bead's stored template alone, so
    resolved once per config and template and kept with the config."""
    key = b.template
    cached = ctx.policy_cache.get(key)
    if cached is None:
        cached = ctx.policy_cache[key] = ctx.city.derived(("sleep_policy.resolve", key),
                                                           lambda: policy_for(ctx.city, ctx.agent_of(b)))
    return cached


def policy_for(city: City, a: Agent | None) -> Policy:
    """resolveSessionSleepPolicyInfo for a session of agent `a` (None: a template the config does
    not know, whose policy is off)."""
    if a is None:
        return Policy("noninteractive", "off", "off", "legacy_off", CAPABILITY, "", "", 0.0)
    p = resolve_sleep_policy(city, a)
    cls = sleep_class(a)
    duration = try_duration(p.value) or 0.0  # "off" and an unparsable value: no duration, as in Go
    return Policy(cls, p.value, p.value, p.source, CAPABILITY, "", _fingerprint(a, p.value, cls, p.source), duration)


def _fingerprint(a: Agent, effective: str, cls: str, source: str) -> str:
    return "|".join(["value=" + effective, "class=" + cls, "source=" + source,
                     "wake=" + ("fresh" if a.wake_mode == "fresh" else "resume"), "cap=" + CAPABILITY,
                     "deps=" + ",".join(a.depends_on), "template=" + a.qualified_name])


def idle_reference_in(rt: Runtime, b: SessionBead) -> datetime | None:
    """sessionIdleReferenceInfo: the later of detached_at and `rt`'s last activity."""
    detached = parse_time(b.get(B.DETACHED_AT))
    activity = rt.last_activity(b.session_name)
    if detached is None:
        return activity
    if activity is None:
        return detached
    return max(detached, activity)


def config_wake_suppressed(ctx: TickContext, b: SessionBead, p: Policy) -> bool:
    """Idle long enough under an enabled policy (or already asleep idle under the same
    policy, or a zero duration)."""
    return wake_suppressed_at(ctx.rt, ctx.now, b, p)


def wake_suppressed_at(rt: Runtime, now: datetime, b: SessionBead, p: Policy) -> bool:
    """configWakeSuppressedInfo against runtime `rt` at `now` (see config_wake_suppressed)."""
    if not p.enabled or b.get(B.SLEEP_REASON) == "idle-timeout":
        return False
    if b.get(B.SLEEP_REASON) == "idle" and b.get(B.SLEEP_POLICY_FINGERPRINT) and \
            b.get(B.SLEEP_POLICY_FINGERPRINT) == p.fingerprint:
        return True
    if p.duration == 0:
        return True
    ref = idle_reference_in(rt, b)
    if ref is None:
        return False
    return now >= ref + timedelta(seconds=p.duration)


def keep_warm_eligible(rt: Runtime, now: datetime, b: SessionBead, p: Policy) -> bool:
    """sessionKeepWarmEligibleInfo: an interactive session under an enabled, non-zero policy
    with an idle reference, not yet idle long enough to be suppressed."""
    if not p.enabled or p.sleep_class == "noninteractive" or p.duration == 0:
        return False
    if idle_reference_in(rt, b) is None:
        return False
    return not wake_suppressed_at(rt, now, b, p)


def persist(ctx: TickContext, b: SessionBead, p: Policy, suppressed: bool) -> SessionBead:
    """Diff-write the policy snapshot (an idle-slept bead keeps the fingerprint it slept under)."""
    fingerprint = p.fingerprint
    if ((b.state == "asleep" and b.get(B.SLEEP_REASON) == "idle") or b.get(B.SLEEP_INTENT) == "idle-stop-pending") \
            and b.get(B.SLEEP_POLICY_FINGERPRINT):
        fingerprint = b.get(B.SLEEP_POLICY_FINGERPRINT)
    want = {B.REQUESTED_SLEEP_AFTER_IDLE: p.requested, B.EFFECTIVE_SLEEP_AFTER_IDLE: p.effective,
            B.SLEEP_POLICY_SOURCE: p.source, B.SLEEP_CAPABILITY: p.capability,
            B.SLEEP_POLICY_ADJUSTMENT_REASON: p.adjustment, B.SLEEP_POLICY_FINGERPRINT: fingerprint,
            B.CONFIG_WAKE_SUPPRESSED: "true" if suppressed else ""}
    changed = {k: v for k, v in want.items() if b.get(k) != v}
    return ctx.patch(b.id, changed) if changed else b


def reconcile_detached_at(ctx: TickContext, b: SessionBead, p: Policy, alive: bool) -> SessionBead:
    """detached_at is the idle reference for interactive sessions: stamped when a live
    session is seen detached, cleared when attached or when the policy does not apply."""
    if p.sleep_class == "noninteractive" or not p.enabled or not alive:
        return ctx.patch(b.id, {B.DETACHED_AT: ""}) if b.get(B.DETACHED_AT) else b
    if ctx.rt.attached(b.session_name):
        return ctx.patch(b.id, {B.DETACHED_AT: ""}) if b.get(B.DETACHED_AT) else b
    if not b.get(B.DETACHED_AT):
        return ctx.patch(b.id, {B.DETACHED_AT: format_time_seconds(ctx.now)})
    return b


def demand_overrides(decision_reason: str, has_assigned_work: bool, reasons: list[str], p: Policy,
                     pool_desired: int, has_intent: bool) -> bool:
    """wakeDemandOverridesSleepSuppression."""
    if has_intent:
        return False
    if has_assigned_work:
        return True
    if (pool_desired > 0 or decision_reason == "routed-demand") and p.sleep_class == "noninteractive":
        return True
    return decision_reason == "min-active" and "config" in reasons
