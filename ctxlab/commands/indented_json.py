"""``json.dumps(value, indent=2)``, byte for byte, at the speed of the C encoder.

With ``indent`` set, the standard library falls back to its pure-Python encoder,
which made rendering the JSON of a 2,000-file count cost as much as walking the
tree. Here the C encoder writes the scalars of a container in one call, with NUL
as the item separator (a JSON text never holds a raw NUL: strings escape it), so
one split gives each scalar's text. Rows of dicts with the same keys (a report's
files) are written column by column: each column is one such call, or rows again
one level deeper, and every row is one ``%`` of a template made from the keys.
"""

from __future__ import annotations

import json
from typing import Any

_CONTAINERS = (dict, list, tuple)
_SEP = "\x00"

_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # not in the stubs


def dumps(value: Any, *, ensure_ascii: bool = True, indent: int = 2) -> str:
    """Equal to ``json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)``."""
    if _C_MAKE_ENCODER is None:  # no C accelerator in this Python
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    return _Writer(ensure_ascii, indent).write(value, 0)


class _Writer:
    def __init__(self, ascii_only: bool, indent: int) -> None:
        self.indent = indent
        escape = (json.encoder.encode_basestring_ascii if ascii_only
                  else json.encoder.encode_basestring)
        # JSONEncoder.encode builds a new C encoder per call, dearer than a small record.
        self._encode = _C_MAKE_ENCODER(None, _unserializable, escape, None, ": ", _SEP,
                                       False, False, True)

    def write(self, value: Any, depth: int) -> str:
        if not isinstance(value, _CONTAINERS) or not value:
            return self._text(value)
        inner, closing = self._pads(depth)
        if isinstance(value, dict):
            items = [f"{key}: {text}" for key, text in zip(
                self._keys(value), self._column(list(value.values()), depth + 1), strict=True)]
            return "{" + inner + ("," + inner).join(items) + closing + "}"
        return "[" + inner + ("," + inner).join(self._column(list(value), depth + 1)) \
            + closing + "]"

    def _text(self, value: Any) -> str:
        return "".join(self._encode(value, 0))

    def _pads(self, depth: int) -> tuple[str, str]:
        """The newline and indent before an item at ``depth + 1``, and before the closing."""
        return "\n" + " " * (self.indent * (depth + 1)), "\n" + " " * (self.indent * depth)

    def _scalars(self, values: list) -> list[str]:
        """The texts of ``values``, none a non-empty container, from one C call."""
        return self._text(values)[1:-1].split(_SEP)

    def _keys(self, value: dict) -> list[str]:
        """Each key's text, converted as json converts keys (1 -> "1", None -> "null")."""
        return [item[:-3] for item in self._text(dict.fromkeys(value, 0))[1:-1].split(_SEP)]

    def _column(self, values: list, depth: int) -> list[str]:
        """The texts of ``values``, each written as an item at ``depth``."""
        if not any(issubclass(kind, _CONTAINERS) for kind in set(map(type, values))):
            return self._scalars(values)  # the usual column: found without a loop in Python
        nested = [i for i, v in enumerate(values) if isinstance(v, _CONTAINERS) and v]
        if not nested:
            return self._scalars(values)
        texts = self._scalars([0 if isinstance(v, _CONTAINERS) and v else v for v in values])
        children = [values[i] for i in nested]
        shape = tuple(children[0]) if type(children[0]) is dict else None
        rows = self._rows(children, shape, depth) if shape is not None and all(
            type(c) is dict and tuple(c) == shape for c in children) else None
        for i, text in zip(nested, rows or [self.write(c, depth) for c in children],
                           strict=True):
            texts[i] = text
        return texts

    def _rows(self, rows: list[dict], keys: tuple, depth: int) -> list[str]:
        """Dicts that all have ``keys`` in that order, each written at ``depth``."""
        inner, closing = self._pads(depth)
        template = "{" + ",".join(inner + key.replace("%", "%%") + ": %s"
                                  for key in self._keys(rows[0])) + closing + "}"
        columns = [self._column([row[key] for row in rows], depth + 1) for key in keys]
        return [template % texts for texts in zip(*columns, strict=True)]


def _unserializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
