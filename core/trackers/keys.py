"""Which lifecycle-tracker entry a runtime session uses (idle timeout, max session age,
assigned-work defer backstop), as buildIdleTracker and its siblings register them.

Per-name entries are the runtime names a template can be enumerated under: a canonical
singleton registers its canonical name plus any stale `name-N` runtime still running (#2053);
a bounded slot pool registers `name-1..max`; an unlimited pool registers the running
`name-N` sessions; a plain agent registers its own name; a named session (not mode="always")
registers its runtime name. Pool sessions minted with bead-derived names match none of these
and fall back to the template entry (#2460), except always-mode named sessions, which are
exempt from the fallback.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from core.config.city_config import Agent, City
from core.formats.goparse import digits_value
from core.identity import (
    canonical_singleton,
    instance_expansion,
    qualified_instance,
    session_name_for,
)


@dataclass
class LifecycleKeys:
    """A tracker's registrations: runtime name -> agent, template -> agent, exempt names."""

    names: dict[str, Agent] = field(default_factory=dict)
    templates: dict[str, Agent] = field(default_factory=dict)
    exempt: set[str] = field(default_factory=set)

    def resolve(self, session_name: str, template: str) -> tuple[Agent, str, str] | None:
        """(agent, key, source) for a session: the per-name entry first, then the template
        fallback unless the name is exempt; None when the tracker has no entry for it."""
        a = self.names.get(session_name)
        if a is not None:
            return a, session_name, "name"
        if session_name in self.exempt or not template:
            return None
        a = self.templates.get(template)
        if a is not None:
            return a, template, "template"
        return None

    def __bool__(self) -> bool:
        return bool(self.names or self.templates)


def pool_instances(city: City, a: Agent, semantics: str, running: Sequence[str]) -> list[str]:
    """discoverPoolInstances: the qualified instance identities a template enumerates.
    `running` is sorted (as Runtime.running_names returns it)."""
    qn = a.qualified_name
    m = a.max_active_sessions
    # scaleParamsFor: an unset max is -1, unlimited, namepool or not; a namepool without a max
    # enumerates no names, only the running `<name>-N` runtimes.
    if m is not None and m >= 0:
        if canonical_singleton(a, semantics):
            names = [qn]
            prefix = session_name_for(city, qn + "-")
            stale = set()
            for sn in _with_prefix(running, prefix):
                tail = sn[len(prefix):]
                n = digits_value(tail)
                if n is not None and n > 0:
                    stale.add(f"{qn}-{tail}")
            return names + sorted(stale)
        return [qualified_instance(a, i) for i in range(1, m + 1)]
    prefix = session_name_for(city, qn + "-")
    return [qn + "-" + sn[len(prefix):] for sn in _with_prefix(running, prefix)]


def _with_prefix(names: Sequence[str], prefix: str) -> Sequence[str]:
    """The names of sorted `names` that start with `prefix`, in order (a binary search, not a
    scan: every template asks this of every running session)."""
    start = bisect_left(names, prefix)
    end = start
    while end < len(names) and names[end].startswith(prefix):
        end += 1
    return names[start:end]


def build_keys(city: City, semantics: str, running: Iterable[str], has_knob: Callable[[Agent], bool]) -> LifecycleKeys:
    """Register every agent for which `has_knob` holds, the way Gas City's tracker builders do."""
    keys = LifecycleKeys()
    running = sorted(running)
    for a in city.agents:
        if not has_knob(a):
            continue
        qn = a.qualified_name
        named = city.named_by_identity(qn)
        sie = instance_expansion(a, semantics)
        if named is not None:
            runtime_name = session_name_for(city, named.identity)
            if named.effective_mode != "always":
                keys.names[runtime_name] = a
            else:
                keys.exempt.add(runtime_name)
            if not sie:
                continue
        if sie:
            for inst in pool_instances(city, a, semantics, running):
                keys.names[session_name_for(city, inst)] = a
            if a.max_active_sessions != 0:
                keys.templates[qn] = a
                for n in city.named_for_template(qn):
                    if n.effective_mode == "always":
                        keys.exempt.add(session_name_for(city, n.identity))
            continue
        keys.names[session_name_for(city, qn)] = a
    return keys
