"""The startup adoption barrier: running runtime sessions with no open bead get one.

Resolution order: exact runtime name of a template or named session, then a stale canonical
singleton `-N` suffix (adopted as the canonical identity, #2053), then a pool `name-N` slot.
Unknown sessions are adopted permissively under their own name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.actions import Action
from core.desired.realize import instance_token
from core.formats.goduration import go_quote
from core.formats.goparse import digits_value
from core.identity import (
    canonical_singleton,
    instance_expansion,
    qualified_instance,
    session_name_for,
    slot_in_bounds,
)
from core.outcome import Outcome
from core.world import beads as B
from core.world.store import StoreWriteError

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.world.world import World

_POOL_SLOT = re.compile(r"-([0-9]+)$")  # parsePoolSlot's pattern


def resolve_runtime_name(city: City, name: str, semantics: str) -> tuple[str, str, int, str]:
    """(template, identity, slot, how) for a runtime session name; ("", name, 0, "unknown") if none."""
    for n in city.named_sessions:
        if session_name_for(city, n.identity) == name:
            return n.template_qualified, n.identity, 0, "named"
    for a in city.agents:
        base = session_name_for(city, a.qualified_name)
        if name == base:
            return a.qualified_name, a.qualified_name, 0, "exact"
    for a in city.agents:
        base = session_name_for(city, a.qualified_name)
        slot = digits_value(name[len(base) + 1:]) if name.startswith(base + "-") else None
        if slot is not None:
            if canonical_singleton(a, semantics):
                return a.qualified_name, a.qualified_name, 0, "stale-singleton"
            if instance_expansion(a, semantics) and slot > 0:
                how = "pool-slot" if slot_in_bounds(a, slot) else "pool-slot-out-of-bounds"
                return a.qualified_name, qualified_instance(a, slot), slot, how
    return "", name, 0, "unknown"


def adoption_barrier(city: City, world: World, semantics: str) -> Outcome:
    """Create a session bead for every live runtime session no open bead claims (named, pool or
    singleton by its name) and return an Outcome with an "adopt" action and a log line for each."""
    out = Outcome()
    store = world.store
    adopted = skipped = 0
    for rs in sorted(world.runtime.sessions.values(), key=lambda s: s.name):
        if not rs.alive or store.open_by(B.SESSION_NAME, rs.name):
            continue
        template, identity, slot, how = resolve_runtime_name(city, rs.name, semantics)
        bid = store.new_id()
        md = {B.SESSION_NAME: rs.name, B.AGENT_NAME: identity, B.STATE: "active", B.GENERATION: "1",
              B.CONTINUATION_EPOCH: "1", B.INSTANCE_TOKEN: instance_token(bid, "1")}
        if template:
            md[B.TEMPLATE] = template
            md[B.CANONICAL_INSTANCE_NAME] = identity
        if how == "named":
            n = city.named_by_identity(identity)
            md.update({B.SESSION_ORIGIN: "named", B.CONFIGURED_NAMED_SESSION: "true",
                       B.CONFIGURED_NAMED_IDENTITY: identity,
                       B.CONFIGURED_NAMED_MODE: n.effective_mode if n else "on_demand"})
        elif template:
            md[B.POOL_MANAGED] = "true"
            md[B.SESSION_ORIGIN] = "ephemeral"
            if slot > 0:
                md[B.POOL_SLOT] = str(slot)
                md[B.CANONICAL_POOL_SLOT] = str(slot)
        out.logs += _resolution_lines(city, rs.name, template, slot, how)
        # The runtime keeps whatever GC_SESSION_ID it carries: adoption writes only the bead.
        try:
            store.create_session(md, world.now, bead_id=bid, title=identity, labels=[f"agent:{identity}"])
        except StoreWriteError as err:
            out.logs.append(f"adoption barrier: creating session bead for {go_quote(rs.name)}: {err}")
            skipped += 1
            continue
        # Gas City logs only the count below; which runtime became which identity is citywatch's note
        out.notes.append(f"adopting running session {rs.name} as {identity} ({how})")
        out.actions.append(Action("adopt", bid, rs.name, how, identity, template))
        adopted += 1
    if adopted:
        out.logs.append(f"Adopted {adopted} running session(s) into bead store.")
    if skipped:
        out.logs.append(f"gc start: adoption barrier: {skipped} session(s) failed bead creation")
    return out


def _resolution_lines(city: City, name: str, template: str, slot: int, how: str) -> list[str]:
    """The lines runAdoptionBarrier writes while resolving a session name, before its bead is
    created: a stale singleton suffix, a pool slot past the template's max, or a `-N` name no
    configured agent claims."""
    if how == "stale-singleton":
        return [f"adoption barrier: adopting stale singleton suffix session {name} as canonical agent {template} "
                "without pool_slot metadata"]
    a = city.agent(template) if template else None
    if how == "pool-slot-out-of-bounds" and a is not None and a.max_active_sessions is not None \
            and 0 <= a.max_active_sessions < slot:
        return [f"adoption barrier: {name} pool slot {slot} exceeds max {a.max_active_sessions} (adopt-then-drain)"]
    suffix = _POOL_SLOT.search(name)
    if how == "unknown" and suffix is not None and int(suffix.group(1)) > 0:
        return [f"adoption barrier: {name} ends in -{int(suffix.group(1))} but no configured agent (after pool-base "
                "resolution) claims it; adopting under sessionName=agent_name (orphan?)"]
    return []
