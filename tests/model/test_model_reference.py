"""ctxlab's numpy runtime against an independent implementation: transformers + torch.

Small random-weight models are saved as safetensors, loaded by ctxlab's own
reader, and must give the same logits (max abs diff <= 1e-4) under full,
sliding-window and sinks + recent attention.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
)

from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import CAUSAL, Transformer
from ctxlab.core.model.safetensors_weights import load_checkpoint
from ctxlab.core.model.weights import ModelError

TOLERANCE = 1e-4
SHAPE = dict(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)


def _save(model: torch.nn.Module, path) -> Transformer:
    model.save_pretrained(path, safe_serialization=True)
    return Transformer(load_checkpoint(path))


def _ours(runtime: Transformer, ids: np.ndarray, mask: AttentionMask = CAUSAL) -> np.ndarray:
    cache = runtime.new_cache(len(ids))
    return runtime.logits(runtime.forward(ids, cache, mask=mask, outputs_at=slice(None)))


def _theirs(model: torch.nn.Module, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    with torch.no_grad():
        kwargs = {} if mask is None else {"attention_mask": torch.from_numpy(mask)[None, None]}
        return model(torch.from_numpy(ids)[None], **kwargs).logits[0].numpy()


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    return np.random.default_rng(0).integers(0, SHAPE["vocab_size"], 300)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    torch.manual_seed(0)
    config = LlamaConfig(**SHAPE, rope_theta=10000.0, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).eval()
    return model, _save(model, tmp_path_factory.mktemp("llama"))


def test_llama_logits_match_transformers(llama, ids):
    model, runtime = llama
    assert runtime.config.arch.n_kv_heads == 2  # grouped-query attention is exercised
    diff = np.abs(_ours(runtime, ids) - _theirs(model, ids)).max()
    assert diff <= TOLERANCE


def test_tied_head_and_rope_base_are_read_from_the_config(tmp_path, ids):
    torch.manual_seed(1)
    config = LlamaConfig(**SHAPE, rope_theta=100000.0, tie_word_embeddings=True)
    model = LlamaForCausalLM(config).eval()
    runtime = _save(model, tmp_path)
    assert runtime.config.tied_embeddings and runtime.config.rope_theta == 100000.0
    assert np.abs(_ours(runtime, ids[:64]) - _theirs(model, ids[:64])).max() <= TOLERANCE


def test_sliding_window_matches_mistral_swa(llama, tmp_path, ids):
    model, runtime = llama
    window = 37
    mistral = MistralForCausalLM(MistralConfig(**SHAPE, sliding_window=window,
                                               tie_word_embeddings=False)).eval()
    mistral.load_state_dict(model.state_dict())
    ours = _ours(runtime, ids, AttentionMask.sliding(window))
    theirs = _theirs(mistral, ids)
    assert np.abs(ours - theirs).max() <= TOLERANCE
    # and the window matters: past it, logits differ from full attention
    assert np.abs(ours[window + 5 :] - _theirs(model, ids)[window + 5 :]).max() > 1e-2


def test_sinks_mask_matches_an_explicit_4d_mask(llama, ids):
    model, runtime = llama
    mask = AttentionMask.sinks_recent(4, 50)
    ours = _ours(runtime, ids, mask)
    assert np.abs(ours - _theirs(model, ids, mask.dense(len(ids)))).max() <= TOLERANCE


def test_gpt2_logits_match_transformers(tmp_path, ids):
    torch.manual_seed(2)
    config = GPT2Config(vocab_size=97, n_embd=64, n_layer=2, n_head=4, n_positions=512)
    model = GPT2LMHeadModel(config).eval()
    runtime = _save(model, tmp_path)
    assert runtime.config.family == "gpt2"
    assert np.abs(_ours(runtime, ids) - _theirs(model, ids)).max() <= TOLERANCE


def test_kv_cache_decoding_equals_one_pass(llama, ids):
    _, runtime = llama
    mask = AttentionMask.sliding(16)
    whole = _ours(runtime, ids[:40], mask)
    cache = runtime.new_cache(4)  # forces the cache to grow
    rows = [runtime.logits(runtime.forward(ids[:25], cache, mask=mask, outputs_at=slice(None)))]
    rows += [runtime.logits(runtime.forward([t], cache, mask=mask)) for t in ids[25:40]]
    assert np.abs(np.vstack(rows) - whole).max() <= TOLERANCE


def test_forked_cache_continues_like_the_original(llama, ids):
    _, runtime = llama
    base = runtime.new_cache()
    runtime.forward(ids[:30], base, outputs_at=None)
    fork = base.fork(20)
    direct = runtime.new_cache()
    runtime.forward(ids[:20], direct, outputs_at=None)
    a = runtime.logits(runtime.forward(ids[50:60], fork))
    b = runtime.logits(runtime.forward(ids[50:60], direct))
    assert np.abs(a - b).max() <= 1e-5  # same numbers up to BLAS summation order
    assert base.length == 30


def test_unsupported_checkpoint_is_one_clear_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "t5"}')
    (tmp_path / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(ModelError, match="model_type 't5' is not supported"):
        load_checkpoint(tmp_path)
