"""Which configured named sessions a live bead blocks (BeadConflictsWithNamedSession and
FindConflictingNamedSessionSpecForBead, internal/session/named_config.go), and what sync's close
pass does with the answer (syncSessionBeads, cmd/gc/session_beads.go). A bead blocks a named
session when it holds the session's runtime name without matching the spec (a configured named
bead of that identity, or a bead whose template or agent_name, normalized, is the backing
template), or when its alias is the identity; a configured named bead never blocks its own
identity. The per-bead rows of TestNamedSessionInfoEquivalence are ported with the Gas City
verdicts. A blocking bead is left open by the close pass; one blocking two named sessions is the
lookup's ambiguity error, which is logged, and the bead is closed like any other."""

from __future__ import annotations

import pytest
from factories import scenario_model, session_bead

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.sync import blocks_named_session

CITY = ('name = "conflicts"\nstart = "2026-05-16T12:00:00Z"\n[city.workspace]\nname = "test-city"\n{workspace}'
        '[[city.agent]]\nname = "mayor"\n[[city.agent]]\nname = "deacon"\n[[city.agent]]\nname = "polecat"\n'
        '[[city.named_session]]\ntemplate = "mayor"\nmode = "on_demand"\n'
        '[[city.named_session]]\ntemplate = "deacon"\nmode = "on_demand"\n{beads}')
NAMED_MAYOR = {"configured_named_session": "true", "configured_named_identity": "mayor"}


def blocked(tmp_path, workspace: str = "", **md: str) -> list[str]:
    m = scenario_model(tmp_path, CITY.format(workspace=workspace, beads=""))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    return blocks_named_session(ctx, session_bead("gc-9", **md))


@pytest.mark.parametrize(("md", "identities"), [
    # TestNamedSessionInfoEquivalence's beads against the mayor spec
    ({**NAMED_MAYOR, "session_name": "mayor", "state": "active"}, []),  # ga-canonical
    ({"template": "mayor", "session_name": "mayor"}, []),  # ga-template-match
    ({"template": "polecat", "session_name": "mayor"}, ["mayor"]),  # ga-conflict-sn
    ({"alias": "mayor", "session_name": "other-session"}, ["mayor"]),  # ga-conflict-alias
    ({**NAMED_MAYOR, "session_name": "mayor", "continuity_eligible": "false"}, []),  # ga-ineligible
    # the backing template may be the bead's agent_name alone, or its template alone
    ({"template": "polecat", "agent_name": "mayor", "session_name": "mayor"}, []),
    ({"template": "mayor", "agent_name": "polecat", "session_name": "mayor"}, []),
    ({"template": "mayor/", "session_name": "mayor"}, []),  # NormalizeNamedSessionTarget
    # the runtime name decides before the alias: a rightful holder of mayor's name may alias it
    ({"template": "mayor", "session_name": "mayor", "alias": "mayor"}, []),
    # the named bead of mayor holds mayor's name whatever its template says now
    ({**NAMED_MAYOR, "template": "polecat", "agent_name": "polecat", "session_name": "mayor"}, []),
    ({**NAMED_MAYOR, "template": "polecat", "session_name": "other", "alias": "mayor"}, []),
    # an identity stamp without the configured-named flag is no named bead (IsNamedSessionBead)
    ({"configured_named_identity": "mayor", "session_name": "other", "alias": "mayor"}, ["mayor"]),
    ({"session_origin": "named", "configured_named_identity": "mayor", "template": "polecat",
      "session_name": "mayor"}, ["mayor"]),
    # each named session is asked in turn: being mayor's, or holding its name rightfully, is no
    # answer for deacon
    ({**NAMED_MAYOR, "session_name": "mayor", "alias": "deacon"}, ["deacon"]),
    ({"template": "mayor", "session_name": "mayor", "alias": "deacon"}, ["deacon"]),
    ({"template": "polecat", "session_name": "mayor", "alias": "deacon"}, ["mayor", "deacon"]),
    ({"template": "polecat", "session_name": "worker", "alias": "polecat"}, []),
])
def test_the_named_sessions_a_bead_blocks(tmp_path, md, identities):
    assert blocked(tmp_path, **md) == identities


def test_the_runtime_name_is_the_workspace_session_templates(tmp_path):
    """The spec's SessionName follows [workspace] session_template."""
    workspace = 'session_template = "{{.City}}-{{.Agent}}"\n'
    assert blocked(tmp_path, workspace, template="polecat", session_name="test-city-mayor") == ["mayor"]
    assert blocked(tmp_path, workspace, template="polecat", session_name="mayor") == []


def _bead(bid: str, **md: str) -> str:
    return f'[[session]]\nid = "{bid}"\n[session.metadata]\n' + "".join(f'{k} = "{v}"\n' for k, v in md.items())


# named sessions whose identities name no agent (an alias naming an agent would make the bead
# rejoin the desired set as that agent's session, and the close pass would not see it)
CLOSE_CITY = ('name = "close pass"\nstart = "2026-05-16T12:00:00Z"\n[city.workspace]\nname = "test-city"\n'
              '[[city.agent]]\nname = "mayor"\n[[city.agent]]\nname = "deacon"\n'
              '[[city.named_session]]\nname = "boss"\ntemplate = "mayor"\nmode = "on_demand"\n'
              '[[city.named_session]]\nname = "chief"\ntemplate = "deacon"\nmode = "on_demand"\n')


def test_the_close_pass_keeps_a_blocking_bead_and_closes_an_ambiguous_one(tmp_path):
    """gc-1 holds boss's runtime name; gc-2 holds chief's and boss's identity as its alias."""
    beads = (_bead("gc-1", template="ghost", agent_name="ghost", session_name="boss", state="asleep")
             + _bead("gc-2", template="ghost", agent_name="ghost", session_name="chief", alias="boss",
                     state="asleep"))
    m = scenario_model(tmp_path, CLOSE_CITY + beads)
    out = m.do({"do": "sync", "close": True})
    assert [line for line in out.logs if line.startswith("session beads:")] == [
        'session beads: live bead gc-1 blocks configured named session "boss"; leaving it open',
        "session beads: checking named-session conflict for gc-2: ambiguous session identifier: bead gc-2 "
        "conflicts with multiple configured named sessions"]
    assert m.world.store.session("gc-1").open
    # chief is a configured session name: the ambiguous bead is closed suspended
    assert [(a.kind, a.bead_id, a.reason) for a in out.actions] == [("close", "gc-2", "suspended")]
    assert not m.world.store.session("gc-2").open
