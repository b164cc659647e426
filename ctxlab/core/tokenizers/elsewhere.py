"""Tokenize in a helper process, so the thread that waits for it never holds the GIL.

Some backends hold the GIL while they work: a normalizer's pass over the
text, turning a Rust encoding into Python lists, SentencePiece's own encode.
In a UI process that freezes every key press for as long as a book takes to
encode. One long-lived helper (``python -m ctxlab.core.tokenizers.elsewhere``)
keeps its tokenizers loaded between calls; requests and replies are pickles
over its stdin and stdout, and only the span arrays come back (the text stays
here). A plain subprocess, not ``multiprocessing``: that would re-run the
caller's ``__main__`` (a script, stdin, a REPL) in the helper. If the helper
dies, the next call starts a new one.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from ctxlab.core.spans import TokenSpans

SpanArrays = tuple[np.ndarray, ...]  # TokenSpans' fields after ``text``, in order
_HEADER = 8  # bytes of the length before each pickle


class HelperDied(RuntimeError):
    """The helper process exited while working (out of memory, a signal)."""


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def call(self, request: tuple[Any, ...]) -> Any:
        with self._lock:
            for attempt in (1, 2):  # a helper that died is replaced once
                process = self._running()
                try:
                    _send(process.stdin, request)
                    status, value = _receive(process.stdout)
                    break
                except (OSError, EOFError):
                    self._process = None
                    if attempt == 2:
                        raise HelperDied("the tokenizer helper process exited") from None
        if status == "error":
            raise value
        return value

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ctxlab.core.tokenizers.elsewhere"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self._process


_helper = _Helper()


class ElsewhereTokenizer:
    """The tokenizer called ``name``, answering from the helper process: never loaded here.

    Loading a vocabulary holds the GIL too (o200k's ranks 0.3 s, deepseek's JSON 0.7 s),
    so a UI process asks the helper even for a short text whose tokenizer it lacks.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        """``get_tokenizer(name).encode(text)``, computed in the helper process."""
        return TokenSpans(text, *_helper.call(("encode", self.name, text, allow_special)))

    def count(self, text: str, *, allow_special: bool = False) -> int:
        """``get_tokenizer(name).count(text)``, computed in the helper process."""
        return _helper.call(("count", self.name, text, allow_special))

    def pieces(self, ids: Sequence[int]) -> list[tuple[str, bytes]]:
        """Each id's ``(piece, token_bytes)``: what the inspector shows of a vocabulary."""
        return _helper.call(("pieces", self.name, [int(i) for i in ids], False))


def _send(stream: IO[bytes] | None, value: object) -> None:
    assert stream is not None
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "little") + data)
    stream.flush()


def _receive(stream: IO[bytes] | None) -> Any:
    assert stream is not None
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _answer(kind: str, name: str, payload: Any, allow_special: bool) -> object:
    from ctxlab.core.tokenizers import get_tokenizer

    tokenizer = get_tokenizer(name, fetch=False)
    if kind == "pieces":
        return [(tokenizer.piece(i), tokenizer.token_bytes(i)) for i in payload]
    if kind == "count":
        return tokenizer.count(payload, allow_special=allow_special)
    spans = tokenizer.encode(payload, allow_special=allow_special)
    return (spans.ids, spans.char_start, spans.char_end, spans.byte_start, spans.byte_end,
            spans.split, spans.special)


def serve() -> None:
    """The helper's loop: one request in, one reply out, until stdin closes."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the replies
    while True:
        try:
            request = _receive(requests)
        except EOFError:
            return
        try:
            reply: tuple[str, object] = ("ok", _answer(*request))
        except Exception as exc:  # the caller re-raises it, as if it ran there
            reply = ("error", exc)
        try:
            _send(replies, reply)
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(replies, ("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


if __name__ == "__main__":
    serve()
