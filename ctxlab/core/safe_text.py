"""User data (file names, errors quoting input) made safe to print.

A file name can hold an ESC sequence that recolours or rewrites the terminal, a
bidi override that reverses what follows, or bytes that are not UTF-8 (Python
carries those as lone surrogates, which make any UTF-8 write raise). Terminal
output shows all of them as visible escapes; machine formats (JSON, CSV) keep
the text exact and escape only what cannot be encoded.
"""

from __future__ import annotations

_SURROGATE_ESCAPES = range(0xDC80, 0xDD00)  # os.fsdecode's stand-ins for undecodable bytes


def printable(text: str, keep: str = "") -> str:
    """``text`` with each non-printable character (but those in ``keep``) as an escape."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        point = ord(char)
        if char.isprintable() or char in keep:
            out.append(char)
        elif point in _SURROGATE_ESCAPES:
            out.append(f"\\x{point - 0xDC00:02x}")
        elif point < 0x100:
            out.append(f"\\x{point:02x}")
        else:
            out.append(f"\\u{point:04x}")
    return "".join(out)


def encodable(text: str) -> str:
    """``text`` unchanged unless it holds undecodable bytes, which become ``\\xNN``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an undecodable byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def undecodable_byte(text: str) -> int | None:
    """The first byte that was not UTF-8 in a command-line argument, or None."""
    for char in text:
        if ord(char) in _SURROGATE_ESCAPES:
            return ord(char) - 0xDC00
    return None
