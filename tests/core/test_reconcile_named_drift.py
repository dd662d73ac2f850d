"""resetConfiguredNamedSessionForConfigDrift and shouldDeferNamedSessionConfigDrift
(cmd/gc/session_reconciler.go): the patch a named session's drift reset writes, field by field,
and when its restart waits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import named_mayor_scenario, scenario_model

from core.formats.timefmt import format_time_seconds
from core.outcome import Outcome
from core.reconcile.config_drift import _named_active_reason, reset_named_for_drift
from core.reconcile.context import TickContext

CITY = named_mayor_scenario("drift", """\
session_name = "mayor"
template = "mayor"
configured_named_session = "true"
configured_named_identity = "mayor"
state = "active"
session_key = "{key}"
started_config_hash = "{started}"
started_live_hash = "v5:live"
live_hash = "v5:live"
last_woke_at = "2026-05-16T11:00:00Z"
restart_requested = "true"
pending_create_claim = "true"
primed_at = "2026-05-16T11:00:00Z"
prompt_hash = "p"
config_drift_deferred_at = "2026-05-16T11:59:00Z"
config_drift_deferred_key = "a:b"
pin_awake = "{pin}"
""",
                            after="""\
[[runtime]]
name = "mayor"
session_id = "gc-1"
attached = {attached}
last_activity = "{activity}"
""")


def ctx_of(tmp_path, key="k-1", started="v5:old", pin="", attached="false", activity="2026-05-16T11:00:00Z"):
    text = CITY.format(key=key, started=started, pin=pin, attached=attached, activity=activity)
    m = scenario_model(tmp_path, text, "drift.toml")
    return TickContext(m.city, m.world, m.semantics, Outcome()), m


CLEARED = {"last_woke_at": "", "restart_requested": "", "primed_at": "", "prompt_hash": "",
           "config_drift_deferred_at": "", "config_drift_deferred_key": "", "started_live_hash": "", "live_hash": ""}


def test_a_restart_in_place_stops_the_runtime_claims_a_start_and_keeps_the_resume_key(tmp_path):
    ctx, m = ctx_of(tmp_path)
    b = reset_named_for_drift(ctx, m.world.store.session("gc-1"), True, "start-pending")
    assert not m.world.runtime.alive("mayor")
    for k, v in {**CLEARED, "state": "start-pending", "continuation_reset_pending": "true",
                 "pending_create_claim": "true", "pending_create_started_at": "2026-05-16T12:00:00Z",
                 "session_key": "k-1", "started_config_hash": "v5:old"}.items():
        assert b.get(k) == v, k


def test_a_reset_into_creating_keeps_the_resume_key_too(tmp_path):
    ctx, m = ctx_of(tmp_path)
    b = reset_named_for_drift(ctx, m.world.store.session("gc-1"), True, "creating")
    assert (b.state, b.get("session_key"), b.get("started_config_hash"), b.get("pending_create_claim")) == \
        ("creating", "k-1", "v5:old", "true")


@pytest.mark.parametrize("key, started", [("", "v5:old"), ("  ", "v5:old"), ("k-1", "")])
def test_the_resume_key_is_kept_only_with_a_started_hash_beside_it(tmp_path, key, started):
    ctx, m = ctx_of(tmp_path, key=key, started=started)
    b = reset_named_for_drift(ctx, m.world.store.session("gc-1"), True, "creating")
    assert (b.get("started_config_hash"), b.state) == ("", "creating")
    assert b.get("pending_create_claim") == "true"
    # nothing to resume: ConfigDriftResetPatch gets a freshly minted conversation key
    assert b.get("session_key").strip() and b.get("session_key") != key


def test_an_asleep_repair_clears_the_claim_and_replaces_the_resume_key_and_stops_nothing(tmp_path):
    ctx, m = ctx_of(tmp_path)
    b = reset_named_for_drift(ctx, m.world.store.session("gc-1"), False, "asleep")
    assert m.world.runtime.alive("mayor")
    for k, v in {**CLEARED, "state": "asleep", "continuation_reset_pending": "true", "pending_create_claim": "",
                 "pending_create_started_at": "", "started_config_hash": ""}.items():
        assert b.get(k) == v, k
    assert b.get("session_key").strip() and b.get("session_key") != "k-1"


def test_a_pinned_session_defers_and_records_the_drift_once(tmp_path):
    ctx, m = ctx_of(tmp_path, pin="true")
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == "pinned"
    b = m.world.store.session("gc-1")
    assert (b.get("config_drift_deferred_at"), b.get("config_drift_deferred_key")) == ("2026-05-16T12:00:00Z", "x:y")
    ctx.now += timedelta(seconds=10)
    assert _named_active_reason(ctx, b, "x:y") == "pinned"
    assert m.world.store.session("gc-1").get("config_drift_deferred_at") == "2026-05-16T12:00:00Z"
    ctx2, m2 = ctx_of(tmp_path, pin="true")
    assert _named_active_reason(ctx2, m2.world.store.session("gc-1"), "a:b") == "pinned"
    assert m2.world.store.session("gc-1").get("config_drift_deferred_at") == "2026-05-16T11:59:00Z"


def test_a_deferral_is_stamped_in_whole_seconds(tmp_path):
    """recordNamedSessionConfigDriftDeferredAt writes `t.UTC().Format(time.RFC3339)`: the
    fraction of the clock is dropped."""
    ctx, m = ctx_of(tmp_path, pin="true")
    ctx.now += timedelta(milliseconds=900)
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == "pinned"
    assert m.world.store.session("gc-1").get("config_drift_deferred_at") == "2026-05-16T12:00:00Z"


def test_an_attached_session_defers(tmp_path):
    ctx, m = ctx_of(tmp_path, attached="true")
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == "attached"


def test_recent_activity_defers_thirty_seconds_from_the_first_deferral_of_this_drift(tmp_path):
    ctx, m = ctx_of(tmp_path, activity="2026-05-16T11:59:50Z")
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == "recent_activity"
    b = m.world.store.session("gc-1")
    assert (b.get("config_drift_deferred_at"), b.get("config_drift_deferred_key")) == ("2026-05-16T12:00:00Z", "x:y")
    ctx.now += timedelta(seconds=29)
    assert _named_active_reason(ctx, b, "x:y") == "recent_activity"
    ctx.now += timedelta(seconds=1)
    assert _named_active_reason(ctx, b, "x:y") == ""
    # the stored deferral (key a:b, 11:59:00) is this drift's: 60 s have passed, no more waiting
    ctx2, m2 = ctx_of(tmp_path, activity="2026-05-16T11:59:50Z")
    assert _named_active_reason(ctx2, m2.world.store.session("gc-1"), "a:b") == ""


def test_activity_older_than_the_threshold_does_not_defer(tmp_path):
    ctx, m = ctx_of(tmp_path, activity="2026-05-16T11:00:00Z")
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == ""


def test_an_attached_deferral_is_recorded_and_refreshed_only_once_old(tmp_path):
    from core.reconcile.config_drift import (
        ATTACHED_FALSE_NEGATIVE_LIMIT,
        ATTACHED_REFRESH_INTERVAL,
        recently_attached,
        record_attached,
    )

    ctx, m = ctx_of(tmp_path)
    record_attached(ctx, m.world.store.session("gc-1"), "x:y")
    b = m.world.store.session("gc-1")
    assert (b.get("attached_config_drift_deferred_at"), b.get("attached_config_drift_deferred_key")) == \
        ("2026-05-16T12:00:00Z", "x:y")
    assert recently_attached(ctx, b, "x:y") and not recently_attached(ctx, b, "a:b") and not recently_attached(ctx, b, "")
    ctx.now += timedelta(seconds=ATTACHED_REFRESH_INTERVAL - 1)
    record_attached(ctx, b, "x:y")
    assert m.world.store.session("gc-1").get("attached_config_drift_deferred_at") == "2026-05-16T12:00:00Z"
    ctx.now += timedelta(seconds=1)
    record_attached(ctx, b, "x:y")
    b = m.world.store.session("gc-1")
    assert b.get("attached_config_drift_deferred_at") == format_time_seconds(ctx.now)
    record_attached(ctx, b, "p:q")
    assert m.world.store.session("gc-1").get("attached_config_drift_deferred_key") == "p:q"

    ctx2, m2 = ctx_of(tmp_path)
    record_attached(ctx2, m2.world.store.session("gc-1"), "x:y")
    b2 = m2.world.store.session("gc-1")
    ctx2.now += timedelta(seconds=ATTACHED_FALSE_NEGATIVE_LIMIT - 1)
    assert recently_attached(ctx2, b2, "x:y")
    ctx2.now += timedelta(seconds=1)
    assert not recently_attached(ctx2, b2, "x:y")
    ctx2.now -= timedelta(days=1)  # a record from the future is trusted
    assert recently_attached(ctx2, b2, "x:y")


def test_activity_exactly_the_threshold_old_does_not_defer(tmp_path):
    """namedSessionActiveUseReasonInfo: recent is `now - last < namedSessionActivityThreshold`."""
    ctx, m = ctx_of(tmp_path, activity="2026-05-16T11:58:00Z")
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "x:y") == ""
    ctx2, m2 = ctx_of(tmp_path, activity="2026-05-16T11:58:01Z")
    assert _named_active_reason(ctx2, m2.world.store.session("gc-1"), "x:y") == "recent_activity"


def test_a_pinned_deferral_of_this_drift_without_a_stamp_is_stamped(tmp_path):
    ctx, m = ctx_of(tmp_path, pin="true")
    m.world.store.update_session("gc-1", {"config_drift_deferred_at": ""})
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "a:b") == "pinned"
    assert m.world.store.session("gc-1").get("config_drift_deferred_at") == "2026-05-16T12:00:00Z"


def test_a_deferral_stamp_that_does_not_parse_starts_the_window_again(tmp_path):
    """boundedNamedSessionConfigDriftDeferral: an unparsable deferred_at is re-recorded and defers."""
    ctx, m = ctx_of(tmp_path, activity="2026-05-16T11:59:50Z")
    m.world.store.update_session("gc-1", {"config_drift_deferred_at": "soon"})
    assert _named_active_reason(ctx, m.world.store.session("gc-1"), "a:b") == "recent_activity"
    b = m.world.store.session("gc-1")
    assert (b.get("config_drift_deferred_at"), b.get("config_drift_deferred_key")) == ("2026-05-16T12:00:00Z", "a:b")
