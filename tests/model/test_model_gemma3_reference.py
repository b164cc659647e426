"""Gemma 3 in ctxlab's numpy runtime against transformers' ``Gemma3ForCausalLM``.

A small random-weight model with Gemma 3's structure (local sliding-window
layers 5:1 with global ones, two RoPE bases, QK-norm, GeGLU, pre- and
post-norms, RMSNorm as 1 + w, embeddings x sqrt(d)) is saved as safetensors,
read by ctxlab's own loader, and must give the same logits within 1e-3.
Prompts are longer than the local window so the local layers really slide.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import Gemma3ForCausalLM, Gemma3TextConfig

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import Transformer
from ctxlab.core.model.safetensors_weights import load_checkpoint

TOLERANCE = 1e-3
WINDOW = 24
SHAPE = dict(vocab_size=131, hidden_size=64, intermediate_size=96, num_hidden_layers=7,
             num_attention_heads=4, num_key_value_heads=1, head_dim=32,
             max_position_embeddings=512, sliding_window=WINDOW, query_pre_attn_scalar=32,
             rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1e6},
                              "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}})
NATIVE = AttentionMask.model_native()


def _randomise_norms(model: torch.nn.Module) -> None:
    """Gemma initialises norm weights to 0 (a factor of 1): perturb them so (1 + w) is tested."""
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.copy_(0.3 * torch.randn(param.shape, generator=generator))


@pytest.fixture(scope="module")
def gemma(tmp_path_factory):
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(Gemma3TextConfig(**SHAPE)).eval()
    _randomise_norms(model)
    path = tmp_path_factory.mktemp("gemma3")
    model.save_pretrained(path, safe_serialization=True)
    return model, Transformer(load_checkpoint(path))


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    return np.random.default_rng(0).integers(0, SHAPE["vocab_size"], 120)


def _ours(runtime: Transformer, ids: np.ndarray, mask: AttentionMask = NATIVE) -> np.ndarray:
    cache = runtime.new_cache(len(ids))
    return runtime.logits(runtime.forward(ids, cache, mask=mask, outputs_at=slice(None)))


def _theirs(model: torch.nn.Module, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(ids)[None]).logits[0].numpy()


def test_config_reads_the_local_and_global_pattern(gemma):
    _, runtime = gemma
    cfg = runtime.config
    assert [cfg.is_local(i) for i in range(7)] == [True] * 5 + [False, True]
    assert (cfg.local_window, cfg.rope_theta, cfg.local_rope_theta) == (WINDOW, 1e6, 1e4)
    assert runtime.weights.embed_scale == pytest.approx(8.0)  # sqrt(64)


def test_native_attention_matches_transformers(gemma, ids):
    model, runtime = gemma
    theirs = _theirs(model, ids)
    assert np.abs(_ours(runtime, ids) - theirs).max() <= TOLERANCE
    # the local window matters: full attention in every layer differs past it
    full = _ours(runtime, ids, AttentionMask.causal())
    assert np.abs(full[WINDOW + 5 :] - theirs[WINDOW + 5 :]).max() > 1e-2
    assert np.abs(full[:WINDOW] - theirs[:WINDOW]).max() <= TOLERANCE


def test_decoding_with_a_cache_equals_one_pass(gemma, ids):
    _, runtime = gemma
    whole = _ours(runtime, ids[:60])
    cache = runtime.new_cache(8)
    rows = [runtime.logits(runtime.forward(ids[:40], cache, mask=NATIVE, outputs_at=slice(None)))]
    rows += [runtime.logits(runtime.forward([t], cache, mask=NATIVE)) for t in ids[40:60]]
    assert np.abs(np.vstack(rows) - whole).max() <= TOLERANCE
