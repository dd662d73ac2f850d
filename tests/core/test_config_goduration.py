"""Go's time.ParseDuration error text, which Gas City's duration warnings quote verbatim."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.formats.goduration import duration_error, go_quote


@pytest.mark.parametrize("value", ["0", "+0", "-5m", "1h30m", "1.5h", ".5s", "250ms", "3us", "2µs", "1h0m0.5s"])
def test_valid(value):
    assert duration_error(value) is None


@pytest.mark.parametrize("value,message", [
    ("", 'time: invalid duration ""'),
    ("abc", 'time: invalid duration "abc"'),
    ("5", 'time: missing unit in duration "5"'),
    ("5x", 'time: unknown unit "x" in duration "5x"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("5 m", 'time: unknown unit " m" in duration "5 m"'),
    ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
    (".", 'time: invalid duration "."'),
    ("-", 'time: invalid duration "-"'),
    ("9999999999999h", 'time: invalid duration "9999999999999h"'),
    ("30m ", 'time: unknown unit "m " in duration "30m "'),
])
def test_invalid_matches_go(value, message):
    assert duration_error(value) == message


def test_quote_escapes_like_go():
    assert go_quote('a"b\\c\n') == '"a\\"b\\\\c\\n"'


@given(st.text(alphabet=st.sampled_from(['a', 'é', '/', ' ', '"', '\\', '\n', '\t', '\x01', '\x1f', '\x7f']), max_size=8))
def test_go_quote_escapes_exactly_what_go_does(s):
    escapes = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t'}
    want = "".join(escapes.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch) for ch in s)
    assert go_quote(s) == f'"{want}"'
