"""The attached config-drift deferral record (session_reconciler.go): recordSessionAttached-
ConfigDriftDeferral rewrites the stamp unless the same key is stamped at most 2 minutes ago (not
in the future); recentlyDeferredSessionAttachedConfigDrift trusts a stamp of the same key for
5 minutes, and one in the future."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile.config_drift import recently_attached, record_attached
from core.reconcile.context import TickContext
from core.world.world import World

KEY_AT = ("attached_config_drift_deferred_key", "attached_config_drift_deferred_at")


def setup(key: str, ago: float | None):
    """A tick and bead gc-1 whose deferral names `key`, stamped `ago` seconds before now (None:
    no stamp)."""
    world = World()
    at = "" if ago is None else format_time(world.now - timedelta(seconds=ago))
    world.store.put_session(session_bead("gc-1", attached_config_drift_deferred_key=key,
                                         attached_config_drift_deferred_at=at), "create")
    return TickContext(make_city(), world, "current", Outcome())


@pytest.mark.parametrize(("key", "ago", "want"), [
    ("a:b", 0.0, True),
    ("a:b", 299.0, True),
    ("a:b", 300.0, False),  # the false-negative limit is exclusive
    ("a:b", -60.0, True),  # a stamp in the future is trusted
    ("a:b", None, False),  # no stamp
    ("a:c", 0.0, False),  # another drift's record
])
def test_a_recent_record_of_this_drift(key, ago, want):
    ctx = setup(key, ago)
    assert recently_attached(ctx, ctx.store.session("gc-1"), "a:b") is want


@pytest.mark.parametrize(("key", "ago", "rewritten"), [
    ("a:b", 10.0, False),  # SkipsWriteWithinRefreshInterval
    ("a:b", 119.0, False),
    ("a:b", 120.0, True),  # the refresh interval is exclusive
    ("a:b", -60.0, True),  # a stamp in the future is rewritten
    ("a:b", None, True),  # no stamp
    ("a:c", 10.0, True),  # RewritesWhenKeyChanges
])
def test_recording_the_deferral(key, ago, rewritten):
    ctx = setup(key, ago)
    before = ctx.store.session("gc-1")
    record_attached(ctx, before, "a:b")
    after = ctx.store.session("gc-1")
    want = ("a:b", format_time(ctx.now)) if rewritten else (before.get(KEY_AT[0]), before.get(KEY_AT[1]))
    assert (after.get(KEY_AT[0]), after.get(KEY_AT[1])) == want


def test_a_stamp_of_this_very_second_is_not_rewritten_however_it_is_spelled():
    # the stamp is not after now and younger than the refresh interval: no write, the text stays
    ctx = setup("a:b", None)
    spelled = ctx.now.isoformat()  # 2026-05-16T12:00:00+00:00, the same instant as format_time(now)
    ctx.store.update_session("gc-1", {KEY_AT[1]: spelled})
    record_attached(ctx, ctx.store.session("gc-1"), "a:b")
    assert ctx.store.session("gc-1").get(KEY_AT[1]) == spelled
