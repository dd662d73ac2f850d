"""derivePoolSessionName and the explicit-name rules (catalog A14)."""

from __future__ import annotations

import pytest

from core.desired.naming import SessionNameError, derive_pool_session_name, validate_explicit_name


def never(_: str) -> bool:
    return False


@pytest.mark.parametrize("template, bead_id, alias, want", [
    ("claude", "gc-1", "", "claude-gc-1"),
    ("claude", "gc-1", "   ", "claude-gc-1"),
    ("crew-gastown", "gc-2", "crew--gastown", "crew--gastown"),
    ("rig/claude", "gc-7", "", "claude-gc-7"),
    ("repo/gastown.polecat", "gc-3", "", "gastown__polecat-gc-3"),
], ids=["empty-alias", "whitespace-alias", "alias-wins", "basename", "binding-sanitized"])
def test_derive_pool_session_name(template, bead_id, alias, want):
    assert derive_pool_session_name(template, bead_id, alias, never) == want


def test_claimed_alias_gets_the_bead_id_appended():
    taken = {"crew--gastown"}
    assert derive_pool_session_name("crew-gastown", "gc-9", "crew--gastown", taken.__contains__) == "crew--gastown-gc-9"


def test_claimed_fallback_is_an_error():
    with pytest.raises(SessionNameError):
        derive_pool_session_name("crew", "gc-1", "crew", lambda n: True)


@pytest.mark.parametrize("alias", ["s-crew", "crew demo", "a" * 65])
def test_invalid_alias_is_rejected(alias):
    with pytest.raises(SessionNameError):
        validate_explicit_name(alias)


def test_collision_suffix_may_not_exceed_the_name_limit():
    with pytest.raises(SessionNameError):
        derive_pool_session_name("crew", "gc-1", "a" * 64, lambda n: n == "a" * 64)
