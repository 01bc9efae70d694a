"""The JSON report's text: written by orjson, the same text Python's json module writes (two-space
indent, non-ASCII as it is), any text at all included (a lone surrogate falls back to json)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sourcecheck.report import to_json

# Any text: every category, lone surrogates (which json.loads gives for "\ud800") included.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | ANY_TEXT
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def docs(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
        max_leaves=20,
    )


def reference(doc: Any) -> str:
    """What to_json wrote with the json module alone."""
    from sourcecheck.redact import redact_text
    from sourcecheck.report import _JSON_RAW

    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return redact_text(_JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", text)) + "\n"


@given(docs(SCALARS))
def test_the_text_is_what_the_json_module_writes(doc: Any) -> None:
    assert to_json(doc) == reference(doc)


@given(docs(SCALARS | FLOATS))
def test_numbers_read_back_the_same(doc: Any) -> None:
    # Floats may be spelled otherwise (1e-07 or 1e-7): the values are what count.
    got, expected = json.loads(to_json(doc)), json.loads(reference(doc))
    assert _same(got, expected)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


def test_a_lone_surrogate_is_written_escaped() -> None:
    text = to_json({"passage": "before \ud800 after"})
    assert "\\ud800" in text and json.loads(text) == {"passage": "before \ud800 after"}
    text.encode("utf-8")  # a report file can hold it
