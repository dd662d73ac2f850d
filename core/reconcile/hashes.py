"""The started-config fingerprints a session is stamped with when its start commits, and the
version rules for comparing them (runtime.CoreFingerprint / LiveFingerprint /
IsLegacyOrMismatchedVersion). The core hash is `Agent.core_fingerprint()`."""

from __future__ import annotations

import json

from core.config.city_config import Agent

CURRENT_VERSION = "v5"


_MEMO: dict[tuple[str, int], tuple[Agent, str]] = {}


def _memo(kind: str, a: Agent, compute) -> str:
    """Per agent object (a loaded City is never mutated), keyed by identity."""
    hit = _MEMO.get((kind, id(a)))
    if hit is not None and hit[0] is a:
        return hit[1]
    if len(_MEMO) > 8192:
        _MEMO.clear()
    value = compute()
    _MEMO[(kind, id(a))] = (a, value)
    return value


def core_hash(a: Agent) -> str:
    """The agent's core config hash (memoised per loaded agent)."""
    return _memo("core", a, a.core_fingerprint)


def provision_hash(a: Agent) -> str:
    """ProvisionFingerprint: the box half of the core hash."""
    return _memo("provision", a, lambda: a.partition_fingerprint("provision"))


def launch_hash(a: Agent) -> str:
    """LaunchFingerprint: the agent-process half of the core hash."""
    return _memo("launch", a, lambda: a.partition_fingerprint("launch"))


def live_hash(a: Agent) -> str:
    """The session_live fingerprint, versioned like the core hash."""
    return _memo("live", a, lambda: f"{CURRENT_VERSION}:{a.live_fingerprint()}")


def breakdown(a: Agent) -> str:
    """core_hash_breakdown: what the stamped core hash was computed from (diagnostic)."""
    return json.dumps({"version": CURRENT_VERSION, "core": core_hash(a), "live": live_hash(a)}, sort_keys=True,
                      separators=(",", ":"))


def legacy_or_mismatched(stored: str) -> bool:
    """runtime.IsLegacyOrMismatchedVersion: a stored hash without a `version:` prefix (a bare
    pre-versioning hash) or of another fingerprint version. An empty stored hash is not legacy:
    nothing was recorded, so a live hash is applied, not silently rebaselined."""
    if stored == "":
        return False
    head, colon, _ = stored.partition(":")
    if not colon:
        return True
    return head != CURRENT_VERSION


def version_mismatched(stored: str) -> bool:
    """runtime.IsVersionMismatchedHash: the stored hash carries a `v<ASCII digits>:` prefix (the
    digits may be none) that is not the current fingerprint version."""
    head, colon, _ = stored.partition(":")
    if not colon or not head or head == CURRENT_VERSION or head[0] != "v":
        return False
    return all("0" <= ch <= "9" for ch in head[1:])


def rebaseline_outcome(stored: str) -> str:
    """rebaselineLegacyHashOutcome: the outcome code for re-baselining a stored hash."""
    return "rebaselined_version_mismatch" if version_mismatched(stored) else "rebaselined_unversioned"


def truncate_for_log(h: str) -> str:
    """truncateHashForLog: a hash as the rebaseline log lines show it: up to 10 characters after
    the first ':' (the version prefix stays visible), else the first 12 characters."""
    i = h.find(":")
    if i >= 0:
        return h[:i + 1 + 10]
    return h[:12]
