"""Command palette entries for every action: tokenizer, model, window, strategy, sample, probes,
export."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ctxlab.core.local_models import bundled_choices
from ctxlab.core.samples import list_samples
from ctxlab.core.strategies import truncations
from ctxlab.core.tokenizers import specs
from ctxlab.tui.tabs import TABS

if TYPE_CHECKING:
    from ctxlab.tui.app import CtxlabApp

Command = tuple[str, str, Callable[[], object]]  # title, help, callback


def palette_commands(app: CtxlabApp) -> list[Command]:
    """Every palette entry, built from the registry, the samples and the loaded windows."""
    screen = app.main
    commands: list[Command] = [
        ("Open file or sample…", "pick a sample or a file to tokenize", app.action_open),
        ("Save text…", "write the document's text to a file", app.action_save),
        ("Export token view as SVG", "a screenshot of the app", partial(app.action_export, "svg")),
        ("Export token view as HTML", "every token as a coloured span",
         partial(app.action_export, "html")),
        ("Edit / view tokens", "switch between typing and the token view",
         screen.action_toggle_edit),
        ("Toggle whitespace glyphs", "show spaces, tabs and newlines",
         screen.action_toggle_whitespace),
        ("Toggle colours: alternate / by id", "how token backgrounds are chosen",
         screen.action_toggle_colours),
        ("Toggle special tokens", "parse <|endoftext|> etc. as control tokens",
         screen.action_toggle_special),
        ("Compare: choose tokenizers…", "pick the tokenizers shown side by side",
         screen.action_pick_compare),
        ("Surprisal overlay (toggle)", "colour tokens by the loss the truncation window costs "
         "them (local model)", screen.action_toggle_surprisal),
        ("Recall: run / cancel the needle grid", "hide a fact, ask the local model for it",
         app.run_recall),
        ("Help", "keys and what the screens show", app.action_help),
    ]
    for tab in TABS:
        commands.append((f"Show {tab.title}", f"switch to the {tab.title} tab",
                         partial(app.show_tab, tab.id)))
    for name, spec in specs().items():
        commands.append((f"Tokenizer: {name}", spec.description, partial(app.set_tokenizer, name)))
    commands += model_commands(app)
    for record in truncations():
        commands.append((f"Truncate: {record.label}", record.help,
                         partial(app.set_truncation, strategy=record.name)))
    for window in app.windows:
        budget = window.context - window.default_reserve
        commands.append((f"Window: {window.name} ({window.context:,})",
                         f"truncate to the {budget:,} tokens it leaves for the prompt",
                         partial(app.fit_window, window.name)))
    for sample in list_samples():
        commands.append((f"Sample: {sample.name}", sample.title,
                         partial(app.open_sample, sample.name)))
    return commands


def model_commands(app: CtxlabApp) -> list[Command]:
    """One entry per local model (the bundled ones, and a path given with ``--model``); the
    palette lists them and ``M`` shows them alone."""
    current = app.session.model
    choices = {c.name: c for c in bundled_choices()} | {current.name: current}
    commands: list[Command] = []
    for choice in choices.values():
        state = ("in use" if choice == current else "downloaded" if choice.downloaded()
                 else f"fetched once on first use, {choice.size_mb or 0:,.0f} MB")
        commands.append((f"Model: {choice.name}", f"{choice.title} · {state}",
                         partial(app.set_model, choice.name)))
    return commands


class CtxlabCommands(Provider):
    async def discover(self) -> Hits:
        for title, help_text, callback in palette_commands(cast("CtxlabApp", self.app)):
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in palette_commands(cast("CtxlabApp", self.app)):
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
