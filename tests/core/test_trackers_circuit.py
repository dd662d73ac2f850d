"""The named-session respawn circuit breaker (session_circuit_breaker.go): configuration and its
defaults, the rolling window, tripping, progress, auto-reset, pruning, and the bead keys it
persists and restores from, each at its boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.config.city_config import City, Daemon
from core.trackers import circuit as C
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.memory import Circuit, Memory

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)
CFG = C.CircuitConfig(window=600.0, max_restarts=2, reset_after=1200.0)


def cfg_of(**kw) -> C.CircuitConfig | None:
    return C.circuit_config(City(root=".", path="city.toml", daemon=Daemon(**kw)))


@pytest.mark.parametrize("kw, want", [
    ({}, None),
    ({"session_circuit_breaker": True}, (3600.0, 5, 7200.0)),
    ({"session_circuit_breaker": True, "max_restarts": 3, "restart_window": "10m"}, (600.0, 3, 1200.0)),
    ({"session_circuit_breaker": True, "max_restarts": 3, "session_circuit_breaker_max_restarts": 7,
      "session_circuit_breaker_window": "5m", "session_circuit_breaker_reset_after": "1m"}, (300.0, 7, 60.0)),
    ({"session_circuit_breaker": True, "session_circuit_breaker_reset_after": "bogus"}, (3600.0, 5, 7200.0)),
    ({"session_circuit_breaker": True, "session_circuit_breaker_max_restarts": 0}, None),
    ({"session_circuit_breaker": True, "max_restarts": 0}, None),
    ({"session_circuit_breaker": True, "max_restarts": 0, "session_circuit_breaker_max_restarts": 1},
     (3600.0, 1, 7200.0)),
    # withDefaults replaces only a window or reset_after of zero or less: a second, or half of one, is kept
    ({"session_circuit_breaker": True, "session_circuit_breaker_window": "1s"}, (1.0, 5, 2.0)),
    ({"session_circuit_breaker": True, "session_circuit_breaker_window": "500ms"}, (0.5, 5, 1.0)),
    ({"session_circuit_breaker": True, "session_circuit_breaker_window": "10m",
      "session_circuit_breaker_reset_after": "1s"}, (600.0, 5, 1.0)),
])
def test_config_and_its_defaults(kw, want):
    """sessionCircuitBreakerConfigFromCity: max restarts fall back to [daemon] max_restarts (5),
    the window to restart_window (1h), reset_after to twice the window; 0 turns it off."""
    got = cfg_of(**kw)
    assert (got and (got.window, got.max_restarts, got.reset_after)) == want


def test_a_zero_window_takes_the_thirty_minute_default():
    # sessionCircuitBreakerConfig.withDefaults: durationOr reads "0s" as zero (only an empty or
    # unparseable value falls back), and a window of zero or less becomes 30 minutes.
    got = cfg_of(session_circuit_breaker=True, session_circuit_breaker_window="0s")
    assert (got.window, got.reset_after) == (1800.0, 3600.0)
    got = cfg_of(session_circuit_breaker=True, restart_window="0s")
    assert (got.window, got.reset_after) == (1800.0, 3600.0)
    got = cfg_of(session_circuit_breaker=True, session_circuit_breaker_window="-5m",
                 session_circuit_breaker_reset_after="0s")
    assert (got.window, got.reset_after) == (1800.0, 3600.0)


def restarts(mem: Memory, *offsets: float, identity: str = "mayor") -> tuple[Memory, str]:
    state = C.CLOSED
    for s in offsets:
        mem, state = C.record_restart(mem, CFG, identity, NOW + timedelta(seconds=s))
    return mem, state


def test_it_opens_on_the_restart_past_the_maximum_inside_the_window():
    mem, state = restarts(Memory(), 0, 10)
    assert state == C.CLOSED
    mem, state = restarts(mem, 20)
    c = mem.circuits["mayor"]
    assert state == C.OPEN and c.opened_at == NOW + timedelta(seconds=20) and c.open_restart_count == 3
    assert C.is_open(mem, CFG, "mayor", NOW + timedelta(seconds=21))[1]
    mem, state = restarts(mem, 30)
    assert state == C.OPEN and len(mem.circuits["mayor"].restarts) == 3  # an open breaker counts nothing more


def test_the_window_keeps_a_restart_exactly_at_its_edge_and_drops_older_ones():
    mem, _ = restarts(Memory(), 0, 1)
    mem, state = restarts(mem, 600)  # cutoff = 0: the restart at 0 is still inside
    assert state == C.OPEN
    mem, state = restarts(Memory(), 0, 1, 601)  # cutoff = 1: the restart at 0 is gone
    assert state == C.CLOSED and mem.circuits["mayor"].restarts == (NOW + timedelta(seconds=1),
                                                                      NOW + timedelta(seconds=601))


def test_progress_inside_the_window_keeps_it_closed_and_progress_older_does_not():
    for progress_at, state in ((-580.0, C.CLOSED), (-581.0, C.OPEN)):
        mem = Memory().set("circuits", "mayor", Circuit(last_progress=NOW + timedelta(seconds=progress_at)))
        assert restarts(mem, 0, 10, 20)[1] == state, progress_at


def test_an_open_breaker_resets_exactly_reset_after_its_last_restart():
    mem, _ = restarts(Memory(), 0, 10, 20)
    assert C.is_open(mem, CFG, "mayor", NOW + timedelta(seconds=1219))[1]
    mem2, open_ = C.is_open(mem, CFG, "mayor", NOW + timedelta(seconds=1220))
    assert not open_ and mem2.circuits["mayor"] == Circuit()
    mem3, state = C.record_restart(mem, CFG, "mayor", NOW + timedelta(seconds=1220))
    assert state == C.CLOSED and mem3.circuits["mayor"].restarts == (NOW + timedelta(seconds=1220),)
    assert C.is_open(Memory(), CFG, "nobody", NOW) == (Memory(), False)


def test_progress_signatures():
    """ObserveProgressSignature: the first signature is a baseline, a change is progress, an
    empty first signature records nothing."""
    mem, changed = C.observe_progress(Memory(), "mayor", "", NOW)
    assert not changed and "mayor" not in mem.circuits
    mem, changed = C.observe_progress(mem, "mayor", "s1", NOW)
    assert changed and mem.circuits["mayor"] == Circuit(signature="s1", observed=True, last_observed=NOW)
    later = NOW + timedelta(seconds=5)
    mem, changed = C.observe_progress(mem, "mayor", "s1", later)
    assert not changed and mem.circuits["mayor"].last_observed == later and mem.circuits["mayor"].last_progress is None
    mem, changed = C.observe_progress(mem, "mayor", "s2", later)
    assert changed and mem.circuits["mayor"].last_progress == later and mem.circuits["mayor"].signature == "s2"
    fresh = Memory().set("circuits", "mayor", Circuit(last_restart=NOW))
    mem, changed = C.observe_progress(fresh, "mayor", "s9", later)
    assert changed and mem.circuits["mayor"].signature == "s9" and mem.circuits["mayor"].last_progress is None


def test_progress_signature_is_a_digest_of_sorted_id_status_pairs():
    class W:
        def __init__(self, id_, status):
            self.id, self.status = id_, status
    assert C.progress_signature([]) == ""
    a = C.progress_signature([W("w-2", "open"), W("w-1", "in_progress")])
    assert a == C.progress_signature([W("w-1", "in_progress"), W("w-2", "open")])
    assert a == "3284bf2ecfabe9fc4ba0e801dffb8c875377c1d0"  # `printf "w-1=in_progress|w-2=open" | sha1sum`
    assert a != C.progress_signature([W("w-1", "closed"), W("w-2", "open")])


def test_prune_drops_only_idle_observation_entries():
    obs = Circuit(signature="s", observed=True, last_observed=NOW)
    mem = (Memory().set("circuits", "idle", obs).set("circuits", "restarted", Circuit(last_restart=NOW, last_observed=NOW))
           .set("circuits", "never", Circuit()).set("circuits", "open", Circuit(state=C.OPEN, last_observed=NOW)))
    assert set(C.prune_idle(mem, CFG, NOW + timedelta(seconds=1199)).circuits) == {"idle", "restarted", "never", "open"}
    assert set(C.prune_idle(mem, CFG, NOW + timedelta(seconds=1200)).circuits) == {"restarted", "never", "open"}


def test_prune_looks_past_entries_it_keeps():
    """pruneIdle visits every entry: one it keeps does not stop it dropping the idle ones after it."""
    obs = Circuit(signature="s", observed=True, last_observed=NOW)
    mem = Memory().set("circuits", "a-open", Circuit(state=C.OPEN, last_observed=NOW)).set("circuits", "b-idle", obs)
    assert set(C.prune_idle(mem, CFG, NOW + timedelta(seconds=1200)).circuits) == {"a-open"}


def test_only_an_open_breaker_auto_resets():
    """maybeAutoResetLocked: a CLOSED entry whose last restart is older than reset_after keeps its
    restarts and progress signature; only an OPEN one is cleared."""
    closed = Circuit(restarts=(NOW,), last_restart=NOW, signature="s", observed=True, last_observed=NOW)
    mem = Memory().set("circuits", "mayor", closed)
    later = NOW + timedelta(seconds=1300)
    mem2, is_open = C.is_open(mem, CFG, "mayor", later)
    assert not is_open and mem2.circuits["mayor"] == closed
    md = C.metadata(mem, CFG, "mayor", later)
    assert md[B.CIRCUIT_PROGRESS_SIGNATURE] == "s" and md[B.CIRCUIT_LAST_RESTART] == "2026-05-16T12:00:00Z"


def test_a_restart_refused_by_an_open_breaker_changes_nothing():
    """recordRestartLocked returns at once for an OPEN entry still cooling down."""
    opened = Circuit(restarts=(NOW,) * 3, state=C.OPEN, last_restart=NOW, opened_at=NOW, open_restart_count=3)
    mem = Memory().set("circuits", "mayor", opened)
    mem2, state = C.record_restart(mem, CFG, "mayor", NOW + timedelta(seconds=60))
    assert state == C.OPEN and mem2.circuits == mem.circuits


def test_an_explicit_reset_forgets_the_breaker_advances_its_generation_twice_and_fences_stale_snapshots():
    open_md = {B.CIRCUIT_STATE: C.OPEN, B.CIRCUIT_LAST_RESTART: "2026-05-16T11:59:00Z",
               B.CIRCUIT_RESET_GENERATION: "3"}
    mem = Memory().set("circuits", "mayor", Circuit(state=C.OPEN, last_restart=NOW))
    mem, patch = C.reset_persisted(mem, "mayor", SessionBead("gc-1", NOW, open_md))
    assert "mayor" not in mem.circuits
    assert patch[B.CIRCUIT_RESET_GENERATION] == "5"  # the bead's 3, then two reset cycles
    assert all(patch[k] == "" for k in B.CIRCUIT_KEYS if k != B.CIRCUIT_RESET_GENERATION)
    # an OPEN snapshot persisted before the reset (generation 3 < 5) is not restored
    assert C.restore(mem, CFG, "mayor", SessionBead("gc-1", NOW, open_md), NOW)[0] is mem
    again, _ = C.restore(mem, CFG, "mayor", SessionBead("gc-1", NOW, dict(open_md, **{B.CIRCUIT_RESET_GENERATION: "5"})), NOW)
    assert again.circuits["mayor"].state == C.OPEN
    with pytest.raises(C.RestoreError, match="strconv.ParseUint"):
        C.reset_persisted(Memory(), "mayor", SessionBead("gc-1", NOW, {B.CIRCUIT_RESET_GENERATION: "x"}))


def test_a_reset_counts_on_from_the_larger_of_the_remembered_and_the_persisted_generation():
    """resetSessionCircuitBreakerState observes the bead's generation, then resets twice: with no
    generation anywhere it records 2; a remembered generation above the bead's wins."""
    _, patch = C.reset_persisted(Memory(), "mayor", SessionBead("gc-1", NOW, {}))
    assert patch[B.CIRCUIT_RESET_GENERATION] == "2"
    mem = Memory().set("circuit_generations", "mayor", 6)
    mem, patch = C.reset_persisted(mem, "mayor", SessionBead("gc-1", NOW, {B.CIRCUIT_RESET_GENERATION: "3"}))
    assert patch[B.CIRCUIT_RESET_GENERATION] == "8" and mem.circuit_generations["mayor"] == 8
    # strconv.ParseUint takes leading zeros: 21 characters can still be a small generation
    _, patch = C.reset_persisted(Memory(), "mayor", SessionBead("gc-1", NOW, {B.CIRCUIT_RESET_GENERATION: "0" * 20 + "1"}))
    assert patch[B.CIRCUIT_RESET_GENERATION] == "3"


def test_metadata_persists_an_open_breaker_and_restores_it():
    mem, _ = restarts(Memory(), 0, 10, 20.5)
    at = NOW + timedelta(seconds=30)
    md = C.metadata(mem, CFG, "mayor", at)
    assert md == {B.CIRCUIT_STATE: C.OPEN, B.CIRCUIT_RESTARTS:
                  '["2026-05-16T12:00:00Z","2026-05-16T12:00:10Z","2026-05-16T12:00:20.5Z"]',
                  B.CIRCUIT_LAST_RESTART: "2026-05-16T12:00:20.5Z", B.CIRCUIT_LAST_PROGRESS: "",
                  B.CIRCUIT_LAST_OBSERVED: "", B.CIRCUIT_PROGRESS_SIGNATURE: "",
                  B.CIRCUIT_OPENED_AT: "2026-05-16T12:00:20.5Z", B.CIRCUIT_OPEN_RESTART_COUNT: "3",
                  **{k: "" for k in B.CIRCUIT_KEYS if k not in (
                      B.CIRCUIT_STATE, B.CIRCUIT_RESTARTS, B.CIRCUIT_LAST_RESTART, B.CIRCUIT_LAST_PROGRESS,
                      B.CIRCUIT_LAST_OBSERVED, B.CIRCUIT_PROGRESS_SIGNATURE, B.CIRCUIT_OPENED_AT,
                      B.CIRCUIT_OPEN_RESTART_COUNT)}}
    bead = SessionBead("gc-1", NOW, md)
    back, was_reset = C.restore(Memory(), CFG, "mayor", bead, at)
    assert not was_reset and back.circuits["mayor"] == mem.circuits["mayor"]
    assert C.restore(mem, CFG, "mayor", bead, at) == (mem, False)  # memory wins
    assert C.restore(Memory(), CFG, "mayor", SessionBead("gc-1", NOW, {}), at) == (Memory(), False)
    reset, was_reset = C.restore(Memory(), CFG, "mayor", bead, NOW + timedelta(seconds=1221))
    assert was_reset and reset.circuits["mayor"] == Circuit()
    assert C.metadata(Memory(), CFG, "mayor", at) == {k: "" for k in B.CIRCUIT_KEYS}


def test_a_closed_breaker_persists_its_observation_and_trims_old_restarts():
    mem = Memory().set("circuits", "mayor", Circuit(restarts=(NOW, NOW + timedelta(seconds=100)),
                                                    last_restart=NOW + timedelta(seconds=100),
                                                    last_observed=NOW, signature="s", observed=True))
    md = C.metadata(mem, CFG, "mayor", NOW + timedelta(seconds=650))
    assert md[B.CIRCUIT_STATE] == C.CLOSED and md[B.CIRCUIT_RESTARTS] == '["2026-05-16T12:01:40Z"]'
    assert (md[B.CIRCUIT_OPENED_AT], md[B.CIRCUIT_OPEN_RESTART_COUNT]) == ("", "")
    assert (md[B.CIRCUIT_LAST_OBSERVED], md[B.CIRCUIT_PROGRESS_SIGNATURE]) == ("2026-05-16T12:00:00Z", "s")
    back, _ = C.restore(Memory(), CFG, "mayor", SessionBead("gc-1", NOW, md), NOW + timedelta(seconds=650))
    assert back.circuits["mayor"].observed and back.circuits["mayor"].restarts == (NOW + timedelta(seconds=100),)
    only_sig = SessionBead("gc-1", NOW, {B.CIRCUIT_PROGRESS_SIGNATURE: "s"})
    assert C.restore(Memory(), CFG, "mayor", only_sig, NOW)[0].circuits["mayor"].observed
    bad = SessionBead("gc-1", NOW, {B.CIRCUIT_RESTARTS: "not json", B.CIRCUIT_STATE: C.OPEN})
    with pytest.raises(C.RestoreError, match="parsing session_circuit_restarts"):
        C.restore(Memory(), CFG, "mayor", bad, NOW)


def test_an_unknown_persisted_state_is_not_restored():
    """restoreFromMetadata refuses an unknown session_circuit_state: no entry is made, and the
    error names the key and the value."""
    bead = SessionBead("gc-1", NOW, {B.CIRCUIT_STATE: "HALF_OPEN", B.CIRCUIT_LAST_RESTART: "2026-05-16T11:59:00Z"})
    with pytest.raises(C.RestoreError, match='parsing session_circuit_state: unknown state "HALF_OPEN"'):
        C.restore(Memory(), CFG, "mayor", bead, NOW)


def _read(**md) -> Circuit:
    return C.read_persisted(SessionBead("gc-1", NOW, {getattr(B, k): v for k, v in md.items()}))


@pytest.mark.parametrize("raw, msg", [
    ("[", "unexpected end of JSON input"),
    ("x", "invalid character 'x' looking for beginning of value"),
    ("[xy]", "invalid character 'x' looking for beginning of value"),  # one character, where it failed
    ("NaN", "invalid character 'N' looking for beginning of value"),
    ("{}", "json: cannot unmarshal object into Go value of type []string"),
    ("5", "json: cannot unmarshal number into Go value of type []string"),
    ("true", "json: cannot unmarshal bool into Go value of type []string"),
    ('"2026-05-16T12:00:00Z"', "json: cannot unmarshal string into Go value of type []string"),
    ("[1]", "json: cannot unmarshal number into Go value of type string"),
    ("[[]]", "json: cannot unmarshal array into Go value of type string"),
    ("[{}]", "json: cannot unmarshal object into Go value of type string"),
    ("[false]", "json: cannot unmarshal bool into Go value of type string"),
])
def test_a_restart_list_go_cannot_unmarshal_fails_the_restore_with_its_words(raw, msg):
    """parseCircuitTimeList: json.Unmarshal into []string; its error is what the log shows."""
    with pytest.raises(C.RestoreError) as e:
        _read(CIRCUIT_RESTARTS=raw)
    assert str(e.value) == f"parsing {B.CIRCUIT_RESTARTS}: {msg}"


def test_a_restart_list_reads_null_entries_and_zero_times_as_nothing():
    t = "2026-05-16T12:00:00Z"
    assert _read(CIRCUIT_RESTARTS=" null ").restarts == ()
    assert _read(CIRCUIT_RESTARTS=f'[null, "0001-01-01T00:00:00Z", " {t} "]').restarts == (NOW,)
    assert _read(CIRCUIT_RESTARTS="  ", CIRCUIT_LAST_RESTART=" ").restarts == ()


@pytest.mark.parametrize("key", ["CIRCUIT_LAST_RESTART", "CIRCUIT_LAST_PROGRESS", "CIRCUIT_LAST_OBSERVED",
                                 "CIRCUIT_OPENED_AT"])
def test_each_time_key_is_read_as_rfc3339_and_named_when_it_fails(key):
    assert getattr(_read(**{key: " 2026-05-16T12:00:00Z "}), {
        "CIRCUIT_LAST_RESTART": "last_restart", "CIRCUIT_LAST_PROGRESS": "last_progress",
        "CIRCUIT_LAST_OBSERVED": "last_observed", "CIRCUIT_OPENED_AT": "opened_at"}[key]) == NOW
    with pytest.raises(C.RestoreError, match=f"^parsing {getattr(B, key)}: "):
        _read(**{key: "yesterday"})


def test_the_open_restart_count_and_reset_generation_are_go_integers():
    assert _read(CIRCUIT_OPEN_RESTART_COUNT=" 7 ").open_restart_count == 7
    assert _read(CIRCUIT_OPEN_RESTART_COUNT=" ").open_restart_count == 0
    with pytest.raises(C.RestoreError, match=f"^parsing {B.CIRCUIT_OPEN_RESTART_COUNT}: "):
        _read(CIRCUIT_OPEN_RESTART_COUNT="seven")
    _read(CIRCUIT_RESET_GENERATION=" 18446744073709551615 ")  # the largest uint64 reads
    for gen, why in (("abc", "invalid syntax"), ("-1", "invalid syntax"),
                     ("18446744073709551616", "value out of range")):
        with pytest.raises(C.RestoreError) as e:
            _read(CIRCUIT_RESET_GENERATION=gen)
        assert str(e.value) == (f'parsing {B.CIRCUIT_RESET_GENERATION}: strconv.ParseUint: parsing "{gen}": {why}')


def test_the_state_is_compared_untrimmed_and_an_observation_is_a_time_or_a_signature():
    assert _read(CIRCUIT_STATE=C.OPEN).state == C.OPEN
    assert _read(CIRCUIT_STATE=C.CLOSED).state == C.CLOSED and _read(CIRCUIT_STATE="").state == C.CLOSED
    with pytest.raises(C.RestoreError, match="unknown state"):
        _read(CIRCUIT_STATE=f" {C.OPEN}")
    assert not _read(CIRCUIT_PROGRESS_SIGNATURE="  ").observed
    assert _read(CIRCUIT_LAST_OBSERVED="2026-05-16T12:00:00Z").observed


def test_only_a_breaker_key_with_a_value_other_than_the_generation_is_persisted_state():
    bead = lambda **md: SessionBead("gc-1", NOW, {getattr(B, k): v for k, v in md.items()})  # noqa: E731
    assert not C.has_persisted(bead(CIRCUIT_RESET_GENERATION="3"))
    assert not C.has_persisted(bead(CIRCUIT_STATE="  ", CIRCUIT_RESTARTS=""))
    assert C.has_persisted(bead(CIRCUIT_OPEN_RESTART_COUNT="0"))


def test_a_restored_open_breaker_still_cooling_down_is_not_reported_as_reset():
    """restoreFromMetadata reports a reset only when maybeAutoResetLocked cleared the entry."""
    md = {B.CIRCUIT_STATE: C.OPEN, B.CIRCUIT_LAST_RESTART: "2026-05-16T11:59:00Z"}
    mem, was_reset = C.restore(Memory(), CFG, "mayor", SessionBead("gc-1", NOW, md), NOW)
    assert not was_reset and mem.circuits["mayor"].state == C.OPEN
    mem, was_reset = C.restore(Memory(), CFG, "mayor", SessionBead("gc-1", NOW, md), NOW + timedelta(seconds=1200))
    assert was_reset and mem.circuits["mayor"].state == C.CLOSED


def test_a_snapshot_from_before_the_last_reset_is_neither_restored_nor_reported_as_reset():
    mem = Memory().set("circuit_generations", "mayor", 5)
    md = {B.CIRCUIT_STATE: C.OPEN, B.CIRCUIT_LAST_RESTART: "2026-05-16T10:00:00Z", B.CIRCUIT_RESET_GENERATION: "3"}
    assert C.restore(mem, CFG, "mayor", SessionBead("gc-1", NOW, md), NOW) == (mem, False)


def test_the_first_observation_of_an_entry_made_by_a_restart_is_a_baseline_and_the_next_is_not_progress():
    """ObserveProgressSignature: an entry with no observed signature takes the first as its baseline
    (a change worth persisting); the same signature again changes nothing."""
    mem, _ = restarts(Memory(), 0)
    mem, changed = C.observe_progress(mem, "mayor", "sig", NOW)
    assert changed and mem.circuits["mayor"].observed and mem.circuits["mayor"].last_progress is None
    mem, changed = C.observe_progress(mem, "mayor", "sig", NOW + timedelta(seconds=5))
    assert not changed and mem.circuits["mayor"].last_progress is None


def test_metadata_carries_the_reset_generation_and_the_last_progress():
    """metadataLocked writes the reset generation when it is above 0, and every time field."""
    c = Circuit(last_restart=NOW, last_progress=NOW + timedelta(seconds=3), signature="s", observed=True,
                last_observed=NOW + timedelta(seconds=3))
    mem = Memory().set("circuits", "mayor", c).set("circuit_generations", "mayor", 1)
    md = C.metadata(mem, CFG, "mayor", NOW + timedelta(seconds=10))
    assert md[B.CIRCUIT_RESET_GENERATION] == "1"
    assert md[B.CIRCUIT_LAST_PROGRESS] == "2026-05-16T12:00:03Z"
    other = Memory().set("circuits", "mayor", c).set("circuit_generations", "deacon", 4)
    assert C.metadata(other, CFG, "mayor", NOW)[B.CIRCUIT_RESET_GENERATION] == ""


def test_the_persisted_signature_is_restored():
    assert _read(CIRCUIT_PROGRESS_SIGNATURE="abc").signature == "abc"


def test_a_restored_closed_breaker_is_not_reported_as_reset():
    """maybeAutoResetLocked reports false for an entry that is not OPEN, however old its last restart."""
    md = {B.CIRCUIT_STATE: C.CLOSED, B.CIRCUIT_LAST_RESTART: "2026-05-16T10:00:00Z"}
    mem, was_reset = C.restore(Memory(), CFG, "mayor", SessionBead("gc-1", NOW, md), NOW)
    assert not was_reset and mem.circuits["mayor"].last_restart == datetime(2026, 5, 16, 10, tzinfo=UTC)


def test_an_unreadable_restart_window_reads_as_one_hour():
    """RestartWindowDuration: durationOr(restart_window, 1h); reset_after is twice that."""
    got = cfg_of(session_circuit_breaker=True, restart_window="bogus")
    assert (got.window, got.reset_after) == (3600.0, 7200.0)
