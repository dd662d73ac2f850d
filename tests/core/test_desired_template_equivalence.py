"""agentTemplateIdentitiesEquivalent (BuildContext.equivalent): two template spellings name the
same agent; an empty or blank spelling names none, not even another empty one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx() -> BuildContext:
    city = City(root="/c", path="/c/city.toml", agents=[Agent(name="worker", dir="rig"), Agent(name="XXXX")])
    return BuildContext(city, World(T0), "current", [])


@pytest.mark.parametrize("a, b, same", [
    ("rig/worker", "rig/worker", True),
    (" rig/worker ", "rig/worker", True),
    ("rig/worker", "rig/other", False),
    ("XXXX", "XXXX", True),
    # an empty or blank side is equivalent to nothing, whatever the other side names
    ("", "rig/worker", False),
    ("rig/worker", "", False),
    (None, "XXXX", False),
    ("XXXX", None, False),
    ("  ", "XXXX", False),
    ("", "", False),
    (None, None, False),
])
def test_template_spellings_are_equivalent_only_when_both_name_something(a, b, same):
    assert ctx().equivalent(a, b) is same
