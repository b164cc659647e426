"""One-off check: ctxlab's gemma3 ids against other implementations of Gemma 3's tokenizer.

Two second opinions, each reading the same GGUF itself:

- transformers' GGUF loader (its own metadata reader, its Gemma BPE with merges
  rebuilt from the vocabulary), always;
- llama.cpp's own tokenizer (``vocab_only``), when llama-cpp-python is importable.
  It compiles llama.cpp from source, far longer than CI allows on two cores:

    pip install --target /tmp/llcpp llama-cpp-python==0.3.36
    PYTHONPATH=/tmp/llcpp python benchmarks/gemma3_tokenizer_check.py

llama.cpp cannot open a byte-split ``.part00``, so the script first writes a
GGUF holding only the metadata (no tensors), which is all ``vocab_only`` reads.
It prints each text's token count and, where an implementation disagrees, the
first differing pieces.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

TEXTS = [
    "Hello world", "What is your name?", "naïve café 👩‍💻 日本語の文章 مرحبا हिन्दी",
    "def f(x):\n    return [1, 22, 333]\n\n\tdone", "two  spaces and   three", "<b>bold</b>",
    "  leading", "trailing  ", "tabs\t\t\tx", " " * 40 + "x",
]


def metadata_only_copy(source: Path, dest: Path) -> None:
    from gguf import GGUFValueType, GGUFWriter

    from ctxlab.core.gguf_file import read_gguf

    metadata = read_gguf(source, tensors=False).metadata
    writer = GGUFWriter(str(dest), metadata["general.architecture"])
    for key, value in metadata.items():
        if key in ("general.architecture", "GGUF.version", "GGUF.tensor_count",
                   "GGUF.kv_count"):
            continue
        if isinstance(value, list) and value and isinstance(value[0], float):
            writer.add_array(key, value)
        elif isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_key_value(key, value, GGUFValueType.UINT32 if value >= 0
                                 else GGUFValueType.INT32)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        elif isinstance(value, str):
            writer.add_string(key, value)
        else:
            writer.add_array(key, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()


def transformers_encoder(gguf: Path) -> Callable[[str], list[int]]:
    from transformers.integrations.gguf.gguf_tokenizer_mapping import (
        convert_gguf_tokenizer,
        get_gguf_tokenizer,
    )

    architecture, vocabulary, _ = get_gguf_tokenizer(str(gguf))
    backend, _ = convert_gguf_tokenizer(architecture, vocabulary)
    return lambda text: backend.encode(text, add_special_tokens=False).ids


def llama_cpp_encoder(gguf: Path) -> Callable[[str], list[int]]:
    from llama_cpp import Llama

    llama = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    return lambda text: llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)


def compare(name: str, encode: Callable[[str], list[int]], ours, texts) -> int:
    """Print each text's verdict; the number of texts on which ``encode`` disagrees."""
    differ = 0
    for label, text in texts:
        mine, theirs = ours.encode(text).ids.tolist(), encode(text)
        if mine == theirs:
            print(f"  equal   {label!r}: {len(mine):,} tokens")
            continue
        differ += 1
        at = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
                  min(len(mine), len(theirs)))
        print(f"  UNEQUAL {label!r}: ctxlab {len(mine):,} vs {name} {len(theirs):,}; from token "
              f"{at}: ctxlab {[ours.piece(i) for i in mine[at:at + 3]]} "
              f"{name} {[ours.piece(i) for i in theirs[at:at + 3]]}")
    print(f"{name}: {len(texts) - differ} of {len(texts)} texts equal")
    return differ


def main() -> int:
    from ctxlab.core import assets
    from ctxlab.core.tokenizers import get_tokenizer

    ours = get_tokenizer("gemma3")
    texts = [(t[:24], t) for t in TEXTS] + [
        (p.name, p.read_text("utf-8")) for p in sorted(Path("samples").glob("*.*"))
        if p.suffix in (".md", ".py", ".json")]
    source = assets.ensure("gemma3-270m-part00")
    differ = compare("transformers", transformers_encoder(source), ours, texts)
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        print("llama.cpp: skipped (llama-cpp-python is not installed)")
        return 1 if differ else 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "gemma3-vocab.gguf"
        metadata_only_copy(source, copy)
        differ += compare("llama.cpp", llama_cpp_encoder(copy), ours, texts)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
