"""formatStrandedMessage (cmd/gc/session_reconciler.go) and the model's fresh conversation key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.reconcile.session_key import fresh_session_key
from core.reconcile.wake_apply import stranded_message

PREFIX = 'pool session "worker-gc-1" (template "rig/worker") terminated without clean drain'


def test_the_stranded_message_lists_at_most_ten_work_beads():
    assert stranded_message("rig/worker", " worker-gc-1 ", []) == \
        PREFIX + "; close gate retains slot — work assignee count unavailable"
    assert stranded_message("rig/worker", "worker-gc-1", ["w-1"]) == PREFIX + "; 1 in-progress work bead(s) stranded: w-1"
    ten = [f"w-{n}" for n in range(1, 11)]
    assert stranded_message("rig/worker", "worker-gc-1", ten) == \
        PREFIX + "; 10 in-progress work bead(s) stranded: " + ",".join(ten)
    assert stranded_message("rig/worker", "worker-gc-1", ten + ["w-11", "w-12"]) == \
        PREFIX + "; 12 in-progress work bead(s) stranded: " + ",".join(ten) + " (+2 more)"
    assert stranded_message("", "x", []).startswith('pool session "x" (template "<unknown-template>") ')


def test_a_fresh_session_key_is_a_uuid_shaped_digest_of_the_bead_and_the_instant():
    t = datetime(2026, 5, 16, 12, tzinfo=UTC)
    key = fresh_session_key("gc-1", t)
    assert [len(p) for p in key.split("-")] == [8, 4, 4, 4, 12] and key == fresh_session_key("gc-1", t)
    assert key != fresh_session_key("gc-2", t) and key != fresh_session_key("gc-1", t + timedelta(seconds=1))
    import hashlib

    digest = hashlib.sha256(b"gc-1|2026-05-16T12:00:00Z").hexdigest()
    assert key.replace("-", "") == digest[:32]
