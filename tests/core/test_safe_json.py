"""load_json: JSON from someone else parses to plain values, or fails with ValueError when it
nests deeper than allowed or holds NaN/Infinity, whatever its size and however it nests."""

from __future__ import annotations

import json

import pytest

from core.guards.safeio import JSON_MAX_DEPTH, load_json


def _nested(depth: int, kinds: str = "[{") -> object:
    """Containers `depth` levels deep, alternating the kinds given."""
    value: object = 0
    for i in range(depth):
        value = [value] if kinds[i % len(kinds)] == "[" else {"k": value}
    return value


@pytest.mark.parametrize("kinds", ["[", "{", "[{"])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_the_allowed_depth_parses_and_one_more_level_is_refused(kinds: str, as_bytes: bool) -> None:
    for depth, allowed in ((JSON_MAX_DEPTH - 1, True), (JSON_MAX_DEPTH, True), (JSON_MAX_DEPTH + 1, False)):
        text = json.dumps(_nested(depth, kinds))
        raw: str | bytes = text.encode() if as_bytes else text
        if allowed:
            assert load_json(raw) == json.loads(text)
        else:
            with pytest.raises(ValueError, match=f"nested more than {JSON_MAX_DEPTH} levels deep"):
                load_json(raw)


def test_a_deep_branch_inside_a_wide_document_is_found() -> None:
    wide = [{"id": n, "labels": ["a"], "metadata": {"x": "y"}} for n in range(2000)]
    assert load_json(json.dumps(wide)) == wide
    wide[1234]["metadata"]["deep"] = _nested(JSON_MAX_DEPTH - 2)  # the list, a bead, metadata: 3 levels more
    with pytest.raises(ValueError, match="nested more than"):
        load_json(json.dumps(wide).encode())


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    doc = {"title": "[{" * (4 * JSON_MAX_DEPTH), "list": ["]}" * JSON_MAX_DEPTH]}
    assert load_json(json.dumps(doc)) == doc


@pytest.mark.parametrize("bad", ['{"a": NaN}', "[Infinity]", "[-Infinity]", "nope", "[1,]"])
def test_what_json_does_not_have_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        load_json(bad)


def test_scalars_parse() -> None:
    assert load_json("5") == 5
    assert load_json(b'"[[["') == "[[["


@pytest.mark.parametrize("raw", [
    b'{"a": "\\u00e9"}',
    '{"a": "é"}'.encode("utf-8-sig"),  # a BOM in bytes is skipped, as json.loads does
    '{"a": "é"}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-32-le"),
    bytearray(b'[1, "x"]'),
])
def test_bytes_decode_as_json_loads_decodes_them(raw: bytes) -> None:
    assert load_json(raw) == json.loads(raw)


def test_a_text_that_starts_with_a_bom_is_refused_as_json_loads_refuses_it() -> None:
    with pytest.raises(ValueError, match="BOM"):
        load_json('\ufeff{"a": 1}')


def test_a_refused_document_does_not_spoil_the_next_one() -> None:
    with pytest.raises(ValueError):
        load_json('{"a": [1, NaN]}')
    assert load_json('{"b": [2]}') == {"b": [2]}
