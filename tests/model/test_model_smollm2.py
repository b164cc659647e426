"""SmolLM2-135M-Instruct from its GGUF: metadata, tokenizer, and behaviour a real model must show.

Texts are short so each test takes a few seconds on 2 CPU cores.
"""

from __future__ import annotations

import numpy as np
import pytest
from asset_guard import require_asset

from ctxlab.core.model.loader import DEFAULT_ASSET, load_model
from ctxlab.core.probes.context import Strategy, ask
from ctxlab.core.probes.needles import Haystack, load_haystack, load_needles
from ctxlab.core.probes.surprisal import token_losses
from ctxlab.core.tokenizers import get_tokenizer

RECALL_NEEDLES = ("lighthouse-password", "locker-combination", "bakers-cat", "garden-gate-word")


@pytest.fixture(scope="module")
def model():
    require_asset(DEFAULT_ASSET)
    return load_model(fetch=False)


def test_architecture_comes_from_gguf_metadata(model):
    cfg = model.config
    a = cfg.arch
    assert (a.n_layers, a.d_model, a.n_heads, a.n_kv_heads, a.head_dim) == (30, 576, 9, 3, 64)
    assert (a.context_length, a.vocab_size, cfg.ffn_dim) == (8192, 49152, 1536)
    assert cfg.rope_theta == 100000.0 and cfg.tied_embeddings and model.is_chatml


def test_gguf_tokenizer_splits_digits_and_joins_the_registry(model):
    tok = get_tokenizer("smollm2", fetch=False)
    assert tok.info.family == "gguf"
    spans = tok.encode("Pi is 3.14159!")
    digits = [spans.token_text(i) for i in range(len(spans)) if spans.token_text(i).isdigit()]
    assert digits == list("314159")
    text = "naïve café 東京 🙂\n\n  x"
    assert tok.decode(tok.encode(text).ids) == text
    chat = tok.encode("<|im_start|>user\nhi<|im_end|>", allow_special=True)
    assert chat.ids[0] == 1 and chat.ids[-1] == 2 and chat.special.sum() == 2
    same = "hello world"
    assert model.tokenizer.encode(same).ids.tolist() == tok.encode(same).ids.tolist()


def test_natural_text_is_far_less_surprising_than_shuffled(model):
    ids = model.tokenizer.encode(load_haystack()[:800]).ids
    shuffled = np.random.default_rng(0).permutation(ids)
    natural_ppl = float(np.exp(np.nanmean(token_losses(model, ids))))
    shuffled_ppl = float(np.exp(np.nanmean(token_losses(model, shuffled))))
    assert natural_ppl < 40
    assert shuffled_ppl > 20 * natural_ppl


def test_greedy_answer_is_fluent_and_deterministic(model):
    first = ask(model, "France is a country in Western Europe.", "What is the capital of France?")
    again = ask(model, "France is a country in Western Europe.", "What is the capital of France?")
    assert "Paris" in first.text
    assert first.ids == again.ids


def test_needle_in_the_window_is_recalled_and_truncated_away_is_not(model):
    needles = [n for n in load_needles() if n.id in RECALL_NEEDLES]
    haystack = Haystack(load_haystack(), model.tokenizer, 400)
    kept, dropped = [], []
    for needle in needles:
        truncate = Strategy("truncate", 160)
        late = ask(model, haystack.at_depth(needle.fact, 0.9, 300), needle.question, truncate,
                   expected=needle.answer)
        early = ask(model, haystack.at_depth(needle.fact, 0.1, 300), needle.question, truncate,
                    expected=needle.answer)
        assert needle.fact in late.seen_text and needle.fact not in early.seen_text
        kept.append(late.recalled)
        dropped.append(early.recalled)
    assert np.mean(kept) >= 0.75
    assert not any(dropped)
