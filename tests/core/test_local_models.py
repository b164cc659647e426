"""The local models a user can pick: names, the tokenizer that splits as each model does,
what a path may be, and the shape read from a GGUF without its weights."""

from __future__ import annotations

import pytest
from asset_guard import require_asset

from ctxlab.core.local_models import bundled_choices, model_choice, own_window
from ctxlab.core.model.weights import ModelError


def test_bundled_models_come_with_their_own_registered_tokenizers():
    choices = {c.name: c for c in bundled_choices()}
    assert list(choices) == ["smollm2", "gemma3-270m"]  # the default first
    assert choices["smollm2"].tokenizer == "smollm2"
    assert choices["gemma3-270m"].tokenizer == "gemma3"
    assert choices["gemma3-270m"].label == "Gemma 3 270M"
    assert "Gemma Terms of Use" in choices["gemma3-270m"].terms and not choices["smollm2"].terms
    assert model_choice("gemma-3-270m") == choices["gemma3-270m"]  # an alias
    assert model_choice("SmolLM2-135M") == choices["smollm2"]


def test_a_path_is_a_choice_only_if_it_can_be_a_model(tmp_path):
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    choice = model_choice(str(gguf))
    assert (choice.name, choice.tokenizer, choice.asset) == (str(gguf), str(gguf), None)
    assert choice.downloaded() and choice.title == "mine.gguf (GGUF file)"
    (tmp_path / "config.json").write_text("{}")
    assert model_choice(str(tmp_path)).title.endswith("(checkpoint)")
    for wrong in ("gpt-9", str(tmp_path / "missing.gguf"), str(tmp_path / "config.json")):
        with pytest.raises(ModelError, match="use smollm2 or gemma3-270m"):
            model_choice(wrong)


def test_the_own_window_is_read_from_the_gguf_metadata():
    require_asset("gemma3-270m-q4_k_m")
    require_asset("smollm2-135m-instruct-q4_1")
    gemma, smollm2 = (model_choice(name) for name in ("gemma3-270m", "smollm2"))
    assert own_window(gemma) == 512 and own_window(smollm2) is None
