"""countMinActiveCovered (compute_awake_set.go): the pool beads of a template that already meet
its min_active_sessions guarantee. Only pool beads count (not named, manual, drained or
dependency-only ones, nor other templates'); a hard-blocked bead (wait hold, or held or
quarantined until a time still ahead) never counts; an asleep bead counts when an earlier pass
already wants it awake, a live one (active or creating) always, any other state never."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, awake_bead

from core.reconcile.awake import _min_covered

LATER = T0 + timedelta(minutes=5)

# (bead, counts)
BEADS = [
    (awake_bead(id="gc-01", session_name="w-1", state="asleep"), True),  # desired below
    (awake_bead(id="gc-02", session_name="w-2", state="asleep"), True),  # desired below
    (awake_bead(id="gc-03", session_name="w-3", state="asleep"), False),  # asleep, not desired
    (awake_bead(id="gc-04", session_name="w-4", state="active"), True),
    (awake_bead(id="gc-05", session_name="w-5", state="creating"), True),
    (awake_bead(id="gc-06", session_name="w-6", state="draining"), False),
    (awake_bead(id="gc-07", session_name="w-7", state="active", template="other"), False),
    (awake_bead(id="gc-08", session_name="w-8", state="active", named_identity="worker"), False),
    (awake_bead(id="gc-09", session_name="w-9", state="active", configured_named=True), False),
    (awake_bead(id="gc-10", session_name="w-10", state="active", manual=True), False),
    (awake_bead(id="gc-11", session_name="w-11", state="active", drained=True), False),
    (awake_bead(id="gc-12", session_name="w-12", state="active", dependency_only=True), False),
    (awake_bead(id="gc-13", session_name="w-13", state="active", wait_hold=True), False),
    (awake_bead(id="gc-14", session_name="w-14", state="active", held_until=LATER), False),
    (awake_bead(id="gc-15", session_name="w-15", state="asleep", quarantined_until=LATER), False),
    # a hold or quarantine that ends now no longer blocks
    (awake_bead(id="gc-16", session_name="w-16", state="active", held_until=T0), True),
    (awake_bead(id="gc-17", session_name="w-17", state="active", quarantined_until=T0), True),
    (awake_bead(id="gc-18", session_name="w-18", state="active"), True),
]
DESIRED = {"w-1": "assigned-work", "w-2": "named", "w-15": "assigned-work"}


def test_the_beads_that_cover_the_minimum():
    beads = [b for b, _ in BEADS]
    assert _min_covered(beads, DESIRED, "worker", T0) == sum(1 for _, counts in BEADS if counts)
    for b, counts in BEADS:
        assert _min_covered([b], DESIRED, "worker", T0) == (1 if counts else 0), b.id


def test_a_blocked_bead_first_does_not_stop_the_count():
    beads = [b for b, counts in BEADS if not counts] + [b for b, counts in BEADS if counts]
    assert _min_covered(beads, DESIRED, "worker", T0) == sum(1 for _, counts in BEADS if counts)
