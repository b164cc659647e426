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


def rows(inner):
    """Dicts with the same keys in the same order: a report's rows, written by a template."""
    return st.lists(keys, min_size=1, max_size=4, unique=True).flatmap(
        lambda names: st.lists(st.fixed_dictionaries({k: inner for k in names}), max_size=4))


values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.lists(inner, max_size=3).map(tuple)
                      | st.dictionaries(keys, inner, max_size=5)
                      | st.lists(st.dictionaries(keys, inner, min_size=1, max_size=4), max_size=4)
                      | rows(inner), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(values, st.booleans(), st.sampled_from([0, 1, 2, 4]))
def test_equal_to_the_standard_library(value, ensure_ascii, indent):
    assert dumps(value, ensure_ascii=ensure_ascii, indent=indent) == json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent)


def test_a_count_document_shape():
    record = {"path": "a/ü%s.py", "status": "ok", "bytes": 3, "tokens": {"cl100k_base": 2},
              "bom": False, "detail": "", "100%": 1.5}
    doc = {"schema": "ctxlab.count/1", "files": [record, {**record, "tokens": {}},
                                                 {**record, "tokens": {"o200k_base": 1}}],
           "totals": {"skipped": {}}, "problems": []}
    assert dumps(doc, ensure_ascii=False) == json.dumps(doc, ensure_ascii=False, indent=2)
