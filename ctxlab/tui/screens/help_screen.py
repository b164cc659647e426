"""The help screen: what each tab shows and every key (with its binding id for the keymap)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ctxlab.core.strategies import STRATEGIES

INTRO = """\
# ctxlab

**Tokens** shows the document split by the current tokenizer. Colours mark token
boundaries; a pink underlined character is split across several byte tokens; gold marks
special tokens. The inspector shows the token under the cursor or the mouse.
Press **e** to edit the text (Esc returns), or paste anywhere to insert at the cursor.

**Compare** runs several tokenizers on the same text; the panes scroll together, so a
colour change in one pane and not the next is a boundary they disagree on.

**Windows** gauges how full each model's context window is, counted with that model's
tokenizer (*exact*) or a named stand-in (*approx*). Reserved output counts as used.

**Truncate** cuts the document to a budget; greyed, struck-through tokens are dropped.

**Recall** (local model) hides a fact in filler text at each depth of each length, asks
the local model for it under each strategy of the form (listed below; window W counts the
whole prompt) and maps the outcome: ✓/✗ and log P(answer). It also asks with no fact in the
text: a recall the model guesses anyway is marked ✓* and does not count. **r** runs or
cancels; arrows pick a cell, which shows the model's answer, its answer with no fact, and the
document it was given, with what it could not see greyed and the needle under the cursor.

**M** picks the local model that recall and the surprisal overlay run: SmolLM2-135M (the
default) or Gemma 3 270M, whose own attention (*native*: 512-token local layers, every sixth
layer global) the Recall tab then offers; `ctxlab --model NAME` starts with one.

**Size** prices a model: weights at fp16/int8/int4, the KV cache for a window (exact for a
known shape, else an estimate) and Chinchilla-style training tokens and FLOPs (estimates).

**s** (Surprisal) scores the document with the local model, with full context and under the
truncate tab's budget as a sliding window (sinks + recent if that is the strategy), and
colours each of the model's tokens by how much its loss rose: red was forgotten. The view
shows the model's own tokens meanwhile; the inspector adds the losses. **s** again restores it.

Keys can be changed in `~/.config/ctxlab/config.toml` under `[keymap]`, by binding id.
"""


def strategies_table() -> str:
    rows = ["| strategy | shown as | what happens | also spelled |", "|---|---|---|---|"]
    for record in STRATEGIES.values():
        rows.append(f"| `{record.name}` | {record.label} | {record.help} "
                    f"| {', '.join(record.aliases)} |")
    return "\n".join(rows)


def bindings_table(bindings: Iterable[Binding], keymap: Mapping[str, str]) -> str:
    rows = ["| key | action | binding id |", "|---|---|---|"]
    for binding in bindings:
        if binding.id:
            keys = keymap.get(binding.id, binding.key)
            rows.append(f"| `{key_names(keys)}` | {binding.description} | `{binding.id}` |")
    return "\n".join(rows)


def key_names(keys: str) -> str:
    """``full_stop,comma,ctrl+s`` as a user types them: ``. , ctrl+s``."""
    def name(key: str) -> str:
        *modifiers, last = key.strip().split("+")
        return "+".join([*modifiers, format_key(last)])

    return " ".join(name(key) for key in keys.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close", id="ctxlab.help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; height: 90%; border: thick $accent;
                                  background: $panel; }
    """

    def __init__(self, bindings: Iterable[Binding], keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.markdown = (INTRO + "\n## Strategies\n\n" + strategies_table()
                         + "\n\n## Keys\n\n" + bindings_table(bindings, keymap))

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self.markdown)
