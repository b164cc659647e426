"""Hostile pastes: special-token text, ZWJ emoji, CJK, RTL and NUL must not crash or alter text."""

from __future__ import annotations

from textual.events import Paste

from ctxlab.tui.widgets.token_view import TokenView

HOSTILE = ("<|endoftext|> family: 👨\u200d👩\u200d👧\u200d👦 flag: 🏳️\u200d🌈 "
           "東京都 مرحبا \u202eevil\u202c nul:\x00 end")


async def test_hostile_paste_keeps_the_document_exact(make_app) -> None:
    app = make_app("")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.settled()
        app.post_message(Paste(HOSTILE))
        await app.settled()
        assert app.session.document.text == HOSTILE
        view = app.query_one("#token-view", TokenView)
        spans = view.spans
        assert spans.text == HOSTILE and not spans.special.any()  # pasted text is never special
        assert b"".join(app_tokenizer_bytes(spans)) == HOSTILE.encode("utf-8")
        drawn = "".join(view.render_line(y).text for y in range(3))
        assert "\ufffd" not in drawn and "\x00" not in drawn and "\u202e" not in drawn
        assert "␀" in drawn and "東京都" in drawn
        for _ in range(len(spans)):  # the inspector can describe every token, split ones too
            await pilot.press("right")
        assert view.cursor == len(spans) - 1
        await pilot.press("w", "t")
        await app.settled()
        assert app.session.document.text == HOSTILE


def app_tokenizer_bytes(spans):
    from ctxlab.core.tokenizers import get_tokenizer

    tok = get_tokenizer("o200k_base")
    return [tok.token_bytes(int(i)) for i in spans.ids]
