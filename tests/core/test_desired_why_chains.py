"""The why chain of desired entries, rule and sentence, for catalog cases that cover each way an
entry gets its slot and alias: what `citywatch explain` and the Desired panel show an operator,
so a change of wording or of the rule that applied is a visible, deliberate change."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.scenario.file import load_scenario

DESIRED = Path(__file__).parent.parent / "scenarios" / "desired"

CHAINS = {
    'A1-max-one-canonical-identity.toml': {
        'refinery-gc-1': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery'),
            ('demand.new', 'new demand (scale_check / routed work)'),
            ('slot.canonical', 'canonical singletons never take a slot (pool_slot stays empty)'),
            ('alias.claimed', 'cashmaster/refinery was free at create'),
        ],
    },
    'B10-earliest-reusable-singleton-candidate.toml': {
        's-refinery-earliest': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery'),
            ('demand.new', 'new demand (scale_check / routed work); trigger w-1'),
            ('slot.canonical', 'earliest reusable bead, collapsed onto the canonical identity'),
            ('alias.reclaimed', 'the canonical alias cashmaster/refinery was free: claimed and conflict keys cleared'),
            ('alias.normalized', 'stale slot identity collapsed onto cashmaster/refinery'),
        ],
    },
    'B16-picks-earliest-canonical-duplicate.toml': {
        's-api-root': [
            ('shape.unlimited', 'max_active_sessions unset: api-1, api-2, ... without bound'),
            ('demand.manual', 'an open bead of a configured template rejoins the desired set (the reconciler decides whether it stays awake)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps alias cashmaster/s-api-root'),
        ],
        's-refinery-dep-earliest': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery'),
            ('demand.dependency_floor', 'cashmaster/api depends_on cashmaster/refinery; nothing else desires it'),
            ('slot.canonical', 'reused the canonical dependency bead'),
            ('alias.none', 'a dependency floor asks for no alias; it runs as cashmaster/refinery'),
        ],
    },
    'E1-concrete-agent-slot-over-stale-metadata.toml': {
        's-poisoned': [
            ('shape.slot_pool', 'max_active_sessions = 10: worker-1 .. worker-10'),
            ('demand.resume', 'assigned work w-1 resumes this session'),
            ('slot.claimed_existing', 'kept the slot its identity names (3)'),
            ('alias.claimed', 'alias frontend/worker-3 (the instance identity)'),
        ],
    },
    'E2-preserves-namepool-slot-above-capacity.toml': {
        'gastown__polecat-session-nux': [
            ('shape.namepool', 'namepool set (2 names): identities come from the list'),
            ('demand.resume', 'assigned work work-1 resumes this session'),
            ('slot.preserved', 'assigned work keeps slot 2 above max_active_sessions'),
            ('alias.claimed', 'alias repo/gastown.nux (the instance identity)'),
        ],
    },
    'C1-resume-beats-new.toml': {
        'claude-gc-1': [
            ('shape.slot_pool', 'max_active_sessions = 2: claude-1 .. claude-2'),
            ('demand.new', 'new demand (scale_check / routed work)'),
            ('slot.lowest_free', 'lowest free slot (2)'),
            ('alias.claimed', 'rig/claude-2 was free at create'),
        ],
        'claude-sess-1': [
            ('shape.slot_pool', 'max_active_sessions = 2: claude-1 .. claude-2'),
            ('demand.resume', 'assigned work w1 resumes this session'),
            ('slot.lowest_free', 'its identity names no usable slot: lowest free slot (1)'),
            ('alias.claimed', 'alias rig/claude-1 (the instance identity)'),
        ],
    },
    'B12-manual-assigned-work-keeps-identity.toml': {
        's-refinery-manual': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery'),
            ('demand.resume', 'assigned work w-manual resumes this session'),
            ('slot.canonical', 'canonical singletons never take a slot (pool_slot stays empty)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps its own alias cashmaster/refinery-1'),
        ],
    },
    'B13-new-bead-defers-taken-concrete-alias.toml': {
        'claude-gc-1': [
            ('shape.slot_pool', 'max_active_sessions = 3: claude-1 .. claude-3'),
            ('demand.new', 'new demand (scale_check / routed work)'),
            ('slot.lowest_free', 'lowest free slot (1)'),
            ('alias.deferred', 'rig/claude-1 unavailable at create: held by gc-manual (alias)'),
        ],
        'manual-rig-claude-1': [
            ('shape.slot_pool', 'max_active_sessions = 3: claude-1 .. claude-3'),
            ('demand.manual', 'an open bead of a configured template rejoins the desired set (the reconciler decides whether it stays awake)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps alias rig/claude-1'),
        ],
    },
    'B14-dependency-floor-defers-taken-alias.toml': {
        'claude-gc-1': [
            ('shape.slot_pool', 'max_active_sessions = 5: claude-1 .. claude-5'),
            ('demand.dependency_floor', 'api depends_on claude; nothing else desires it'),
            ('slot.lowest_free', 'fresh floor bead as claude-1'),
            ('alias.deferred', 'claude-1 unavailable at create: held by gc-manual (alias)'),
            ('alias.none', 'a dependency floor asks for no alias; it runs as claude-1'),
        ],
        'manual-claude-1': [
            ('shape.disabled', 'max_active_sessions = 0: no generic sessions'),
            ('demand.manual', 'an open bead of a configured template rejoins the desired set (the reconciler decides whether it stays awake)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps alias claude-1'),
        ],
        's-api-root': [
            ('shape.unlimited', 'max_active_sessions unset: api-1, api-2, ... without bound'),
            ('demand.manual', 'an open bead of a configured template rejoins the desired set (the reconciler decides whether it stays awake)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps alias s-api-root'),
        ],
    },
    'B15-dependency-floor-normalizes-stale.toml': {
        's-api-root': [
            ('shape.unlimited', 'max_active_sessions unset: api-1, api-2, ... without bound'),
            ('demand.manual', 'an open bead of a configured template rejoins the desired set (the reconciler decides whether it stays awake)'),
            ('shape.manual', 'manual session: keeps its persisted identity and alias'),
            ('alias.kept', 'keeps alias cashmaster/s-api-root'),
        ],
        's-refinery-dep-stale': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly cashmaster/refinery'),
            ('demand.dependency_floor', 'cashmaster/api depends_on cashmaster/refinery; nothing else desires it'),
            ('slot.reused', 'reused the earliest dependency-only bead'),
            ('alias.reclaimed', 'the canonical alias cashmaster/refinery was free: claimed and conflict keys cleared'),
            ('alias.normalized', 'stale slot identity collapsed onto cashmaster/refinery'),
            ('alias.none', 'a dependency floor asks for no alias; it runs as cashmaster/refinery'),
        ],
    },
    'B16-dependency-floor-canonical-identity.toml': {
        'db-gc-1': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly gascity/db'),
            ('demand.dependency_floor', 'gascity/api depends_on gascity/db; nothing else desires it'),
            ('slot.canonical', 'fresh floor bead as gascity/db'),
            ('alias.claimed', 'gascity/db was free at create'),
            ('alias.none', 'a dependency floor asks for no alias; it runs as gascity/db'),
        ],
    },
    'B17-deferred-alias-retry-backoff.toml': {
        's-mayor-stale': [
            ('shape.canonical_singleton', 'max_active_sessions = 1 and no namepool: one session named exactly mayor'),
            ('demand.resume', 'assigned work w-1 resumes this session'),
            ('slot.canonical', 'canonical singletons never take a slot (pool_slot stays empty)'),
            ('alias.deferred', 'mayor is held by gc-holder (alias); retried with backoff'),
            ('alias.backoff', 'last attempt 2026-07-19T11:59:59Z (count 5) is inside the backoff window: nothing written'),
        ],
    },
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_why_chains_after_the_first_step(name):
    scn = load_scenario(str(DESIRED / name))
    m = scn.model()
    out = m.do(scn.steps[0])
    got = {sn: [(w.rule, w.detail) for w in e.why] for sn, e in out.desired.entries.items()}
    assert got == CHAINS[name]
