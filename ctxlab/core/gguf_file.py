"""A bounded GGUF reader: header, metadata and tensor infos, never the tensor data itself.

Every length or count in a GGUF header is checked against the bytes actually left
in the file *before* anything is allocated, so a crafted file cannot make us grow
memory, and a truncated file fails with one line. Because tensor data is only
located (offset + size), the metadata of a split or cut file (``model.gguf.part00``)
or of a model far bigger than RAM reads in milliseconds.

Use::

    gguf = read_gguf(path)                      # header + metadata + tensor infos
    gguf.get("general.architecture")            # any metadata value, as plain Python
    gguf.require_int("llama.block_count")       # typed, with a one-line error if absent
    gguf.tensors["token_embd.weight"].shape     # numpy order (rows, cols)
    gguf.dequantize("token_embd.weight")        # float32 array (needs the whole file)

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian, v2/v3).
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
import sys
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS: llama.cpp rejects tensors with more
MAX_ARRAY_DEPTH = 3  # arrays of arrays are legal; real files use depth 1
# The largest real vocabularies hold a few hundred thousand entries per array; this caps the
# Python objects a file can make us build, whatever its size.
MAX_METADATA_ITEMS = 1 << 24

# GGUF value type id -> (struct/array code, byte size) for fixed-size scalars.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("B", 1), 1: ("b", 1), 2: ("H", 2), 3: ("h", 2), 4: ("I", 4), 5: ("i", 4),
    6: ("f", 4), 7: ("?", 1), 10: ("Q", 8), 11: ("q", 8), 12: ("d", 8),
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")

# ggml tensor type id -> (name, elements per block, bytes per block), from ggml.h.
TENSOR_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}


class GGUFError(UserError, ValueError):
    """A file is not a GGUF we can read; the message names the file and the first fault."""


@dataclass(frozen=True)
class GGUFTensor:
    """Where one tensor's bytes live; ``dims`` are GGUF's order (``dims[0]`` varies fastest)."""

    name: str
    dims: tuple[int, ...]
    type_id: int
    offset: int  # absolute file offset of the first data byte
    nbytes: int

    @property
    def type_name(self) -> str:
        return TENSOR_TYPES[self.type_id][0]

    @property
    def shape(self) -> tuple[int, ...]:
        """numpy / PyTorch order: ``(rows, cols)`` for a matrix."""
        return tuple(reversed(self.dims))

    @property
    def n_elements(self) -> int:
        count = 1
        for d in self.dims:
            count *= d
        return count


@dataclass(frozen=True)
class GGUFFile:
    """What a GGUF file declares. Values are plain Python: str, int, float, bool, lists."""

    path: Path
    version: int
    size: int  # bytes in the file as it is on disk
    metadata: Mapping[str, Any]
    tensors: Mapping[str, GGUFTensor]  # empty when read with ``tensors=False``
    data_offset: int | None  # where tensor data starts; None when tensors were not read

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    def require(self, key: str) -> Any:
        if key not in self.metadata:
            raise GGUFError(f"{self.path}: GGUF metadata lacks {key}")
        return self.metadata[key]

    def require_int(self, key: str, *, minimum: int = 0) -> int:
        """An integer field, checked: a string, float or negative count is one clear error."""
        return self._int(key, self.require(key), minimum)

    def get_int(self, key: str, default: int | None = None, *, minimum: int = 0) -> int | None:
        value = self.metadata.get(key)
        return default if value is None else self._int(key, value, minimum)

    def get_float(self, key: str, default: float | None = None) -> float | None:
        value = self.metadata.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GGUFError(f"{self.path}: GGUF metadata {key} should be a number, "
                            f"not {_kind(value)}")
        return float(value)

    def get_str(self, key: str, default: str | None = None) -> str | None:
        value = self.metadata.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise GGUFError(f"{self.path}: GGUF metadata {key} should be a string, "
                            f"not {_kind(value)}")
        return value

    def get_list(self, key: str, item: type | tuple[type, ...]) -> list | None:
        """An array whose every element is ``item`` (e.g. ``str`` for tokens), or None."""
        value = self.metadata.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            names = item.__name__ if isinstance(item, type) else "/".join(t.__name__ for t in item)
            raise GGUFError(f"{self.path}: GGUF metadata {key} should be an array of {names}")
        return value

    @property
    def complete(self) -> bool:
        """Every tensor's bytes are inside the file (False for a ``.part00`` or a cut file)."""
        return all(t.offset + t.nbytes <= self.size for t in self.tensors.values())

    def tensor_bytes(self, name: str):
        """The raw bytes of one tensor as a read-only ``uint8`` memmap (nothing is copied)."""
        tensor = self._tensor(name)
        if tensor.offset + tensor.nbytes > self.size:
            raise GGUFError(
                f"{self.path}: GGUF is truncated: tensor {name} ends at byte "
                f"{tensor.offset + tensor.nbytes:,} but the file has {self.size:,} "
                "(a split .partNN file? join the parts first)")
        return self._mapped[tensor.offset:tensor.offset + tensor.nbytes]

    @cached_property
    def _mapped(self):
        """The whole file mapped once, read-only: one descriptor however many tensors."""
        import numpy as np

        return np.memmap(self.path, dtype=np.uint8, mode="r")

    def dequantize(self, name: str):
        """One tensor as float32 in numpy order, whatever ggml type it is stored in."""
        from gguf.quants import dequantize

        tensor = self._tensor(name)
        _, block, block_bytes = TENSOR_TYPES[tensor.type_id]
        raw = self.tensor_bytes(name)
        rows = raw.reshape(*tensor.shape[:-1], tensor.dims[0] // block * block_bytes)
        try:
            values = dequantize(rows, _GGMLType(tensor.type_id))
        except NotImplementedError:
            raise GGUFError(f"{self.path}: tensor {name} has type {tensor.type_name}, "
                            "which ctxlab cannot dequantize") from None
        return values.reshape(tensor.shape)

    def _tensor(self, name: str) -> GGUFTensor:
        if name not in self.tensors:
            raise GGUFError(f"{self.path}: GGUF lacks tensor {name}")
        return self.tensors[name]

    def _int(self, key: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise GGUFError(f"{self.path}: GGUF metadata {key} should be an integer, "
                            f"not {_kind(value)}")
        if value < minimum:
            raise GGUFError(f"{self.path}: GGUF metadata {key} is {value}, "
                            f"it must be at least {minimum}")
        return value


def _GGMLType(type_id: int):
    from gguf.constants import GGMLQuantizationType

    return GGMLQuantizationType(type_id)


def _kind(value: Any) -> str:
    return {str: "a string", bool: "a boolean", list: "an array", float: "a float",
            int: "an integer"}.get(type(value), type(value).__name__)


def read_gguf(path: str | Path, *, tensors: bool = True) -> GGUFFile:
    """Parse ``path``'s header; ``tensors=False`` stops after the metadata (all a tokenizer needs).

    Raises ``GGUFError`` (one line) for anything but a well-formed GGUF v2/v3 header.
    Tensor data is not checked here: ``GGUFFile.complete`` says whether it is all present.
    """
    path = Path(path)
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise GGUFError(f"{path}: not a regular file, cannot read it as GGUF")
            if info.st_size < 24:
                raise GGUFError(f"{path}: not a GGUF file ({info.st_size} bytes is too short "
                                "for a GGUF header)")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                return _Parser(path, view, info.st_size).parse(tensors)
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read: {exc.strerror or exc}") from None


class _Parser:
    """A cursor over the mapped file that refuses any read past its end."""

    def __init__(self, path: Path, view: mmap.mmap, size: int) -> None:
        self.path, self.view, self.size = path, view, size
        self.pos = 0
        self.items = 0  # metadata elements built so far, against MAX_METADATA_ITEMS

    def fail(self, what: str) -> GGUFError:
        return GGUFError(f"{self.path}: not a valid GGUF file: {what} (at byte {self.pos:,})")

    def truncated(self, what: str) -> GGUFError:
        return GGUFError(f"{self.path}: GGUF is truncated: the file ends inside {what} "
                         f"(at byte {self.pos:,} of {self.size:,})")

    def take(self, n: int, what: str) -> int:
        """Reserve ``n`` bytes at the cursor; returns their start."""
        if n > self.size - self.pos:
            raise self.truncated(what)
        start = self.pos
        self.pos += n
        return start

    def scalar(self, code: str, size: int, what: str) -> Any:
        return struct.unpack_from("<" + code, self.view, self.take(size, what))[0]

    def count(self, what: str, min_item_bytes: int) -> int:
        """A u64 count, rejected if that many items could not fit in the bytes left."""
        n = self.scalar("Q", 8, what)
        if n * min_item_bytes > self.size - self.pos:
            raise self.fail(f"{what} says {n:,}, more than the {self.size - self.pos:,} "
                            "bytes left can hold")
        return n

    def string(self, what: str) -> str:
        n = self.scalar("Q", 8, what)
        start = self.take(n, what)
        try:
            return str(self.view[start:start + n], "utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} is not UTF-8") from None

    def strings(self, n: int, key: str) -> list[str]:
        """``n`` length-prefixed strings: the vocabulary's hot loop, kept tight."""
        view, size, pos = self.view, self.size, self.pos
        unpack = _U64.unpack_from
        out: list[str] = []
        append = out.append
        try:
            for _ in range(n):
                if size - pos < 8:
                    break
                end = pos + 8 + unpack(view, pos)[0]
                if end > size:
                    break
                append(str(view[pos + 8:end], "utf-8"))
                pos = end
        except UnicodeDecodeError:
            self.pos = pos
            raise self.fail(f"an element of {key} is not UTF-8") from None
        self.pos = pos
        if len(out) < n:
            raise self.truncated(f"the array {key}")
        return out

    def parse(self, with_tensors: bool) -> GGUFFile:
        magic = self.view[:4]
        if magic != MAGIC:
            raise self.fail(f"it starts with {magic!r}, not {MAGIC!r}")
        self.pos = 4
        version = self.scalar("I", 4, "the version")
        if version not in SUPPORTED_VERSIONS:
            if version & 0xFFFF == 0 and version >> 16 in SUPPORTED_VERSIONS:
                raise self.fail("big-endian GGUF files are not supported")
            raise self.fail(f"version {version} (ctxlab reads GGUF v2 and v3)")
        n_tensors = self.scalar("Q", 8, "the tensor count")
        n_kv = self.count("the metadata count", 8 + 4 + 1)
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = self.string("a metadata key")
            if key in metadata:
                raise self.fail(f"metadata key {key!r} appears twice")
            metadata[key] = self.value(self.scalar("I", 4, f"the type of {key}"), key, 0)
        if not with_tensors:
            return GGUFFile(self.path, version, self.size, metadata, {}, None)
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if (isinstance(alignment, bool) or not isinstance(alignment, int) or alignment <= 0
                or alignment & (alignment - 1)):
            raise self.fail(f"general.alignment {alignment!r} is not a power of two")
        if n_tensors * (8 + 4 + 8 + 4 + 8) > self.size - self.pos:
            raise self.fail(f"the tensor count says {n_tensors:,}, more than the "
                            f"{self.size - self.pos:,} bytes left can hold")
        infos = [self.tensor_info(alignment) for _ in range(n_tensors)]
        data_offset = -(-self.pos // alignment) * alignment
        found: dict[str, GGUFTensor] = {}
        for name, dims, type_id, offset, nbytes in infos:
            if name in found:
                raise self.fail(f"tensor {name!r} appears twice")
            found[name] = GGUFTensor(name, dims, type_id, data_offset + offset, nbytes)
        return GGUFFile(self.path, version, self.size, metadata, found, data_offset)

    def value(self, type_id: int, key: str, depth: int) -> Any:
        if type_id in _SCALARS:
            code, size = _SCALARS[type_id]
            return self.scalar(code, size, f"the value of {key}")
        if type_id == _STRING:
            return self.string(f"the value of {key}")
        if type_id == _ARRAY:
            if depth >= MAX_ARRAY_DEPTH:
                raise self.fail(f"{key} nests arrays deeper than {MAX_ARRAY_DEPTH}")
            return self.array(key, depth + 1)
        raise self.fail(f"{key} has unknown value type {type_id}")

    def array(self, key: str, depth: int) -> list:
        item_type = self.scalar("I", 4, f"the element type of {key}")
        if item_type in _SCALARS:
            code, size = _SCALARS[item_type]
        elif item_type == _STRING:
            code, size = "", 8
        elif item_type == _ARRAY:
            code, size = "", 12
        else:
            raise self.fail(f"{key} has unknown element type {item_type}")
        n = self.count(f"the length of {key}", size)
        self.items += n
        if self.items > MAX_METADATA_ITEMS:
            raise self.fail(f"more than {MAX_METADATA_ITEMS:,} metadata array elements")
        if code:
            start = self.take(n * size, f"the array {key}")
            values = array("b" if code == "?" else code, self.view[start:start + n * size])
            if sys.byteorder == "big" and size > 1:
                values.byteswap()
            return [bool(v) for v in values] if code == "?" else values.tolist()
        if item_type == _STRING:
            return self.strings(n, key)
        return [self.value(_ARRAY, key, depth) for _ in range(n)]

    def tensor_info(self, alignment: int) -> tuple[str, tuple[int, ...], int, int, int]:
        name = self.string("a tensor name")
        n_dims = self.scalar("I", 4, f"the rank of tensor {name}")
        if not 1 <= n_dims <= MAX_DIMS:
            raise self.fail(f"tensor {name} has {n_dims} dimensions (1 to {MAX_DIMS} allowed)")
        start = self.take(8 * n_dims, f"the shape of tensor {name}")
        dims = struct.unpack_from(f"<{n_dims}Q", self.view, start)
        type_id = self.scalar("I", 4, f"the type of tensor {name}")
        offset = self.scalar("Q", 8, f"the offset of tensor {name}")
        if type_id not in TENSOR_TYPES:
            raise self.fail(f"tensor {name} has unknown ggml type {type_id}")
        _, block, block_bytes = TENSOR_TYPES[type_id]
        elements = 1
        for d in dims:
            elements *= d
        if dims[0] % block:
            raise self.fail(f"tensor {name}: a row of {dims[0]} is not a whole number of "
                            f"{TENSOR_TYPES[type_id][0]} blocks of {block}")
        nbytes = elements // block * block_bytes
        if offset % alignment:
            raise self.fail(f"tensor {name}: data offset {offset} is not aligned to {alignment}")
        if offset + nbytes > 1 << 63:
            raise self.fail(f"tensor {name} claims {nbytes:,} bytes")
        return name, tuple(dims), type_id, offset, nbytes
