"""``ctxlab lesson --model``: which steps another model runs, and how it reads "full"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tiny_models import tiny_runtime

from ctxlab.commands.errors import CtxlabError
from ctxlab.commands.lesson import _lesson_model
from ctxlab.core.lessons import model_steps
from ctxlab.core.lessons.loader import load_lesson
from ctxlab.core.lessons.runner import models_used, runs_default_model
from ctxlab.core.probes.context import Strategy


def test_the_choice_runs_only_the_steps_that_name_no_model():
    dragon, bigger = load_lesson("dragon-colour"), load_lesson("bigger-brain")
    assert models_used(dragon) == [None]
    assert models_used(dragon, "gemma3-270m") == ["gemma3-270m"]
    assert runs_default_model(dragon) and not runs_default_model(bigger)
    assert models_used(bigger, "gemma3-270m") == models_used(bigger) == [
        "gemma3-270m", "smollm2"]


def test_the_pool_loads_the_choice_for_unnamed_steps(monkeypatch):
    loaded = []
    monkeypatch.setattr(model_steps, "load_local_model",
                        lambda name: loaded.append(name) or SimpleNamespace(runtime=None))
    pool = model_steps.ModelPool("gemma3-270m")
    assert pool.model(None) is pool.model("gemma3-270m")  # one load serves both
    pool.model("smollm2")
    assert loaded == ["gemma3-270m", "smollm2"]


@pytest.mark.parametrize(("window", "named", "expected"), [
    (None, None, "full"),  # SmolLM2-shaped: full attention is how it was trained
    (8, None, "native"),  # Gemma-shaped, run by --model: its own local and global layers
    (8, "gemma3-270m", "full"),  # a step that names Gemma and asks for full gets full
])
def test_full_context_means_as_the_model_was_trained(window, named, expected):
    model = SimpleNamespace(runtime=tiny_runtime(gemma_window=window))
    step = SimpleNamespace(get=lambda key, default=None: named if key == "model" else default)
    assert model_steps._as_trained(Strategy("full"), step, model).kind == expected
    assert model_steps._as_trained(Strategy("sliding", 4), step, model).kind == "sliding"


def test_the_default_model_and_a_lesson_that_names_its_models_change_nothing(capsys):
    assert _lesson_model(None, load_lesson("dragon-colour"), checked=False) is None
    assert _lesson_model("smollm2", load_lesson("dragon-colour"), checked=True) is None
    assert _lesson_model("gemma3-270m", load_lesson("bigger-brain"), checked=True) is None
    assert "names the model of every step; --model changes nothing" in capsys.readouterr().err
    assert _lesson_model("gemma3", load_lesson("dragon-colour"), checked=False) == "gemma3-270m"
    with pytest.raises(CtxlabError, match="drop --model"):
        _lesson_model("gemma3-270m", load_lesson("dragon-colour"), checked=True)
