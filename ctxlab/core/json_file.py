"""JSON files a user hands us (config.json, tokenizer_config.json, chats), read bounded.

A file is read only up to a size limit, whatever it claims to be (a FIFO, a
device, a huge file), and every way it can fail to be the JSON object we expect
ends in one ``JSONFileError`` line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError
from ctxlab.core.textfile import read_limited

MAX_JSON_BYTES = 64 << 20  # far above any real config or chat; the cap on what we read


class JSONFileError(UserError, ValueError):
    """A JSON input is unreadable, too large, not JSON, or not the shape expected."""


def load_json(path: str | Path, *, what: str = "JSON file", max_bytes: int = MAX_JSON_BYTES,
              expect: type = dict) -> Any:
    """Parse ``path``; ``expect`` (dict or list) is the top-level type it must have."""
    path = Path(path)
    try:
        data = read_limited(path, max_bytes)
    except OSError as exc:
        raise JSONFileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise JSONFileError(f"{path}: {what} is over the {max_bytes:,}-byte limit")
    return parse_json(data, f"{path}: {what}", expect=expect)


def parse_json(data: bytes | str, label: str, *, expect: type = dict) -> Any:
    """``json.loads`` with every failure (bad UTF-8, syntax, nesting depth) as one line."""
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 BOM is common in files saved on Windows
    try:
        value = json.loads(data)
    except UnicodeDecodeError as exc:
        raise JSONFileError(f"{label} is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise JSONFileError(f"{label} is not valid JSON (line {exc.lineno}, column "
                            f"{exc.colno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise JSONFileError(f"{label} is not usable JSON ({type(exc).__name__})") from None
    if not isinstance(value, expect):
        names: dict[type, str] = {dict: "an object", list: "an array"}
        raise JSONFileError(f"{label} should be {names.get(expect, expect.__name__)}, "
                            f"not {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}[type(value)]
