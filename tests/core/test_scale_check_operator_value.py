"""What an operator types as a scale_check result is read as Gas City reads the command's
stdout (parseScaleCheckCount), or is the word "error"; anything else is refused with the reason."""

from __future__ import annotations

import pytest

from core.guards.limits import MAX_TEMPLATE_SESSIONS
from core.model.scalecheck import operator_value


@pytest.mark.parametrize(("text", "value"), [("3", 3), (" 4\n", 4), ("+2", 2), ("0", 0), ("error", "error"),
                                             (" error ", "error")])
def test_counts_and_error_are_results(text, value):
    assert operator_value(text) == value


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"), ("-1", "negative"), ("1_000", "not an integer"), ("two", "not an integer"),
    ("3.0", "not an integer"), ("Error", "not an integer"),
    (str(MAX_TEMPLATE_SESSIONS + 1), "more sessions than citywatch models"),
])
def test_anything_else_is_refused_with_why(text, why):
    with pytest.raises(ValueError, match=why):
        operator_value(text)
