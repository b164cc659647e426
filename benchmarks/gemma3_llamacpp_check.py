"""One-off check: ctxlab's gemma3 ids against llama.cpp's own tokenizer (vocab_only).

Not part of the test suite: llama-cpp-python compiles llama.cpp from source,
which takes far longer than CI allows on two cores. Run it by hand:

    pip install --target /tmp/llcpp llama-cpp-python==0.3.36
    PYTHONPATH=/tmp/llcpp python benchmarks/gemma3_llamacpp_check.py

llama.cpp cannot open a byte-split ``.part00``, so the script first writes a
GGUF holding only the metadata (no tensors), which is all ``vocab_only`` reads.
It prints every text on which the two disagree.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TEXTS = [
    "Hello world", "What is your name?", "naïve café 👩‍💻 日本語の文章 مرحبا हिन्दी",
    "def f(x):\n    return [1, 22, 333]\n\n\tdone", "two  spaces and   three", "<b>bold</b>",
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


def main() -> int:
    from llama_cpp import Llama

    from ctxlab.core import assets
    from ctxlab.core.tokenizers import get_tokenizer

    ours = get_tokenizer("gemma3")
    texts = TEXTS + [p.read_text("utf-8") for p in sorted(Path("samples").glob("*.*"))
                     if p.suffix in (".md", ".py", ".json")]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "gemma3-vocab.gguf"
        metadata_only_copy(assets.ensure("gemma3-270m-part00"), copy)
        llama = Llama(model_path=str(copy), vocab_only=True, verbose=False)
        differ = 0
        for text in texts:
            theirs = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            mine = ours.encode(text).ids.tolist()
            if theirs != mine:
                differ += 1
                print(f"differ ({len(mine)} vs llama.cpp {len(theirs)}): {text[:60]!r}")
        print(f"{len(texts) - differ} of {len(texts)} texts agree with llama.cpp")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
