"""The real Gemma 3 270M (base) GGUF: its tokenizer, its layer pattern, and a first answer.

One session-scoped load (dequantizing takes seconds). The logit comparison
with transformers on these weights and the greedy agreement with llama.cpp
are in ``benchmarks/gemma_reference.py``; the random-init comparison is in
``test_model_gemma3_reference.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from asset_guard import require_asset

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.probes.context import Strategy, ask


@pytest.fixture(scope="session")
def gemma():
    require_asset("gemma3-270m-q4_k_m")
    from ctxlab.core.model.loader import load_model

    return load_model("gemma3-270m", fetch=False)


def test_the_file_gives_gemma3s_shape_and_the_published_constants(gemma):
    cfg = gemma.config
    assert (cfg.family, cfg.arch.n_layers, cfg.arch.d_model, cfg.arch.vocab_size) == (
        "gemma3", 18, 640, 262_144)
    assert (cfg.arch.n_heads, cfg.arch.n_kv_heads, cfg.arch.head_dim) == (4, 1, 256)
    assert (cfg.local_window, cfg.rope_theta, cfg.local_rope_theta) == (512, 1e6, 1e4)
    assert [i for i in range(18) if not cfg.is_local(i)] == [5, 11, 17]
    assert gemma.prefix_ids == (2,)  # <bos>


def test_tokenizer_ids_match_gemmas_own(gemma):
    # ids from transformers' GemmaTokenizer on the same file (no prefix space, "▁▁" pieces)
    tok = gemma.tokenizer
    assert list(tok.encode("Hello world").ids) == [9259, 1902]
    assert list(tok.encode("The dragon was red.\nQuestion:").ids) == [
        818, 25800, 691, 2604, 236761, 107, 14977, 236787]
    text = "  two spaces, naïve café 👩‍💻 12345"
    spans = tok.encode(text)
    assert tok.decode(spans.ids) == text
    assert spans.char_start[0] == 0 and spans.char_end[-1] == len(text)


def test_the_base_model_continues_a_count_and_answers_from_context(gemma):
    runtime, native = gemma.runtime, AttentionMask.model_native()
    ids = [*gemma.prefix_ids, *gemma.tokenizer.encode("1, 2, 3, 4, 5, 6,").ids]
    cache = runtime.new_cache(len(ids) + 4)
    hidden = runtime.forward(ids, cache, mask=native)
    out = []
    for _ in range(3):  # digits are single tokens after a "▁" piece
        out.append(int(np.argmax(runtime.logits(hidden)[-1])))
        hidden = runtime.forward(out[-1:], cache, mask=native)
    assert gemma.tokenizer.decode(out).startswith(" 7"), gemma.tokenizer.decode(out)
    story = "The innkeeper of the Blue Boar was a woman named Orla."
    reply = ask(gemma, story, "What was the innkeeper's name?", Strategy("native"),
                expected="Orla", max_new_tokens=8)
    assert reply.recalled, reply.text
