"""Gemma 3 270M in ctxlab's numpy runtime against two independent implementations, real weights.

Run: ``python benchmarks/gemma_reference.py [--skip-transformers] [--skip-llama-cpp]``

1. transformers' ``Gemma3ForCausalLM`` loading the same GGUF offline (it dequantizes with
   ``gguf`` and needs ``accelerate``): max |logit difference| over a 64-token prompt.
2. llama.cpp through ``llama-cpp-python`` (built from source; ``pip install
   llama-cpp-python==0.3.36``): greedy continuations of a few prompts, fed the same token
   ids, must be identical token for token. llama.cpp computes in its own quantized kernels,
   so its logits differ slightly; greedy tokens agree unless two candidates nearly tie.
Both are slow to set up (a minute of dequantizing, or a compile), so they live here,
not in the test suite.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

PROMPTS = (
    "The capital of France is",
    "The innkeeper of the Blue Boar was a woman named Orla. The toll at the bridge was seven "
    "coins.\n\nQuestion: What was the innkeeper's name?\nAnswer:",
    "def fibonacci(n):\n    ",
)
NEW_TOKENS = 16


def ours_greedy(model, ids: list[int], steps: int) -> tuple[list[int], list[np.ndarray]]:
    """Greedy tokens, and the logits each was chosen from (to size a disagreement)."""
    from ctxlab.core.model.masks import AttentionMask

    runtime, native = model.runtime, AttentionMask.model_native()
    cache = runtime.new_cache(len(ids) + steps)
    hidden = runtime.forward(ids, cache, mask=native)
    out, logits = [], []
    for _ in range(steps):
        logits.append(runtime.logits(hidden)[-1])
        out.append(int(np.argmax(logits[-1])))
        hidden = runtime.forward([out[-1]], cache, mask=native)
    return out, logits


def compare_transformers(model, path) -> float:
    import torch
    from transformers import Gemma3ForCausalLM

    reference = Gemma3ForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                  dtype=torch.float32).eval()
    from ctxlab.core.model.masks import AttentionMask

    ids = [2, *np.random.default_rng(0).integers(1000, 200_000, 63).tolist()]
    runtime, native = model.runtime, AttentionMask.model_native()
    cache = runtime.new_cache(len(ids))
    ours = runtime.logits(runtime.forward(ids, cache, mask=native, outputs_at=slice(None)))
    with torch.no_grad():
        theirs = reference(torch.tensor([ids])).logits[0].numpy()
    return float(np.abs(ours - theirs).max())


def compare_llama_cpp(model, path) -> list[tuple[str, bool, int]]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=512, n_threads=2, verbose=False, logits_all=False)
    rows = []
    for prompt in PROMPTS:
        ids = [*model.prefix_ids, *model.tokenizer.encode(prompt).ids]
        ours, logits = ours_greedy(model, ids, NEW_TOKENS)
        llm.reset()
        theirs = []
        for token in llm.generate(ids, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0,
                                  reset=True):
            theirs.append(int(token))
            if len(theirs) == NEW_TOKENS:
                break
        same = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b),
                    NEW_TOKENS)
        rows.append((prompt, ours == theirs, same))
        print(f"  {'agree' if ours == theirs else 'DIFFER'} ({same}/{NEW_TOKENS} tokens equal): "
              f"{prompt[:40]!r} -> {model.tokenizer.decode(ours)!r}")
        if same < NEW_TOKENS:  # a near-tie, or a real disagreement?
            row = logits[same]
            print(f"    at token {same + 1} ours {model.tokenizer.decode([ours[same]])!r}, "
                  f"llama.cpp's {model.tokenizer.decode([theirs[same]])!r}: ours by "
                  f"{row[ours[same]] - row[theirs[same]]:.3f} logits (top logit "
                  f"{row[ours[same]]:.2f}), llama.cpp's ranked "
                  f"{int((row > row[theirs[same]]).sum()) + 1} by us")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--skip-llama-cpp", action="store_true")
    args = parser.parse_args()

    from ctxlab.core import assets
    from ctxlab.core.model.loader import GEMMA_ASSET, load_model

    started = time.perf_counter()
    model = load_model("gemma3-270m")
    path = assets.asset_path(GEMMA_ASSET)
    print(f"ctxlab load: {time.perf_counter() - started:.1f} s")
    if not args.skip_transformers:
        print(f"transformers Gemma3ForCausalLM, same GGUF: max |logit diff| = "
              f"{compare_transformers(model, path):.2e} over 64 tokens")
    if not args.skip_llama_cpp:
        print("llama.cpp greedy agreement, same token ids:")
        rows = compare_llama_cpp(model, path)
        print(f"  {sum(r[1] for r in rows)}/{len(rows)} prompts agree on all {NEW_TOKENS} tokens")


if __name__ == "__main__":
    main()
