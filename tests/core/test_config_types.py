"""Every typed field of the sections the model reads refuses a value of the wrong type, with the
file, the field path and the line (Gas City's decoder makes a wrong type fatal)."""

from __future__ import annotations

import pytest

from core.config import schema as S
from core.config.errors import ConfigError
from core.config.load import load_city

WRONG = {S.INT: '"3"', S.BOOL: '"yes"', S.DUR: "300", S.STR: "7", S.STRLIST: '"x"', S.STRMAP: "1"}

SECTIONS = [
    ("[[agent]]\nname = \"w\"\n", "agent[0]", S.AGENT_FIELDS),
    ("[workspace]\n", "workspace", S.WORKSPACE_FIELDS),
    ("[daemon]\n", "daemon", S.DAEMON_FIELDS),
    ("[session]\n", "session", S.SESSION_FIELDS),
    ("[session_sleep]\n", "session_sleep", S.SLEEP_FIELDS),
    ("[chat_sessions]\n", "chat_sessions", S.CHAT_FIELDS),
    ("[[rigs]]\nname = \"api\"\n", "rigs[0]", S.RIG_FIELDS),
]
CASES = [(head, prefix, key, kind) for head, prefix, spec in SECTIONS for key, kind in sorted(spec.items())
         if kind in WRONG and key != "name"]


def test_every_numeric_boolean_and_duration_field_is_covered():
    kinds = {kind for *_, kind in CASES}
    assert {S.INT, S.BOOL, S.DUR} <= kinds
    assert len(CASES) > 80


@pytest.mark.parametrize("head,prefix,key,kind", CASES, ids=[f"{p}.{k}" for _, p, k, _ in CASES])
def test_wrong_type_is_a_located_error(tmp_path, head, prefix, key, kind):
    text = head + f"{key} = {WRONG[kind]}\n"
    (tmp_path / "city.toml").write_text(text)
    with pytest.raises(ConfigError) as e:
        load_city(str(tmp_path))
    assert e.value.field == f"{prefix}.{key}"
    assert e.value.line == text.count("\n")
    assert e.value.message.startswith(S.expected(kind))
