"""freshRestartSessionKey / freshRestartSessionKeyInfo (cmd/gc/session_reconciler.go): the
conversation key a restart writes. The resolved provider decides first: one with a session-id
flag gets a new key, one that only resumes (a resume flag, command or style) has its key cleared,
whatever the bead carries. Without either, the bead's stamped session_id_flag gets a new key and
anything else clears it. The rows of TestFreshRestartSessionKey are ported; the provider rows are
also checked over a bead stamped with a session_id_flag, which the provider's answer overrides.
A new key is a new conversation: another bead's, or the same bead's at another restart, differs
(Gas City mints a random UUID; the model derives it from the bead and the time)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, scenario_model, session_bead

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import fresh_restart_session_key
from core.reconcile.session_key import fresh_session_key

PROVIDERS = {  # provider name -> its spec's resume keys
    "sid": 'session_id_flag = "--session-id"',
    "rflag": 'resume_flag = "--resume"',
    "rcmd": 'resume_command = "resume"',
    "rstyle": 'resume_style = "key"',
    "fake": "",
}
CITY = ('name = "keys"\nstart = "2026-05-16T12:00:00Z"\n[city.workspace]\nname = "test-city"\n'
        + "".join(f'[city.providers.{p}]\ncommand = "{p}-cli"\n{keys}\n' for p, keys in PROVIDERS.items())
        + "".join(f'[[city.agent]]\nname = "{p}"\nprovider = "{p}"\n' for p in PROVIDERS)
        + '[[city.agent]]\nname = "plain"\n')  # no provider: no resolved provider


def restart_key(tmp_path, template: str, *, bead_template: str | None = None, now=T0, bead_id: str = "gc-1",
                **meta: str) -> str:
    m = scenario_model(tmp_path, CITY)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ctx.now = now
    b = session_bead(bead_id, template=template if bead_template is None else bead_template,
                     session_name=f"s-{bead_id}", session_key="old-key", **meta)
    # restart_requested asks with the desired entry's template, else the bead's
    return fresh_restart_session_key(ctx, b, template or ctx.template_of(b))


STAMPED = {"session_id_flag": "--session-id"}


@pytest.mark.parametrize(("provider", "meta", "new_key"), [
    ("sid", {}, True),
    ("rflag", {}, False),
    ("rcmd", {}, False),
    ("rstyle", {}, False),
    ("fake", {}, False),
    ("plain", {}, False),  # no resume capability: the key is cleared
    # the provider's capability wins over the bead's stamp
    ("sid", STAMPED, True),
    ("rflag", STAMPED, False),
    ("rcmd", STAMPED, False),
    ("rstyle", STAMPED, False),
    # no provider capability: the bead's stamps decide
    ("fake", STAMPED, True),
    ("plain", STAMPED, True),
    ("plain", {"resume_flag": "--resume"}, False),
    ("plain", {"resume_command": "resume"}, False),
    ("plain", {"resume_style": "key"}, False),
])
def test_the_provider_then_the_beads_stamps_decide_the_restart_key(tmp_path, provider, meta, new_key):
    key = restart_key(tmp_path, provider, **meta)
    assert key == (fresh_session_key("gc-1", T0) if new_key else "")
    assert key != "old-key"


def test_a_bead_of_a_template_no_longer_configured_keeps_its_stamp_as_the_guide(tmp_path):
    """No agent, so no resolved provider (tp.ResolvedProvider nil): the stamp decides."""
    assert restart_key(tmp_path, "", bead_template="gone", **STAMPED) == fresh_session_key("gc-1", T0)
    assert restart_key(tmp_path, "", bead_template="gone") == ""


def test_the_desired_template_names_the_provider_else_the_beads_template(tmp_path):
    """tp is the desired entry's template: its provider, not the one the bead was made with."""
    assert restart_key(tmp_path, "sid", bead_template="rflag") == fresh_session_key("gc-1", T0)
    assert restart_key(tmp_path, "rflag", bead_template="sid") == ""
    assert restart_key(tmp_path, "", bead_template="sid") == fresh_session_key("gc-1", T0)


@pytest.mark.parametrize("provider", ["sid", "plain"])
def test_each_new_key_names_a_new_conversation(tmp_path, provider):
    meta = STAMPED if provider == "plain" else {}
    first = restart_key(tmp_path, provider, **meta)
    assert first
    assert restart_key(tmp_path, provider, bead_id="gc-2", **meta) != first
    assert restart_key(tmp_path, provider, now=T0 + timedelta(minutes=5), **meta) != first
