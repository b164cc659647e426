"""How fast is ctxlab's numpy runtime on this machine, relative to this machine's own matmul peak?

Run: ``python benchmarks/model_bench.py [--models smollm2,gemma3-270m] [--strategies full,sliding]
[--no-grid] [--no-decode] [--json out.json]``

1. numpy float32 matmul GFLOP/s (the best of a few large products): the peak.
2. Prefill of 256 / 1024 / 2048 tokens of each model (SmolLM2-135M, Gemma 3 270M) under its
   own attention pattern: tokens/s and model GFLOP/s (weights 2·P·T plus attention
   2·2·d_head·heads per query-key pair each layer attends: all earlier tokens in a global
   layer, the last 512 in a Gemma local layer), as % of the peak.
3. Decode of the grid's trials (one needle at 5 depths x 4 lengths, plus the 4 no-needle
   baselines; 32 greedy tokens each) for each model: one by one (greedy with prompt-lookup
   drafts, the grid's old path) against all trials in lockstep (one matrix product per weight
   per step, sharing the template + haystack cache): decoded tokens per second of decode, and
   whether both give the same tokens; then, when ``llama_cpp`` (llama-cpp-python) imports,
   llama.cpp's own single-stream greedy decode of the same GGUF, for comparison.
4. A needle grid of 5 depths x 4 lengths (256 .. 2048 tokens) on the first model, timed.
Targets: prefill at 1024 tokens >= 50 % of peak; batched decode above llama.cpp's;
the grid < 90 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

PREFILL_LENGTHS = (256, 1024, 2048)
GRID_DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
GRID_LENGTHS = (256, 512, 1024, 2048)
DECODE_TOKENS = 32


def best_of(func, repeats: int) -> float:
    """Fastest of ``repeats`` timed calls (other processes share the CPU: min is cleanest)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peak() -> float:
    """GFLOP/s of float32 GEMMs shaped like the model's (and one large square one)."""
    rng = np.random.default_rng(0)
    best = 0.0
    for m, k, n in ((1024, 576, 3072), (1024, 1536, 576), (2048, 2048, 2048)):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        seconds = best_of(lambda a=a, b=b: a @ b, 5)
        best = max(best, 2 * m * k * n / seconds / 1e9)
    return best


def attended_pairs(window: int | None, tokens: int) -> int:
    """Query-key pairs of a causal layer whose queries see at most ``window`` keys."""
    if window is None or window >= tokens:
        return tokens * (tokens + 1) // 2
    return window * (window + 1) // 2 + (tokens - window) * window


def prefill_flops(config, tokens: int) -> float:
    a = config.arch
    pairs = sum(attended_pairs(config.native_mask(i).window, tokens) for i in range(a.n_layers))
    return 2 * config.params_per_token * tokens + 2 * 2 * pairs * a.head_dim * a.n_heads


def bench_prefill(model, peak: float) -> list[dict]:
    from ctxlab.core.model.masks import AttentionMask

    runtime = model.runtime
    ids = np.random.default_rng(1).integers(100, model.config.arch.vocab_size, max(PREFILL_LENGTHS))
    rows = []
    for tokens in PREFILL_LENGTHS:
        def run(tokens=tokens):
            runtime.forward(ids[:tokens], runtime.new_cache(tokens), outputs_at=None,
                            mask=AttentionMask.model_native())

        seconds = best_of(run, 3)
        gflops = prefill_flops(model.config, tokens) / seconds / 1e9
        rows.append({"tokens": tokens, "seconds": round(seconds, 3),
                     "tokens_per_s": round(tokens / seconds, 1), "gflops": round(gflops, 1),
                     "percent_of_peak": round(100 * gflops / peak, 1)})
    return rows


def grid_prompts(model) -> list[np.ndarray]:
    """The token ids of the default grid's trials for the first bundled needle, and the
    template + needle-free haystack they all start from (the last entry)."""
    from ctxlab.core.probes.context import build_prompt
    from ctxlab.core.probes.needles import Haystack, load_haystack, load_needles

    needle = load_needles()[0]
    hay = Haystack(load_haystack(), model.tokenizer, max(GRID_LENGTHS))
    documents = [hay.at_depth(needle.fact, d, n) for n in GRID_LENGTHS for d in GRID_DEPTHS]
    documents += [hay.filler(n) for n in GRID_LENGTHS]
    prompts = [build_prompt(model, doc, needle.question).ids for doc in documents]
    head = build_prompt(model, "", needle.question).head_ids
    return [*prompts, np.concatenate([head, hay.spans.ids[: max(GRID_LENGTHS)]])]


def bench_decode(model) -> dict:
    """Decode tokens/s of the grid's trials, one by one against all in lockstep."""
    from ctxlab.core.model.batch import Lane, greedy_batch
    from ctxlab.core.model.generate import greedy
    from ctxlab.core.model.masks import AttentionMask
    from ctxlab.core.model.prefixes import PrefixCache, common_prefix

    runtime, mask = model.runtime, AttentionMask.model_native()
    *prompts, primed = grid_prompts(model)
    prefixes = PrefixCache(runtime)
    base, _ = prefixes.fill(primed, mask, keep=True)
    alone, lanes, hidden, seconds = [], [], [], 0.0
    for ids in prompts:  # prefill (shared, untimed), then this trial's decode alone (timed)
        cache, last = prefixes.fill(ids, mask, rows_from=len(ids) - 1, extra=DECODE_TOKENS + 8)
        shared = min(common_prefix(primed, ids), len(ids) - 1)
        lanes.append(Lane.from_cache(cache, shared, len(ids), DECODE_TOKENS))
        hidden.append(last)
        start = time.perf_counter()
        alone.append(greedy(runtime, cache, last, mask=mask, max_new_tokens=DECODE_TOKENS,
                            lookup=ids).ids)
        seconds += time.perf_counter() - start
    start = time.perf_counter()
    together = greedy_batch(runtime, base, lanes, np.vstack(hidden), mask=mask,
                            max_new_tokens=DECODE_TOKENS)
    batched = time.perf_counter() - start
    tokens = sum(len(ids) for ids in alone)

    def rate(spent: float) -> dict:
        return {"seconds": round(spent, 2), "tokens_per_s": round(tokens / spent, 1)}

    return {"trials": len(prompts), "tokens": tokens, "one_by_one": rate(seconds),
            "batched": rate(batched),
            "same_tokens": sum(g.ids == ids for g, ids in zip(together, alone, strict=True))}


def bench_llama_cpp(model, name: str) -> dict | None:
    """llama.cpp's single-stream greedy decode on the same GGUF, through ``llama-cpp-python``
    (benchmark only; None when it is not installed or the model is not a bundled GGUF): one
    grid trial per length (needle at mid depth), prompt evaluated untimed, then
    ``DECODE_TOKENS`` tokens one by one, timed; on 1 thread and on every core, the better
    kept (its threads wait for each other when other processes share the cores)."""
    try:
        from llama_cpp import Llama
    except ImportError:
        return None
    from ctxlab.core import assets
    from ctxlab.core.model.loader import bundled

    entry = bundled(name)
    if entry is None:
        return None
    prompts = grid_prompts(model)[2 : len(GRID_DEPTHS) * len(GRID_LENGTHS) : len(GRID_DEPTHS)]
    best: dict | None = None
    for threads in sorted({1, os.cpu_count() or 1}):
        llm = Llama(model_path=str(assets.asset_path(entry.asset)), verbose=False,
                    n_ctx=max(GRID_LENGTHS) + 512, n_threads=threads, logits_all=False)
        seconds = 0.0
        for ids in prompts:
            llm.reset()
            llm.eval([int(t) for t in ids])
            start = time.perf_counter()
            for _ in range(DECODE_TOKENS):
                llm.eval([llm.sample(top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0)])
            seconds += time.perf_counter() - start
        tokens = DECODE_TOKENS * len(prompts)
        row = {"trials": len(prompts), "tokens": tokens, "seconds": round(seconds, 2),
               "tokens_per_s": round(tokens / seconds, 1), "threads": threads}
        if best is None or row["tokens_per_s"] > best["tokens_per_s"]:
            best = row
        del llm
    return best


def bench_grid(model, strategies: list[str], window: int) -> dict:
    from ctxlab.core.probes.context import Strategy
    from ctxlab.core.probes.needles import load_haystack, load_needles
    from ctxlab.core.probes.recall import GridSpec, run_needle_grid

    spec = GridSpec(depths=GRID_DEPTHS, lengths=GRID_LENGTHS, strategies=tuple(
        Strategy(s, None if s in ("full", "native") else window) for s in strategies))
    start = time.perf_counter()
    per_strategy: dict[str, float] = {}
    clock = [start]

    def lap(event) -> None:  # time spent on each strategy's cells (they run in order)
        now = time.perf_counter()
        label = event.trial.strategy
        per_strategy[label] = per_strategy.get(label, 0.0) + now - clock[0]
        clock[0] = now

    result = run_needle_grid(model, spec, load_needles()[:1], load_haystack(), progress=lap)
    seconds = time.perf_counter() - start
    return {"cells": len(result.trials), "strategies": [s.label for s in spec.strategies],
            "seconds": round(seconds, 1),
            "seconds_per_strategy": {k: round(v, 1) for k, v in per_strategy.items()},
            "recall": {s.label: round(result.rate(s.label), 3) for s in spec.strategies}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="smollm2,gemma3-270m",
                        help="bundled models (or .gguf paths), comma-separated")
    parser.add_argument("--strategies", default="full",
                        help="grid strategies, comma-separated: full, native, truncate, "
                        "sliding, sinks")
    parser.add_argument("--window", type=int, default=512)
    parser.add_argument("--no-grid", action="store_true", help="no needle grid")
    parser.add_argument("--no-decode", action="store_true", help="no decode comparison")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    from ctxlab.core.model.loader import load_model

    figures: dict = {"models": {}}
    peak = matmul_peak()
    for name in args.models.split(","):
        started = time.perf_counter()
        model = load_model(name)
        load_seconds = time.perf_counter() - started
        prefill = bench_prefill(model, peak)
        # other processes share the CPU: take the better of a peak measured before and after
        after = matmul_peak()
        if after > peak:
            peak = after
        for row in prefill:
            row["percent_of_peak"] = round(100 * row["gflops"] / peak, 1)
        print(f"{model.name}: load {load_seconds:.1f} s; numpy float32 matmul peak: "
              f"{peak:.1f} GFLOP/s")
        for row in prefill:
            print(f"  prefill {row['tokens']:>5} tokens: {row['seconds']:6.2f} s  "
                  f"{row['tokens_per_s']:7.1f} tok/s  {row['gflops']:6.1f} GFLOP/s  "
                  f"{row['percent_of_peak']:5.1f} % of peak")
        figures["models"][name] = {"load_seconds": round(load_seconds, 1), "prefill": prefill}
        if not args.no_decode:
            decode = figures["models"][name]["decode"] = bench_decode(model)
            print(f"  decode of {decode['trials']} grid trials x {DECODE_TOKENS} tokens: "
                  f"one by one {decode['one_by_one']['tokens_per_s']:.1f} tok/s, in lockstep "
                  f"{decode['batched']['tokens_per_s']:.1f} tok/s; same tokens in "
                  f"{decode['same_tokens']}/{decode['trials']} trials")
            reference = bench_llama_cpp(model, name)
            if reference is not None:
                decode["llama_cpp"] = reference
                print(f"  llama.cpp single-stream decode, same GGUF, {reference['trials']} grid "
                      f"trials x {DECODE_TOKENS} tokens on {reference['threads']} threads: "
                      f"{reference['tokens_per_s']:.1f} tok/s")
        if not args.no_grid and "grid" not in figures:
            grid = bench_grid(model, args.strategies.split(","), args.window)
            print(f"  needle grid {len(GRID_DEPTHS)} depths x {len(GRID_LENGTHS)} lengths x "
                  f"{len(grid['strategies'])} strategies ({grid['cells']} cells): "
                  f"{grid['seconds']:.1f} s {grid['seconds_per_strategy']}; "
                  f"recall {grid['recall']}")
            figures["grid"] = {"model": name, **grid}
    figures["matmul_peak_gflops"] = round(peak, 1)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=1)


if __name__ == "__main__":
    main()
