"""``json.dumps(value, indent=2)``, byte for byte, at the speed of the C encoder.

With ``indent`` set, the standard library falls back to its pure-Python encoder,
which made rendering the JSON of a 2,000-file count cost as much as walking the
tree. Here the C encoder writes each container in one call: its item separator
is set to the newline and indent of that depth, which is exactly what the
indented layout puts between items (a JSON string never holds a raw newline).
A nested non-empty container is first replaced by a marker string, written the
same way one level deeper, and spliced in where the marker came out. If the
data itself contains the marker, the standard library writes the document.
"""

from __future__ import annotations

import json
from typing import Any

_CONTAINERS = (dict, list, tuple)
_MARK = "\x00\ufdd0ctxlab-nested\ufdd1\x00"  # a noncharacter between NULs: never real text


_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # not in the stubs


class _MarkerInData(Exception):
    pass


def dumps(value: Any, *, ensure_ascii: bool = True, indent: int = 2) -> str:
    """Equal to ``json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)``."""
    if _C_MAKE_ENCODER is None:  # no C accelerator in this Python
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    try:
        return _Writer(ensure_ascii, indent).write(value, 0)
    except _MarkerInData:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


class _Writer:
    def __init__(self, ascii_only: bool, indent: int) -> None:
        self.ascii_only = ascii_only
        self.indent = indent
        self.scalar = self._encoder("")
        self.mark = self.scalar(_MARK)
        self.levels: list[tuple[str, str, Any]] = []  # per depth: inner pad, closing pad, encoder

    def write(self, value: Any, depth: int) -> str:
        if not isinstance(value, _CONTAINERS) or not value:
            return self.scalar(value)
        if isinstance(value, list | tuple) and all(type(v) is dict and v for v in value):
            return self._records(value, depth)
        nested: list[Any] = []
        park = nested.append
        if isinstance(value, dict):
            flat: Any = {key: child if not isinstance(child, _CONTAINERS) or not child
                         else park(child) or _MARK for key, child in value.items()}
        else:
            flat = [child if not isinstance(child, _CONTAINERS) or not child
                    else park(child) or _MARK for child in value]
        inner, closing, encode = self._level(depth)
        text = encode(flat)
        return self._splice(text[0] + inner + text[1:-1] + closing + text[-1], nested, depth + 1)

    def _splice(self, text: str, nested: list[Any], depth: int) -> str:
        """``text`` with each marker replaced by its container, written at ``depth``."""
        if not nested:
            return text
        pieces = text.split(self.mark)
        if len(pieces) != len(nested) + 1:
            raise _MarkerInData
        out = [pieces[0]]
        for child, after in zip(nested, pieces[1:], strict=True):
            out.append(child)
            out.append(after)
        out[1::2] = self._flat_dicts(nested, depth) or [self.write(c, depth) for c in nested]
        return "".join(out)

    def _flat_dicts(self, children: list[Any], depth: int) -> list[str] | None:
        """Many dicts of scalars (a row's counts), written by one C call and cut apart where
        one ends and the next begins; None if they are not all such dicts."""
        if len(children) < 2 or not all(
                type(c) is dict and c and not any(isinstance(v, _CONTAINERS) and v
                                                  for v in c.values()) for c in children):
            return None
        inner, closing, encode = self._level(depth)
        parts = encode(children)[2:-2].split("}," + inner + "{")
        if len(parts) != len(children):  # cannot happen: nothing else holds that text
            return None
        return ["{" + inner + part + closing + "}" for part in parts]

    def _records(self, records: Any, depth: int) -> str:
        """A list of non-empty dicts (a report's rows) in one C call at the rows' item depth.

        Between two rows the compact text has ``"}," + sep + "{"``, which nothing else can
        produce (inside a row a separator is followed by a key's quote), so one replace
        turns it into the rows' own separator, braces on their lines.
        """
        nested: list[Any] = []
        park = nested.append
        flat = [{key: child if not isinstance(child, _CONTAINERS) or not child
                 else park(child) or _MARK for key, child in row.items()} for row in records]
        row_pad, close_pad, _ = self._level(depth)
        item_pad, _, encode = self._level(depth + 1)
        text = encode(flat).replace("}," + item_pad + "{", f"{row_pad}}},{row_pad}{{{item_pad}")
        text = f"[{row_pad}{{{item_pad}{text[2:-2]}{row_pad}}}{close_pad}]"
        return self._splice(text, nested, depth + 2)

    def _level(self, depth: int) -> tuple[str, str, Any]:
        while len(self.levels) <= depth:
            n = len(self.levels)
            inner = "\n" + " " * (self.indent * (n + 1))
            self.levels.append((inner, "\n" + " " * (self.indent * n), self._encoder(inner)))
        return self.levels[depth]

    def _encoder(self, inner: str):
        """A compact C encoder whose item separator is ``"," + inner``.

        ``JSONEncoder.encode`` builds a new C encoder on every call, which costs more than
        writing one small record, so each depth's is made once (the standard library's
        own ``c_make_encoder``).
        """
        escape = (json.encoder.encode_basestring_ascii if self.ascii_only
                  else json.encoder.encode_basestring)
        encode = _C_MAKE_ENCODER(None, _unserializable, escape, None, ": ",
                                             "," + inner, False, False, True)
        return lambda value: "".join(encode(value, 0))


def _unserializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
