"""Indexes of a city's agents for resolving templates, identities and work routes.

Gas City resolves these by scanning every agent (findAgentByTemplate, resolveLegacyPoolTemplate,
resolvedTemplateForIdentity, NormalizePoolRouteTarget); doing that for every bead and every work
route makes a tick quadratic in the city's size. A `TemplateLookup` answers the same questions
from dictionaries built once per config and semantics, and remembers each answer (they depend
on nothing else), so the scans' results, including their first-wins and must-be-unique rules,
are kept exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.config.city_config import Agent, City, qualify
from core.formats.goparse import ascii_digits, digits_value
from core.identity import (
    expanded_session_identities,
    has_configured_bound,
    in_bounds_slot,
    instance_expansion,
    persisted_identity_slot,
)
from core.world.beads import SessionBead


def parse_qualified(identity: str) -> tuple[str, str]:
    """ParseQualifiedName: (dir, name) split at the last slash."""
    dir_, slash, name = identity.rpartition("/")
    return (dir_, name) if slash else ("", identity)


def template_lookup(city: City, semantics: str) -> TemplateLookup:
    """The lookup of `city` under `semantics` (built once, kept on the city)."""
    return city.derived(("template_lookup", semantics), lambda: TemplateLookup(city, semantics))


class TemplateLookup:
    def __init__(self, city: City, semantics: str) -> None:
        self.city = city
        self._unbound: dict[tuple[str, str], Agent] = {}
        self._unbound_stripped: dict[tuple[str, str], Agent] = {}
        self._sie_by_local: dict[str, list[str]] = {}
        self._sie_by_slot_key: dict[str, list[Agent]] = {}
        self._sesi_by_qn: dict[str, list[Agent]] = {}
        for a in city.agents:
            if not a.binding:
                self._unbound.setdefault((a.dir, a.name), a)
                self._unbound_stripped.setdefault((a.dir.strip(), a.name.strip()), a)
            if expanded_session_identities(a, semantics):
                self._sesi_by_qn.setdefault(a.qualified_name, []).append(a)
            if instance_expansion(a, semantics):
                self._sie_by_local.setdefault(parse_qualified(a.qualified_name)[1], []).append(a.qualified_name)
                for key in _slot_keys(a):
                    group = self._sie_by_slot_key.setdefault(key, [])
                    if not group or group[-1] is not a:
                        group.append(a)
        self._find: dict[str, Agent | None] = {}
        self._legacy: dict[str, str] = {}
        self._identity: dict[str, str] = {}
        self._route: dict[str, str] = {}
        self._facts_now: dict[str, tuple[SessionBead, dict[Any, Any]]] = {}
        self._facts_before: dict[str, tuple[SessionBead, dict[Any, Any]]] = {}
        self._facts_tick: int | None = None

    def bead_facts(self, b: SessionBead, tick: int) -> dict[Any, Any]:
        """A place to keep what bead `b` resolves to under this config and semantics (its
        template, its agent, its shape for that agent): those depend on nothing but this lookup's
        config and the bead, so they are kept across the build's passes and across ticks. An
        entry answers only for the very bead object it was made for (a change makes a new bead).
        What went unasked for a whole tick is dropped (two generations, as the tick memos keep),
        so memory follows the beads the city has now."""
        if tick != self._facts_tick:
            self._facts_before, self._facts_now, self._facts_tick = self._facts_now, {}, tick
        hit = self._facts_now.get(b.id)
        if hit is not None and hit[0] is b:
            return hit[1]
        hit = self._facts_before.get(b.id)
        if hit is None or hit[0] is not b:
            hit = (b, {})
        self._facts_now[b.id] = hit
        return hit[1]

    def find_agent_by_template(self, template: str) -> Agent | None:
        """findAgentByTemplate: the exact qualified name, the V1 `dir/name` form of a
        binding-less agent, then a legacy bound form `dir/binding.name` of an unbound agent."""
        try:
            return self._find[template]  # the spelling as asked: most are asked many times a tick
        except KeyError:
            pass
        asked = template
        template = (template or "").strip()
        if not template:
            return None
        try:
            a = self._find[asked] = self._find[template]
            return a
        except KeyError:
            pass
        a = self.city.agent(template)
        if a is None:
            dir_, name = parse_qualified(template)
            a = self._unbound.get((dir_, name))
            binding, dot, unbound = name.partition(".")
            if a is None and dot and binding.strip():
                a = self._unbound_stripped.get((dir_.strip(), unbound.strip()))
        self._find[template] = self._find[asked] = a
        return a

    def legacy_pool_template(self, stored: str) -> str:
        """resolveLegacyPoolTemplate: a known template, else the unique expanding agent whose
        local name equals an unqualified stored template."""
        stored = (stored or "").strip()
        if not stored:
            return ""
        out = self._legacy.get(stored)
        if out is None:
            a = self.find_agent_by_template(stored)
            out = a.qualified_name if a is not None else _unique(self._sie_by_local.get(stored, ()))
            self._legacy[stored] = out
        return out

    def template_for_identity(self, identity: str) -> str:
        """resolvedTemplateForIdentity: the template an identity spelling belongs to (a template
        name, a legacy unqualified template, or a unique in-bounds instance identity)."""
        identity = (identity or "").strip()
        if not identity:
            return ""
        out = self._identity.get(identity)
        if out is None:
            a = self.find_agent_by_template(identity)
            out = a.qualified_name if a is not None else (self.legacy_pool_template(identity)
                                                          or self._instance_template(identity))
            self._identity[identity] = out
        return out

    def _instance_template(self, identity: str) -> str:
        matches = []
        for key in _identity_keys(identity):
            for a in self._sie_by_slot_key.get(key, ()):
                n = persisted_identity_slot(a, True, identity)
                if n <= 0 or (has_configured_bound(a) and not in_bounds_slot(a, n)):
                    continue
                matches.append(a.qualified_name)
        return _unique(matches)

    def normalize_route(self, target: str) -> str:
        """NormalizePoolRouteTarget: `rig/claude-2` -> `rig/claude` for a multi-session agent when
        2 is within its max (any N >= 1 when unlimited)."""
        if not target:
            return target
        out = self._route.get(target)
        if out is None:
            out = target
            prefix, dash, tail = target.rpartition("-")
            n = digits_value(tail) if dash else None
            if n is not None and n >= 1:
                for a in self._sesi_by_qn.get(prefix, ()):
                    m = a.max_active_sessions
                    if m is not None and m >= 0 and n > m:
                        continue
                    out = a.qualified_name
                    break
            self._route[target] = out
        return out


def _slot_keys(a: Agent) -> Iterable[str]:
    """Every spelling an identity of `a` may be `<key>-N` of, or equal to (namepool names)."""
    yield a.qualified_name
    yield f"{a.binding}.{a.name}" if a.binding else a.name
    for themed in a.namepool_names:
        themed = themed.strip()
        if themed:
            yield themed
            yield qualify(a.dir, a.binding, themed)


def _identity_keys(identity: str) -> list[str]:
    """The keys an identity can match by: itself (a namepool name), the part before a `-N`
    suffix and the part before a legacy `-gc-N` suffix."""
    keys = [identity]
    base, dash, tail = identity.rpartition("-")
    if dash and ascii_digits(tail):
        keys.append(base)
    i = identity.rfind("-gc-")
    if i >= 0 and ascii_digits(identity[i + 4:]):
        keys.append(identity[:i])
    return keys


def _unique(qns: Iterable[str]) -> str:
    """The one distinct qualified name in `qns`, else "" (none, or more than one)."""
    found = ""
    for qn in qns:
        if found and found != qn:
            return ""
        found = qn
    return found
