"""The fast indented JSON writer is byte-identical to ``json.dumps(indent=2)``."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ctxlab.commands.indented_json import dumps

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(st.characters(codec="utf-8") | st.sampled_from('"\\\n\t\x00\u2028')))
keys = st.text(max_size=8) | st.integers() | st.booleans() | st.none() | st.floats(
    allow_nan=False)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.lists(inner, max_size=3).map(tuple)
                      | st.dictionaries(keys, inner, max_size=5)
                      | st.lists(st.dictionaries(keys, inner, min_size=1, max_size=4), max_size=4),
                      max_leaves=40)  # the last: rows of a report, written in one C call


@settings(max_examples=400, deadline=None)
@given(values, st.booleans(), st.sampled_from([0, 1, 2, 4]))
def test_equal_to_the_standard_library(value, ensure_ascii, indent):
    assert dumps(value, ensure_ascii=ensure_ascii, indent=indent) == json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent)


def test_a_count_document_shape():
    record = {"path": "a/ü.py", "status": "ok", "bytes": 3, "tokens": {"cl100k_base": 2},
              "bom": False, "detail": ""}
    doc = {"schema": "ctxlab.count/1", "files": [record, {**record, "tokens": {}}],
           "totals": {"skipped": {}}, "problems": []}
    assert dumps(doc, ensure_ascii=False) == json.dumps(doc, ensure_ascii=False, indent=2)
