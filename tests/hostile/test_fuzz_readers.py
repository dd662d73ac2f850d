"""Fuzzing the config and scenario readers with hypothesis: whatever a file holds, loading it either
succeeds or raises the one located error type (ConfigError, ScenarioError), and a scenario that
loads runs and is checked without raising.

Documents are built from each reader's own vocabulary (the keys it knows, plus strangers) with
values of every TOML type, hostile strings and numbers at the edges; text mutations of valid
files reach the syntax paths. Profiles: tests/hypothesis_profiles.py (HYPOTHESIS_PROFILE=deep
for a longer hunt)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import schema as S
from core.config.errors import ConfigError
from core.config.load import load_city_text
from core.config.validate import validate_city
from core.scenario.expect import KEYS as EXPECT
from core.scenario.expect import SUBS
from core.scenario.file import ScenarioError, check, load_scenario, run
from core.steps import REGISTRY
from core.steps.scenario_schema import RUNTIME, SESSION, WORK
from tests import hypothesis_profiles  # noqa: F401  (selects the profile)

pytestmark = pytest.mark.timeout(300)

HOSTILE_TEXT = ["", " ", "\x1b[2J", "\u202e", "a\x00b", "💥", "x" * 300, "../../etc", "//abs", "9" * 30,
                "99999999999h", "1h", "-5m", "0", "2026-07-19T12:00:00Z", "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59Z", "error", "current", "tick", "api/worker", "worker", "always", "on_demand"]
HOSTILE_INT = [0, 1, -1, 2, 3, 1000, 1001, 10_001, 2 ** 31, 2 ** 63 - 1, -(2 ** 63)]
TEMPLATES = ["dock/worker", "dock/refinery", "mayor", "nobody"]


def scalars() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT), st.text(max_size=12), st.sampled_from(HOSTILE_INT),
        st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1), st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.just(datetime(2026, 1, 1, tzinfo=UTC)))


def values(depth: int = 2) -> st.SearchStrategy:
    if depth == 0:
        return scalars()
    inner = values(depth - 1)
    return st.one_of(scalars(), st.lists(scalars(), max_size=3), st.dictionaries(st.sampled_from(["a", "b", "x"]),
                                                                                   inner, max_size=2))


def table_of(keys: list[str], extra: int = 1) -> st.SearchStrategy:
    """A table using the given keys (and now and then a stranger) with values of any type."""
    key = st.one_of(st.sampled_from(keys), st.sampled_from(["unknown_key", "nme"])) if extra else st.sampled_from(keys)
    return st.dictionaries(key, values(), max_size=5)


def typed(kind: str) -> st.SearchStrategy:
    """Mostly a value of the schema kind (so that loading gets far and runs happen), now and then
    anything at all."""
    kinds = {
        "string": st.sampled_from(HOSTILE_TEXT), "integer": st.sampled_from(HOSTILE_INT[:6]),
        "boolean": st.booleans(), "duration": st.sampled_from(["0s", "30s", "5m", "1h", "99999999999h", "-5m", "x"]),
        "time": st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", "0001-01-01T00:00:00Z", "now"]),
        "array of strings": st.lists(st.sampled_from(HOSTILE_TEXT), max_size=3),
        "table of strings": st.dictionaries(st.sampled_from(["template", "state", "alias", "x"]),
                                            st.sampled_from(HOSTILE_TEXT), max_size=3),
        "table of integers": st.dictionaries(st.sampled_from(TEMPLATES), st.sampled_from(HOSTILE_INT[:6]), max_size=2),
        "table of booleans": st.dictionaries(st.sampled_from(TEMPLATES), st.booleans(), max_size=2),
        "table of values": st.dictionaries(st.sampled_from(["status", "count", "x"]), scalars(), max_size=2),
        "scale_check value": st.sampled_from([0, 1, 3, "error", 10_001, -1, "x"]),
    }
    # the [[expect]] schema's names for the same kinds (core/scenario/expect.py)
    for alias, same in (("int", "integer"), ("bool", "boolean"), ("str", "string"), ("list_str", "array of strings"),
                        ("table_int", "table of integers"), ("table_bool", "table of booleans"),
                        ("table_str", "table of strings"), ("table_scalar", "table of values"),
                        ("table_field", "table of values")):
        kinds[alias] = kinds[same]
    good = kinds.get(kind, values())
    return st.one_of(good, good, good, values())


@st.composite
def typed_table(draw, spec: dict[str, str]) -> dict:
    """A table of some of `spec`'s keys with mostly well-typed values, and now and then a stranger."""
    keys = draw(st.lists(st.sampled_from(sorted(spec)), max_size=4, unique=True)) if spec else []
    out = {k: draw(typed(spec[k])) for k in keys}
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(["unknown_key", "nme"]))] = draw(values())
    return out


# ---------------------------------------------------------------------- config

AGENT_KEYS = sorted(S.AGENT_FIELDS)


@st.composite
def city_tables(draw) -> dict:
    agent_names = ["mayor", "worker", "refinery", "w\x1b", "a.b"]
    agents = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(table_of(AGENT_KEYS))
        if draw(st.booleans()):
            a["name"] = draw(st.sampled_from(agent_names))
        if draw(st.booleans()):
            a["depends_on"] = draw(st.lists(st.sampled_from(agent_names), max_size=3))
        agents.append(a)
    doc = {"workspace": draw(table_of(sorted(S.WORKSPACE_FIELDS)))}
    if agents:
        doc["agent"] = agents
    for key, fields in (("named_session", S.NAMED_SESSION_FIELDS), ("rigs", S.RIG_FIELDS)):
        rows = draw(st.lists(table_of(sorted(fields)), max_size=2))
        if rows:
            doc[key] = rows
    for key, fields in (("daemon", S.DAEMON_FIELDS), ("session_sleep", S.SLEEP_FIELDS)):
        if draw(st.booleans()):
            doc[key] = draw(table_of(sorted(fields)))
    if draw(st.booleans()):
        doc[draw(st.sampled_from(sorted(S.CITY_TOP)))] = draw(values())
    return doc


def _dumps(doc: dict) -> str | None:
    try:
        return tomlkit.dumps(doc)
    except Exception:  # a document tomlkit cannot write (e.g. mixed arrays of tables)
        return None


def _load_config(text: str, root: Path) -> None:
    try:
        validate_city(load_city_text(text, str(root), str(root / "city.toml")))
    except ConfigError as e:
        assert e.file and e.render()


@settings(suppress_health_check=list(HealthCheck))
@given(doc=city_tables())
def test_any_city_table_loads_or_is_a_located_config_error(doc, tmp_path_factory):
    text = _dumps(doc)
    if text is None:
        return
    _load_config(text, tmp_path_factory.mktemp("city"))


VALID_CITY = """\
[workspace]
name = "fuzz"

[[agent]]
name = "worker"
dir = "dock"
max_active_sessions = 3
idle_timeout = "5m"
depends_on = ["dock/refinery"]

[[agent]]
name = "refinery"
dir = "dock"
max_active_sessions = 1

[[agent]]
name = "mayor"

[[named_session]]
template = "mayor"
mode = "always"

[[rigs]]
name = "dock"
"""


@settings(suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID_CITY)), st.integers(0, 8),
                                st.sampled_from(["", "[", "]", "=", '"', "\n", "[[", "{", "\x00", "\xff", "1e9",
                                                 "agent", "\\u", "'''", "#"])), min_size=1, max_size=4))
def test_any_mutation_of_a_valid_city_loads_or_is_a_located_config_error(edits, tmp_path_factory):
    text = VALID_CITY
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut:]
    _load_config(text, tmp_path_factory.mktemp("city"))


# ---------------------------------------------------------------------- scenarios

@st.composite
def step_tables(draw) -> dict:
    kind = draw(st.sampled_from(sorted(REGISTRY) + ["sleep"]))
    t = draw(typed_table(REGISTRY[kind].KEYS if kind in REGISTRY else {}))
    if kind == "tick":  # keep the run short: counts past the cap are refused before anything runs
        t["count"] = draw(st.one_of(st.integers(1, 3), st.sampled_from([0, -1, 1001, 10 ** 9, "3", 2.5])))
    if kind in ("set_scale_check", "fail_start") and draw(st.booleans()):
        t["template"] = draw(st.sampled_from(TEMPLATES))
    return {"do": kind, **t}


@st.composite
def scenario_docs(draw) -> dict:
    hostile = draw(st.integers(0, 9)) == 0  # now and then, the top level itself is wrong
    doc: dict = {"name": draw(values(0)) if hostile else "fuzzed", "city_file": "city.toml"}
    if draw(st.booleans()):
        doc["start"] = draw(st.sampled_from(HOSTILE_TEXT + [datetime(2026, 1, 1, tzinfo=UTC)])
                            if hostile else typed("time"))
    if draw(st.booleans()):
        doc["scale_check"] = draw(st.dictionaries(st.sampled_from(TEMPLATES), typed("scale_check value"), max_size=2))
    for key, fields in (("session", SESSION), ("runtime", RUNTIME), ("work", WORK)):
        rows = draw(st.lists(typed_table(fields), max_size=2))
        if rows:
            doc[key] = rows
    doc["step"] = draw(st.lists(step_tables(), max_size=4))
    expects = []
    for _ in range(draw(st.integers(0, 2))):
        e = draw(typed_table(EXPECT))
        e["after"] = draw(st.one_of(st.integers(0, 4), st.integers(0, 4), values(0)))
        for sub in draw(st.lists(st.sampled_from(sorted(SUBS)), max_size=2)):
            e[sub] = draw(st.lists(typed_table(SUBS[sub].keys), max_size=2))
        expects.append(e)
    if expects:
        doc["expect"] = expects
    if hostile:
        doc[draw(st.sampled_from(["semantics", "adopt_on_start", "xfail", "source", "city"]))] = draw(values())
    return doc


@settings(suppress_health_check=list(HealthCheck), deadline=None)
@given(doc=scenario_docs())
def test_any_scenario_loads_and_runs_or_is_a_located_scenario_error(doc, tmp_path_factory):
    text = _dumps(doc)
    if text is None:
        return
    d = tmp_path_factory.mktemp("scn")
    (d / "city.toml").write_text(VALID_CITY)
    path = d / "case.toml"
    path.write_text(text)
    try:
        scn = load_scenario(str(path))
    except ScenarioError as e:
        assert e.err.file == str(path) or e.err.file.startswith(str(d))
        return
    check(run(scn))
