"""Gas City reads a bead's configured named-session metadata trimmed (strings.TrimSpace in
IsNamedSessionBead, NamedSessionIdentity and NamedSessionMode, internal/session/named_config.go,
and their Info mirrors) before comparing it with the config; the model must too, or a padded
value stored by an older writer or by hand turns a configured named session into a stranger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import named_mayor_city, scenario_model, session_bead

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.heal import heal_patch
from core.reconcile.undesired import configured_names, preserved_named

CITY = 'name = "padded"\n' + named_mayor_city(mode="on_demand") + """[[session]]
id = "gc-1"
[session.metadata]
session_name = "mayor"
agent_name = "mayor"
template = "mayor"
configured_named_session = "{flag}"
configured_named_identity = "{identity}"
configured_named_mode = "on_demand"
state = "asleep"
sleep_reason = "idle-timeout"
"""


def close_pass(tmp_path, flag: str = "true", identity: str = "mayor", name: str = "s.toml"):
    m = scenario_model(tmp_path, CITY.format(flag=flag, identity=identity), name)
    out = m.do({"do": "sync", "close": True})
    return m.world.store.session("gc-1"), [(a.kind, a.bead_id, a.reason) for a in out.actions]


def test_a_padded_named_identity_is_not_a_conflicting_live_bead(tmp_path):
    # syncSessionBeads (cmd/gc/session_beads.go) calls a bead a conflict only when
    # namedSessionIdentity(b), trimmed, differs from the entry's identity: the padded bead is the
    # named session's own and is synced like an unpadded one
    padded = close_pass(tmp_path, identity="  mayor  ", name="padded.toml")
    plain = close_pass(tmp_path, identity="mayor", name="plain.toml")
    assert padded[1] == plain[1] == [("claim_alias", "gc-1", "sync")]


def test_a_padded_named_identity_is_preserved_under_its_trimmed_name(tmp_path):
    # preserveConfiguredNamedSessionBead looks namedSessionIdentity(b) (trimmed) up in the
    # config; configuredSessionNamesWithSnapshot then counts the bead's runtime name
    m = scenario_model(tmp_path, CITY.format(flag="true", identity="  mayor  "))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    entry = preserved_named(ctx, m.world.store.session("gc-1"))
    assert entry is not None and (entry.named_identity, entry.identity, entry.alias) == ("mayor", "mayor", "mayor")
    assert "mayor" in configured_names(ctx)


def test_a_padded_named_flag_still_marks_a_configured_named_session(tmp_path):
    # IsNamedSessionBead trims configured_named_session before comparing it with "true"
    assert session_bead(configured_named_session=" true ").is_named
    b, actions = close_pass(tmp_path, flag=" true\t")
    assert b.open and ("close", "gc-1", "suspended") not in actions


def test_a_padded_always_mode_keeps_the_conversation_when_heal_resets_a_stale_create():
    # healStateInfo (cmd/gc/session_reconcile.go) skips the continuation reset for
    # isNamedSessionInfo && namedSessionModeInfo == "always", the mode trimmed: the
    # "named-mode-padded" row of session_classifier_info_equiv_test.go pins that trim
    now = datetime(2026, 4, 15, 14, 0, tzinfo=UTC)
    b = session_bead("b1", now - timedelta(minutes=2), state="creating", session_key="k", started_config_hash="h",
                     configured_named_session="true", configured_named_mode="  always  ")
    patch = heal_patch(b, False, now, 60.0)
    assert patch.get("state") == "asleep"
    assert "session_key" not in patch and "started_config_hash" not in patch
