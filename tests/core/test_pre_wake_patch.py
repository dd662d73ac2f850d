"""preWakeCommit and PreWakePatch (cmd/gc/session_wake.go, internal/session/lifecycle_transition.go):
the metadata a start writes before the provider Start. The generation goes up by one (an
unparseable one counts as 0), the instance token is new, the continuation epoch is kept (1 when
unset or not positive) and bumped by a pending reset or by a fresh-mode wake of a session that
woke before (shouldBumpContinuationEpoch); the bead goes creating with its wake and create stamps,
keeps only an idle-timeout sleep reason, and loses its detach, sleep intent and wake request.
A fresh wake (wake_mode "fresh", or a pending reset of a session started before and not mid-start:
pendingContinuationResetNeedsFreshStart) also clears the conversation: session key, started and
live hashes, startup_dialog_verified and the priming markers (applyFreshWakeConversationReset)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import session_bead

from core.desired.realize import instance_token
from core.reconcile.starts import pre_wake_patch

NOW = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)
STAMP = "2026-03-08T12:30:00Z"
CONVERSATION = ("session_key", "started_config_hash", "started_live_hash", "live_hash", "startup_dialog_verified",
                "primed_at", "priming_attempted_at", "prompt_hash")
STARTED = {"session_key": "key-1", "started_config_hash": "h1", "started_live_hash": "l1", "live_hash": "l1",
           "startup_dialog_verified": "true", "primed_at": "2026-03-08T11:00:00Z",
           "priming_attempted_at": "2026-03-08T11:00:00Z", "prompt_hash": "p1"}


def test_a_plain_wake_writes_the_new_incarnation_and_keeps_the_conversation():
    b = session_bead("gc-1", state="asleep", generation="4", continuation_epoch="3", sleep_reason="user-hold",
                     detached_at="x", sleep_intent="idle", wake_request="r", wake_requested_at="t", **STARTED)
    assert pre_wake_patch(b, NOW) == {
        "instance_token": instance_token("gc-1", "5"), "continuation_epoch": "3", "continuation_reset_pending": "",
        "detached_at": "", "state": "creating", "pending_create_started_at": STAMP, "last_woke_at": STAMP,
        "sleep_reason": "", "sleep_intent": "", "generation": "5", "wake_request": "", "wake_requested_at": ""}


@pytest.mark.parametrize(("gen", "new"), [("", "1"), ("0", "1"), ("7", "8"), ("seven", "1")])
def test_the_generation_goes_up_by_one(gen, new):
    patch = pre_wake_patch(session_bead("gc-1", generation=gen), NOW)
    assert patch["generation"] == new and patch["instance_token"] == instance_token("gc-1", new)


@pytest.mark.parametrize(("epoch", "kept"), [("", "1"), ("0", "1"), ("-2", "1"), ("1", "1"), ("2", "2"), ("x", "1")])
def test_the_continuation_epoch_is_kept_and_at_least_one(epoch, kept):
    assert pre_wake_patch(session_bead("gc-1", continuation_epoch=epoch), NOW)["continuation_epoch"] == kept


@pytest.mark.parametrize(("md", "epoch"), [
    ({"continuation_reset_pending": "true"}, "3"),
    ({"wake_mode": "fresh", "last_woke_at": "2026-03-08T11:00:00Z"}, "3"),
    ({"wake_mode": "fresh"}, "2"),                                  # never woke: nothing to reset
    ({"last_woke_at": "2026-03-08T11:00:00Z"}, "2"),               # not fresh mode
    ({"wake_mode": "resume", "last_woke_at": "2026-03-08T11:00:00Z"}, "2"),
])
def test_a_pending_reset_or_a_fresh_rewake_bumps_the_epoch(md, epoch):
    assert pre_wake_patch(session_bead("gc-1", continuation_epoch="2", **md), NOW)["continuation_epoch"] == epoch


@pytest.mark.parametrize(("reason", "kept"), [("idle-timeout", "idle-timeout"), ("idle", ""), ("user-hold", ""),
                                               ("", "")])
def test_only_an_idle_timeout_sleep_reason_survives_the_wake(reason, kept):
    assert pre_wake_patch(session_bead("gc-1", sleep_reason=reason), NOW)["sleep_reason"] == kept


@pytest.mark.parametrize(("md", "fresh"), [
    ({"wake_mode": "fresh"}, True),
    ({"wake_mode": "FRESH"}, False),
    ({"state": "asleep", "continuation_reset_pending": "true"}, True),
    ({"state": "", "continuation_reset_pending": "true"}, True),
    ({"state": " creating ", "continuation_reset_pending": "true"}, False),   # mid-start: the reset waits
    ({"state": "start-pending", "continuation_reset_pending": "true"}, False),
    ({"state": "asleep", "continuation_reset_pending": "  "}, False),          # a blank reset is none
    ({"state": "asleep"}, False),
])
def test_a_fresh_wake_clears_the_conversation(md, fresh):
    started = dict(STARTED)
    b = session_bead("gc-1", **{**started, **md})
    patch = pre_wake_patch(b, NOW)
    if fresh:
        assert {k: patch.get(k) for k in CONVERSATION} == dict.fromkeys(CONVERSATION, "")
    else:
        assert not set(CONVERSATION) & set(patch)


def test_a_pending_reset_of_a_never_started_session_keeps_its_key():
    # no started hash: nothing ran under the key yet, so the reset needs no fresh conversation
    b = session_bead("gc-1", state="asleep", continuation_reset_pending="true", session_key="key-1",
                     started_config_hash=" ")
    assert "session_key" not in pre_wake_patch(b, NOW)
