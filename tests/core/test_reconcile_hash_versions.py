"""runtime.IsLegacyOrMismatchedVersion and IsVersionMismatchedHash (internal/runtime/fingerprint.go),
and the rebaseline trace outcome they give (rebaselineLegacyHashOutcome)."""

from __future__ import annotations

import pytest

from core.reconcile.hashes import (
    CURRENT_VERSION,
    legacy_or_mismatched,
    rebaseline_outcome,
    version_mismatched,
)


@pytest.mark.parametrize("stored, legacy, mismatched", [
    ("", False, False),
    ("abc123", True, False),
    (f"{CURRENT_VERSION}:abc", False, False),
    ("v4:abc", True, True),
    ("v12:abc", True, True),
    ("v10:abc", True, True),
    ("v0:abc", True, True),
    ("v:abc", True, True),
    ("x4:abc", True, False),
    (":abc", True, False),
    ("v4a:abc", True, False),
    ("v٤:abc", True, False),
    (f"{CURRENT_VERSION}", True, False),
])
def test_hash_versions(stored, legacy, mismatched):
    assert legacy_or_mismatched(stored) is legacy
    assert version_mismatched(stored) is mismatched
    assert rebaseline_outcome(stored) == ("rebaselined_version_mismatch" if mismatched else "rebaselined_unversioned")
