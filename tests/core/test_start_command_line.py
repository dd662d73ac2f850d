"""The command line a start runs (buildPreparedStart and resolveSessionCommand,
cmd/gc/session_lifecycle_parallel.go and cmd/gc/session_reconciler.go): the provider's launch
command, naming the conversation with the session-id flag on a first start (no started config
hash) or a fresh one (wake_mode = "fresh"), resuming it with the resume flag otherwise; a bead
without a conversation key, or an ACP session (which takes no such argument), runs the bare
launch command; an agent without a provider runs its own start_command, an unknown template
nothing."""

from __future__ import annotations

import pytest
from factories import scenario_model, session_bead

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import start_command

CITY = '''name = "command lines"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "test-city"
[city.providers.cli]
command = "cli --fast"
session_id_flag = "--session-id"
resume_flag = "--resume"
[[city.agent]]
name = "worker"
provider = "cli"
[[city.agent]]
name = "piped"
provider = "cli"
session = "acp"
[[city.agent]]
name = "bare"
start_command = "run-bare"
'''
KEYED = {"session_key": "k1"}
STARTED = {"session_key": "k1", "started_config_hash": "h"}
FRESH = {"session_key": "k1", "started_config_hash": "h", "wake_mode": "fresh"}


@pytest.mark.parametrize(("template", "md", "line"), [
    ("worker", {}, "cli --fast"),
    ("worker", KEYED, "cli --fast --session-id k1"),
    ("worker", STARTED, "cli --fast --resume k1"),
    ("worker", FRESH, "cli --fast --session-id k1"),
    ("worker", {**STARTED, "wake_mode": "resume"}, "cli --fast --resume k1"),
    ("piped", KEYED, "cli --fast"),
    ("piped", STARTED, "cli --fast"),
    ("bare", STARTED, "run-bare"),
    ("nope", STARTED, ""),
])
def test_the_start_command_line(tmp_path, template, md, line):
    m = scenario_model(tmp_path, CITY)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    assert start_command(ctx, session_bead("gc-1", **md), template) == line
