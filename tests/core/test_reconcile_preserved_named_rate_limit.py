"""A configured named session that is not desired this tick but keeps its identity
(preserveConfiguredNamedSessionBead) is screened for a rate limit before anything else happens
to it (checkRateLimitStability in the undesired branch of reconcileSessionBeads): a dead runtime
showing a provider's rate-limit screen holds the bead for 30 minutes, recorded as the decision
preserve_configured_named / rate_limit / held with the template, the session name and
provider_alive (the provider still runs the session: its pane is there, the agent in it dead), and
nothing else is done to the bead that tick."""

from __future__ import annotations

from factories import named_mayor_scenario, scenario_model

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.undesired import configured_names, handle_undesired

METADATA = """session_name = "mayor"
agent_name = "mayor"
alias = "mayor"
template = "mayor"
session_origin = "named"
configured_named_session = "true"
configured_named_identity = "mayor"
configured_named_mode = "on_demand"
state = "asleep"
generation = "1"
instance_token = "t1"
session_key = "conv-1"
last_woke_at = "2026-05-16T11:59:50Z"
"""
RUNTIME = '''[[runtime]]
name = "mayor"
session_id = "gc-1"
instance_token = "t1"
alive = false
peek = """
{screen}
"""
'''
LIMIT = """╭──────────────────────────────────────╮
│ Usage credit balance: $0.00          │
│ Adjust monthly spend limit           │
│ Wait for limit to reset              │
╰──────────────────────────────────────╯"""


def undesired(tmp_path, screen: str):
    """handle_undesired on the bead, as the forward pass calls it for a bead no entry names."""
    text = named_mayor_scenario("held", METADATA, after=RUNTIME.format(screen=screen)).replace(
        'mode = "always"', 'mode = "on_demand"')
    m = scenario_model(tmp_path, text)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    entry = handle_undesired(ctx, m.world.store.session("gc-1"), configured_names(ctx))
    decisions = [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields)
                 for t in ctx.out.trace if t.record_type == "decision"]
    return m, entry, decisions


def test_a_rate_limited_preserved_named_session_is_held_and_the_hold_recorded(tmp_path):
    m, entry, decisions = undesired(tmp_path, LIMIT)
    assert decisions == [("reconciler.session.preserve_configured_named", "rate_limit", "held", "mayor", "mayor",
                          {"provider_alive": True})]
    b = m.world.store.session("gc-1")
    assert (b.get("sleep_reason"), b.get("quarantined_until")) == ("rate_limit", "2026-05-16T12:30:00Z")
    assert b.get("session_key") == "conv-1" and b.open and entry is None




def test_without_the_screen_the_preserved_named_session_is_kept_open(tmp_path):
    _, entry, decisions = undesired(tmp_path, "$ ")
    assert entry is not None and entry.named_identity == "mayor"
    assert [d[:3] for d in decisions] == [("reconciler.session.preserve_configured_named", "preserve", "kept_open")]
