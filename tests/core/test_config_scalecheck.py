"""Live scale_check runs (`--run-scale-checks`): sh -c in the city directory, bounded output,
a timeout, and every failure kept as a partial read with its reason."""

from __future__ import annotations

import textwrap

import pytest

from core.config.load import load_city
from core.model import Model
from core.scalecheck import OUTPUT_LIMIT, refresh_scale_checks, run_scale_check


def city_with(tmp_path, checks: dict[str, str]):
    body = "[[rigs]]\nname = \"api\"\n"
    for name, cmd in checks.items():
        body += f"[[agent]]\nname = \"{name}\"\ndir = \"api\"\nmax_active_sessions = 5\nscale_check = '''{cmd}'''\n"
    (tmp_path / "city.toml").write_text(textwrap.dedent(body))
    return load_city(str(tmp_path))


@pytest.mark.parametrize("cmd,value,reason", [
    ("printf 3", 3, ""),
    ("printf ' 7\\n'", 7, ""),
    ("test -f city.toml && printf 1", 1, ""),  # runs in the city directory
    ('test "{{.Agent}}" = api/w && test "{{.Rig}}" = api && printf 2', 2, ""),
    ("exit 42", None, "exited with status 42"),
    ("echo broken >&2; exit 1", None, "exited with status 1: broken"),
    ("printf abc", None, 'output "abc" is not an integer'),
    ("printf 1_000", None, 'output "1_000" is not an integer'),
    ("printf -- -2", None, 'output "-2" is negative'),
    ("true", None, "produced empty output"),
    (f"head -c {OUTPUT_LIMIT + 10} /dev/zero | tr '\\\\0' 1", None, "output exceeds 64 KiB"),
])
def test_results(tmp_path, cmd, value, reason):
    city = city_with(tmp_path, {"w": cmd})
    r = run_scale_check(city, city.agent("api/w"), timeout=5)
    assert (r.value, r.reason) == (value, reason)
    assert r.world_value == (value if value is not None else "error")
    assert len(r.output) <= OUTPUT_LIMIT


def test_timeout_kills_the_command(tmp_path):
    city = city_with(tmp_path, {"w": "sleep 10; printf 1"})
    r = run_scale_check(city, city.agent("api/w"), timeout=0.2)
    assert r.value is None and r.reason == "timed out after 0.2s"


def test_refresh_writes_the_world_and_keeps_reasons(tmp_path):
    city = city_with(tmp_path, {"good": "printf 3", "bad": "printf abc", "slow": "sleep 10"})
    model = Model(city)
    model.scale_check_notes["api/good"] = "stale reason from an earlier run"
    results = refresh_scale_checks(model, timeout=0.2)
    assert sorted(results) == ["api/bad", "api/good", "api/slow"]
    assert model.world.scale_check("api/good") == 3
    assert model.world.scale_check("api/bad") == "error"
    assert model.world.scale_check("api/slow") == "error"
    assert model.scale_check_notes == {"api/bad": 'output "abc" is not an integer',
                                       "api/slow": "timed out after 0.2s"}


def test_partial_read_reaches_the_build(tmp_path):
    city = city_with(tmp_path, {"bad": "exit 3"})
    model = Model(city)
    refresh_scale_checks(model, timeout=5)
    out = model.build()
    assert "api/bad" in out.desired.partial_templates
