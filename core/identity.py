"""Identity predicates and naming rules (Gas City's session_capacity.go and friends).

`semantics` selects which controller's rules apply:
  current  - today's rules: a max=1 agent without a namepool is a canonical singleton (bare name).
  pre-2053 - #1989's "pool flavour" carve-out: max=1 with min or scale_check set expands to name-1.
  pre-1989 - the original rules: every pool request expands to name-N, max=1 included.

The ids are Gas City pull-request numbers, not years: people read them as `SEMANTICS_LABEL`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config.city_config import Agent, City, qualify
from core.config.naming import resolve_pool_slot as resolve_pool_slot
from core.config.naming import sanitize as sanitize
from core.config.naming import session_name_for as session_name_for

SEMANTICS = ("current", "pre-2053", "pre-1989")
CURRENT = "current"
# What each semantics means, for people (the ids name Gas City pull requests).
SEMANTICS_LABEL = {"current": "current Gas City", "pre-2053": "before Gas City #2053",
                   "pre-1989": "before Gas City #1989"}


def semantics_label(semantics: str) -> str:
    """How an operator reads `semantics`: "before Gas City #2053" for "pre-2053"."""
    return SEMANTICS_LABEL.get(semantics, semantics)


def generic_ephemeral(a: Agent) -> bool:
    """SupportsGenericEphemeralSessions: false only when max == 0."""
    return a.max_active_sessions != 0


def multiple_sessions(a: Agent) -> bool:
    """SupportsMultipleSessions: namepool, or max unset, or max != 1."""
    return a.max_active_sessions is None or a.max_active_sessions != 1 or a.has_namepool


def canonical_singleton(a: Agent, semantics: str = CURRENT) -> bool:
    """UsesCanonicalSingletonPoolIdentity (#2053): no namepool and max == 1. Older controllers
    had no such rule."""
    if semantics != CURRENT:
        return False
    return a.max_active_sessions == 1 and not a.has_namepool


def instance_expansion(a: Agent, semantics: str = CURRENT) -> bool:
    """SupportsInstanceExpansion, with #1989's carve-out (max in {0,1} expands when min or
    scale_check is set); pre-1989 has no carve-out."""
    if a.has_namepool or a.max_active_sessions is None:
        return True
    m = a.max_active_sessions
    if m < 0 or m > 1:
        return True
    if semantics == "pre-1989":
        return False
    return a.min_set or a.has_scale_check


def expanded_session_identities(a: Agent, semantics: str = CURRENT) -> bool:
    """SupportsExpandedSessionIdentities: SIE and not a canonical singleton (false at max 0)."""
    if a.max_active_sessions == 0:
        return False
    return instance_expansion(a, semantics) and not canonical_singleton(a, semantics)


def unlimited(a: Agent) -> bool:
    """True if the agent has no session cap (max_active_sessions unset or negative)."""
    return a.max_active_sessions is None or a.max_active_sessions < 0


def predicates(a: Agent, semantics: str = CURRENT) -> dict[str, bool]:
    """The agent's identity predicates by short name (SIE, UCS, SESI, SMS, SGE, unlimited)."""
    return {
        "SIE": instance_expansion(a, semantics),
        "UCS": canonical_singleton(a, semantics),
        "SESI": expanded_session_identities(a, semantics),
        "SMS": multiple_sessions(a),
        "SGE": generic_ephemeral(a),
        "unlimited": unlimited(a),
    }


@dataclass(frozen=True)
class Shape:
    """How an agent's sessions are named and counted, with a short label and detail for display."""
    kind: str  # canonical-singleton | slot-pool | namepool | named | unlimited | disabled
    label: str
    detail: str


def shape(a: Agent, city: City | None = None, semantics: str = CURRENT) -> Shape:
    """The identity shape an operator sees for a template, and the rule that gave it."""
    named = city.named_for_template(a.qualified_name) if city is not None else []
    m = a.max_active_sessions
    if m == 0:
        base = Shape("disabled", "disabled", "max_active_sessions = 0: no generic sessions")
    elif a.has_namepool:
        names = len(a.namepool_names)
        base = Shape("namepool", "namepool", f"namepool set ({names} names): identities come from the list")
    elif canonical_singleton(a, semantics):
        base = Shape("canonical-singleton", "canonical singleton",
                     "max_active_sessions = 1 and no namepool: one session named exactly " + a.qualified_name)
    elif m is None or m < 0:
        base = Shape("unlimited", "unlimited pool", f"max_active_sessions unset: {a.name}-1, {a.name}-2, ... without bound")
    elif m == 1:
        if instance_expansion(a, semantics):
            base = Shape("slot-pool", "slot pool (1)", f"{semantics} rules: max = 1 with min/scale_check expands to {a.name}-1")
        elif semantics == "pre-1989":
            base = Shape("slot-pool", "slot pool (1)", f"pre-1989 rules: max = 1 expands to {a.name}-1")
        else:
            base = Shape("canonical-singleton", "singleton", "max_active_sessions = 1: bare name")
    else:
        base = Shape("slot-pool", f"slot pool ({m})", f"max_active_sessions = {m}: {a.name}-1 .. {a.name}-{m}")
    if named:
        modes = ", ".join(f"{n.identity} ({n.effective_mode})" for n in named)
        return Shape("named", f"named + {base.label}", f"backs [[named_session]] {modes}; generic shape: {base.detail}")
    return base


def instance_name(a: Agent, slot: int) -> str:
    """Slot N renders as namepool[N-1] when the list has it, else `<name>-N`."""
    if 1 <= slot <= len(a.namepool_names):
        return a.namepool_names[slot - 1]
    return f"{a.name}-{slot}"


def qualified_instance(a: Agent, slot: int) -> str:
    """The qualified identity of the agent's instance in pool slot `slot`."""
    return qualify(a.dir, a.binding, instance_name(a, slot))


def request_identity(a: Agent, slot: int, semantics: str = CURRENT) -> tuple[str, int]:
    """poolDesiredRequestIdentity: (qualified identity, pool_slot) for a pool request at `slot`."""
    if semantics == CURRENT:
        if canonical_singleton(a, semantics):
            return a.qualified_name, 0
        return qualified_instance(a, slot), slot
    if semantics == "pre-2053":
        if not instance_expansion(a, semantics):
            return a.qualified_name, 0
        return qualified_instance(a, slot), slot
    return qualified_instance(a, max(slot, 1)), max(slot, 1)


def basename(template: str) -> str:
    """The last path component of a qualified template name."""
    return template.rsplit("/", 1)[-1]


def pool_session_name(template: str, bead_id: str) -> str:
    """PoolSessionName: sanitized template basename + "-" + bead id (e.g. `claude-gc-7`)."""
    return f"{sanitize(basename(template))}-{bead_id}"


def owns_pool_session_name(session_name: str, template: str, bead_id: str) -> bool:
    """True if `session_name` is the pool session name of `template` for `bead_id`, or ends in "-<bead_id>"."""
    return session_name == pool_session_name(template, bead_id) or session_name.endswith("-" + bead_id)


def persisted_identity_slot(a: Agent, allow_local: bool, *candidates: str) -> int:
    """resolvePersistedPoolIdentitySlot: the slot the first candidate identity names, reading
    `QN-N`, `binding.name-N`, bare `name-N` (only without a binding and when `allow_local`), and
    namepool names (bare or qualified) as index+1. 0 when none does."""
    qn = a.qualified_name
    for raw in candidates:
        name = (raw or "").strip()
        if not name:
            continue
        n = resolve_pool_slot(name, qn)
        if n > 0:
            return n
        if a.binding:
            n = resolve_pool_slot(name, f"{a.binding}.{a.name}")
            if n > 0:
                return n
        elif allow_local:
            n = resolve_pool_slot(name, a.name)
            if n > 0:
                return n
        for i, themed in enumerate(a.namepool_names):
            themed = themed.strip()
            if themed and (name == themed or name == qualify(a.dir, a.binding, themed)):
                return i + 1
    return 0


def has_configured_bound(a: Agent) -> bool:
    """poolSlotHasConfiguredBound: a namepool or an explicit max bounds the slot space."""
    return bool(a.namepool_names) or a.max_active_sessions is not None


def in_bounds_slot(a: Agent, n: int) -> bool:
    """inBoundsPoolSlot: the template is bounded, N <= len(namepool) (if any) and N <= max (if
    max > 0)."""
    if n <= 0 or not has_configured_bound(a):
        return False
    if a.namepool_names and n > len(a.namepool_names):
        return False
    m = a.max_active_sessions
    return not (m is not None and m > 0 and n > m)


def usable_identity_slot(a: Agent, n: int) -> bool:
    """usablePoolIdentitySlot: any positive slot of an unbounded template, else an in-bounds one."""
    if n <= 0:
        return False
    if not has_configured_bound(a):
        return True
    return in_bounds_slot(a, n)


slot_in_bounds = usable_identity_slot


def stale_suffixed(a: Agent, s: str, semantics: str = CURRENT) -> bool:
    """nonExpandingPoolIdentitySlot > 0: for a canonical singleton, does `s` name any numbered
    slot (`QN-N`, bare `name-N`, legacy `-gc-N`, even out of range)? Such values are leftovers of
    the old `name-1` identities."""
    if not canonical_singleton(a, semantics):
        return False
    return persisted_identity_slot(a, True, s) > 0
