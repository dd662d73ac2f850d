"""canonicalSessionIdentity (catalog A12) and the slot-identity parsing it rests on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import session_bead as bead

from core.config.load import load_city_text
from core.desired.context import BuildContext
from core.desired.discovery import canonical_identity
from core.identity import persisted_identity_slot, resolve_pool_slot, stale_suffixed
from core.world.world import World

T0 = datetime(2026, 5, 16, 12, tzinfo=UTC)

CITY = """
[workspace]
name = "test-city"

[[agent]]
name = "dog"
dir = "gascity"
min_active_sessions = 0

[[agent]]
name = "refinery"
dir = "gascity"
max_active_sessions = 1
"""


def ctx_for(text: str, tmp_path) -> BuildContext:
    city = load_city_text(text, str(tmp_path), "city.toml")
    return BuildContext(city, World(T0), "current", [])


STAMPED = dict(template="gascity/dog", agent_name="gascity/dog", pool_slot="1", pool_managed="true",
               session_name="s-dog-1", state="active")
UNSTAMPED = dict(template="gascity/dog", agent_name="gascity/dog", pool_managed="true", session_name="s-dog-new",
                 state="creating")
NAMED = dict(template="gascity/dog", agent_name="gascity/dog", session_name="s-opus", configured_named_session="true",
             configured_named_identity="gascity/opus")
LEGACY_NAMED = dict(template="gascity/dog", agent_name="gascity/dog", session_name="s-legacy",
                    configured_named_session="true")


@pytest.mark.parametrize("agent, md, want", [
    ("gascity/dog", STAMPED, "gascity/dog-1"),
    ("gascity/dog", UNSTAMPED, "gascity/dog"),
    ("gascity/dog", NAMED, "gascity/opus"),
    ("gascity/dog", LEGACY_NAMED, "gascity/dog"),
    ("gascity/refinery", STAMPED, "gascity/refinery"),
], ids=["stamped-pool", "unstamped-creating", "named", "named-without-identity", "singleton-stamped"])
def test_canonical_session_identity(tmp_path, agent, md, want):
    ctx = ctx_for(CITY, tmp_path)
    assert canonical_identity(ctx, ctx.agent(agent), bead("b1", **md)) == want


def test_resolve_pool_slot_reads_current_and_legacy_suffixes():
    assert resolve_pool_slot("rig/claude-3", "rig/claude") == 3
    assert resolve_pool_slot("rig/claude-gc-7", "rig/claude") == 7
    assert resolve_pool_slot("rig/claude-x", "rig/claude") == 0
    assert resolve_pool_slot("rig/claudette-1", "rig/claude") == 0


def test_persisted_identity_slot_local_names_need_a_matching_template(tmp_path):
    ctx = ctx_for(CITY, tmp_path)
    dog = ctx.agent("gascity/dog")
    assert persisted_identity_slot(dog, True, "gascity/dog-2") == 2
    assert persisted_identity_slot(dog, True, "dog-4") == 4
    assert persisted_identity_slot(dog, False, "dog-4") == 0
    assert persisted_identity_slot(dog, True, "", "gascity/dog-5") == 5


def test_stale_suffix_recognizes_any_numbered_singleton_identity(tmp_path):
    ctx = ctx_for(CITY, tmp_path)
    ref = ctx.agent("gascity/refinery")
    assert stale_suffixed(ref, "gascity/refinery-10")  # out of range still counts
    assert stale_suffixed(ref, "refinery-1")
    assert not stale_suffixed(ref, "gascity/refinery")
    assert not stale_suffixed(ref, "gascity/refinery-1", "pre-2053")  # no canonical singletons then
    assert not stale_suffixed(ctx.agent("gascity/dog"), "gascity/dog-1")
