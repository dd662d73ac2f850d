"""The step registry (core/steps/): every kind is documented, a record gives back the table it
was read from (key order and value types included), what a step carries from code is never
written, and a table no kind reads is refused by the model as before."""

from __future__ import annotations

import pathlib
import re

import pytest

from core.model.facade import Model, ModelError
from core.steps import REGISTRY, as_step
from core.steps.config import EditConfig, SetScaleCheck
from core.steps.controller import Advance, Tick
from core.steps.runtime import RuntimeExit

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def test_every_kind_is_documented_in_a_steps_table():
    rows = set()
    for name in ("scenario-format.md", "scenario-extensions.md"):
        for cell in re.findall(r"^\| (`[a-z_]+`(?: / `[a-z_]+`)*) \|", (DOCS / name).read_text(), flags=re.M):
            rows |= set(re.findall(r"`([a-z_]+)`", cell))
    assert sorted(set(REGISTRY) - rows) == []


def test_a_record_gives_back_its_table_in_the_order_written():
    table = {"do": "runtime_exit", "crash": False, "name": "w-1"}
    step = as_step(table)
    assert isinstance(step, RuntimeExit) and step.name == "w-1" and step.crash is False
    assert list(step.to_table().items()) == list(table.items())
    assert step.label() == "runtime_exit False w-1"
    value = as_step({"do": "set_scale_check", "template": "t", "value": 1.0}).to_table()["value"]
    assert type(value) is float  # as written: an export must not turn 1.0 into 1


def test_code_built_records_write_required_keys_and_changed_ones():
    assert RuntimeExit(name="a").to_table() == {"do": "runtime_exit", "name": "a"}
    assert list(RuntimeExit(name="a", crash=True).to_table()) == ["do", "name", "crash"]
    assert SetScaleCheck(template="t", value=0).to_table() == {"do": "set_scale_check", "template": "t", "value": 0}
    assert Advance(by="30s", given=("by",)).label() == "advance 30s"


def test_what_code_carries_in_a_step_is_never_written():
    tick = Tick(scale_check_runs=(("t", 2, ""),))
    assert tick.to_table() == {"do": "tick"} and tick.label() == "tick"
    edit = EditConfig(loaded=None, at=3)
    assert edit.to_table() == {"do": "edit_config"} and edit.label() == "config edit"


@pytest.mark.parametrize(("table", "says"), [
    ({"do": "sleep"}, 'unknown step "sleep"'),
    ({"do": "tick", "ticks": 2}, 'step "tick" has no key "ticks"'),
])
def test_the_model_refuses_a_table_no_kind_reads(table, says):
    from factories import make_city

    with pytest.raises(ModelError, match=re.escape(says)):
        Model(make_city()).do(table)
