"""User and model text is shown as text, never parsed as console markup (a `[` token crashed)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Static

from ctxlab.core.local_models import model_choice
from ctxlab.core.probes.needles import Needle
from ctxlab.core.probes.recall import Trial
from ctxlab.core.samples import list_samples
from ctxlab.core.tokenizers import get_tokenizer, specs
from ctxlab.tui.glyphs import printable
from ctxlab.tui.recall_job import RecallRun
from ctxlab.tui.widgets.inspector import Inspector
from ctxlab.tui.widgets.recall_panel import answer_content
from ctxlab.tui.widgets.token_view import TokenView

SIZE = (120, 40)
HOSTILE = ["[", "[\n", "[/dim]", "[b]bold", "a[/]b", "[@click=app.quit]x[/]", "\\[x]", "\\",
           "[not downloaded]", "\x1b[31mred\x1b[0m", "\x00\x07\x08\r\x0c", "x = [\n 1,\n]\n"]
MARKUPISH = st.text(st.sampled_from("[]/\\@=b dim#\n\t\x1b\x00\x0c\u2028é🐉ab"), max_size=40)


def shown(widget: Static) -> str:
    return widget.visual.plain


async def test_the_cursor_on_a_bracket_newline_token_keeps_the_app_running(make_app) -> None:
    """The issue's repro: `x = [\\n 1,\\n]\\n`, right three times, was a MarkupError."""
    app = make_app("x = [\n 1,\n]\n")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("right", "right", "right")
        await app.settled()
        inspector = app.query_one(Inspector)
        assert inspector.fact("text") == repr(" [\n")
        assert repr(" [\n") in shown(inspector)


async def test_every_token_of_every_sample_with_every_tokenizer_can_be_inspected(make_app) -> None:
    """Each distinct token of each bundled sample, under each tokenizer, shows its own text."""
    app = make_app("")
    async with app.run_test(size=SIZE):
        await app.settled()
        inspector = app.query_one(Inspector)
        for sample in list_samples():
            text = sample.path.read_text(encoding="utf-8")
            for name in specs():
                spans = get_tokenizer(name, fetch=False).encode(text)
                seen: set[tuple[int, str]] = set()
                for index in range(len(spans)):
                    key = (int(spans.ids[index]), spans.token_text(index))
                    if key in seen:
                        continue
                    seen.add(key)
                    inspector.show_token(spans, name, index)
                    assert printable(repr(key[1])) in shown(inspector), (sample.name, name, key)


async def test_arbitrary_text_is_inspected_as_text(make_app) -> None:
    app = make_app("")
    async with app.run_test(size=SIZE):
        await app.settled()
        inspector = app.query_one(Inspector)
        answer = app.query_one("#recall-answer", Static)
        tokenizer = get_tokenizer("o200k_base")

        @settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(MARKUPISH)
        def inspect_everything(text: str) -> None:
            spans = tokenizer.encode(text)
            for index in range(len(spans)):
                inspector.show_token(spans, "o200k_base", index)
                assert printable(repr(spans.token_text(index))) in shown(inspector)
            answer.update(answer_content(*recall_cell(text)))
            assert printable(repr(text)) in shown(answer)
            assert f"Q: {printable(text)} (expected {printable(text)})" in shown(answer)
            assert f"with no fact in the text: {printable(repr(text))} (" in shown(answer)

        inspect_everything()


def recall_cell(text: str) -> tuple[RecallRun, list[Trial], list[Trial]]:
    """A recall cell whose needle, strategy, model answer and no-fact answer are all ``text``."""
    needle = Needle("n", fact=text, question=text, answer=text)
    trial = Trial(needle="n", strategy=text, recalled=False, answer=text, answer_logprob=-1.5,
                  prompt_tokens=10, needle_slot=-1, needle_seen=False, depth=0.5, length=256)
    guess = replace(trial, depth=None, baseline=True, recalled=True)  # shown whole
    run = RecallRun(spec=None, needles=(needle,), haystack=None, model=None,  # type: ignore[arg-type]
                    choice=model_choice("smollm2"))
    return run, [trial], [guess]


async def test_notifications_status_and_narration_show_hostile_text(make_app) -> None:
    """A document named with markup, notices about it and lesson text all stay text."""
    app = make_app("")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.settled()
        for text in HOSTILE:
            app.clear_notifications()
            app.notify(text, title=text)
            app.narrate(f"# {text}\n\n{text}")
            app.set_document(text, name=text)
            app.move_cursor(0)
            await app.settled()
            await pilot.pause()
            assert printable(text) in shown(app.query_one("#status", Static))
            toasts = " ".join(toast.render().plain for toast in app.screen.query("Toast"))
            assert printable(text, lines=True).strip() in toasts
            assert not text.isprintable() or text in toasts  # printable text is shown as is
            assert app.query_one("#token-view", TokenView).spans.text == text
        await pilot.press("2")  # the compare tab's table and pane titles
        await app.settled()
        assert app.session.document.text == HOSTILE[-1]


async def test_a_split_flag_names_its_own_character_and_pieces_are_escaped_once(make_app) -> None:
    """" 🇯" once showed U+0020, "1 tokens share it" and the piece '\\\\xf0\\\\x9f\\\\x87'."""
    app = make_app("flag 🇯🇵 ok")
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("right", "right")  # " 🇯": a space and 3 of the J's 4 bytes
        inspector = app.query_one(Inspector)
        assert inspector.fact("text") == repr(" 🇯")
        assert inspector.fact("character") == "U+1F1EF REGIONAL INDICATOR SYMBOL LETTER J"
        assert inspector.fact("kind") == "part of one character's bytes (2 tokens share it)"
        assert inspector.fact("piece") == r"' \xf0\x9f\x87'"
