"""The one protocol every tokenizer backend implements, and its metadata record."""

from __future__ import annotations

import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ctxlab.core.errors import UserError

if TYPE_CHECKING:  # numpy-backed spans are not needed just to count tokens
    from concurrent.futures import Future

    from ctxlab.core.spans import TokenSpans


class TokenizerError(UserError):
    """A tokenizer a user named cannot be used; the message is one line saying why and how."""


MAX_MODEL_FILE_BYTES = 1 << 30  # the biggest real tokenizer files are tens of MB


def check_model_file(path: Path, what: str) -> None:
    """Before a native library reads ``path`` whole: a regular file, of a sane size."""
    try:
        info = path.stat()
    except OSError as exc:
        raise TokenizerError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenizerError(f"{path}: not a regular file, cannot read it as a {what}")
    if info.st_size > MAX_MODEL_FILE_BYTES:
        raise TokenizerError(f"{path}: {info.st_size:,} bytes is too large for a {what}")


@dataclass(frozen=True)
class TokenizerInfo:
    """What a user needs to trust a count: where the vocabulary came from, exact for whom."""

    name: str
    family: str  # "tiktoken" | "huggingface" | "sentencepiece" | "gguf"
    vocab_size: int
    special_tokens: dict[str, int] = field(default_factory=dict)
    source: str = ""  # package file, local path, or hub id
    licence: str | None = None
    library: str = ""  # backing library and version, recorded in outputs
    exact_for: tuple[str, ...] = ()  # models whose own tokenizer this is


@runtime_checkable
class Tokenizer(Protocol):
    info: TokenizerInfo
    parallel_batches: bool  # count_batch runs on every core by itself: then a BatchCounter

    def encode(self, text: str, *, allow_special: bool = False) -> TokenSpans:
        """Tokenize ``text``; with ``allow_special`` special-token strings become special ids."""

    def count(self, text: str, *, allow_special: bool = False) -> int:
        """Number of tokens ``encode`` would return, without building spans."""

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        """Counts for many texts at once (backends release the GIL here where they can)."""

    def decode(self, ids: Sequence[int]) -> str:
        """Text for ``ids``; ``decode(encode(t).ids) == t`` for ordinary text."""

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes a token stands for (empty for control tokens)."""

    def piece(self, token_id: int) -> str:
        """The token as the tokenizer stores it (``Ġthe``, ``▁the``, ``<0xE4>``)."""


class BatchCounter(Tokenizer, Protocol):
    """A tokenizer with ``parallel_batches``: ``count`` runs it in threads of one process."""

    def prepare(self) -> None:
        """Load everything counting needs; run in a thread beside the walk."""

    def count_batch_soon(self, texts: Sequence[str]) -> Future[list[int]]:
        """``count_batch``, finished later where part of it waits on a slow first load."""


@dataclass(frozen=True)
class FileFormat:
    """How a backend recognises a tokenizer file and opens it.

    A backend module (``ctxlab/core/tokenizers/*_backend.py``) that defines
    ``FILE_FORMAT`` opens such files for ``-t PATH``: the registry finds it by the
    module's name, so adding a backend is adding its module.
    """

    name: str  # what an error message calls the files: "tokenizer.json"
    matches: Callable[[Path], bool]
    open: Callable[[Path], Tokenizer]
