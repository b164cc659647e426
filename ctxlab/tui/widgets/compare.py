"""Compare: several tokenizers on the same text, as numbers and as panes that scroll together.

Every pane wraps the same text at the same width, so row ``r`` shows the same
characters in each. Colour changes alone make the eye hunt for differences,
so tokens that start at a boundary not every tokenizer shares are underlined
in a bright colour, and a summary line counts the shared boundaries.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Label, Static

from ctxlab.core.boundaries import BoundaryAgreement, agreement
from ctxlab.core.spans import TokenSpans
from ctxlab.core.text_layout import CellMetrics
from ctxlab.tui.glyphs import printable
from ctxlab.tui.widgets.token_view import TokenView

MAX_PANES = 6  # lessons compare five tokenizers side by side
LEGEND = Content.from_markup("[u bold $text-warning]underlined[/]: not shared by all")  # as marked


def compare_row(name: str, spans: TokenSpans, words: int) -> tuple[Text | str, ...]:
    """Counts and ratios for one tokenizer (ratios are per token, except tokens per word)."""
    tokens = len(spans)
    n_bytes = int(spans.byte_end[-1]) if tokens else 0
    chars = len(spans.text)

    def per_token(amount: int) -> str:
        return f"{amount / tokens:.2f}" if tokens else "–"

    return (Text(printable(name)), f"{tokens:,}", per_token(chars), per_token(n_bytes),
            f"{tokens / words:.2f}" if words else "–")


class ComparePanel(Vertical):
    """A table of counts, a line on boundary agreement, and side-by-side token views."""

    DEFAULT_CSS = """
    ComparePanel > DataTable { height: auto; max-height: 8; }
    ComparePanel #compare-agreement { height: auto; padding: 0 1; background: $boost; }
    ComparePanel #compare-panes { height: 1fr; }
    ComparePanel .pane { width: 1fr; border-left: solid $primary-muted; }
    ComparePanel .pane-title { width: 1fr; background: $boost; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual\'s name)
        super().__init__(id=id)
        self.names: list[str] = []
        self.agreement: BoundaryAgreement | None = None
        self._agreed: tuple = ()  # the spans `agreement` was computed from

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("tokenizer", "tokens", "chars/token", "bytes/token", "tokens/word")
        yield table
        yield Static(id="compare-agreement")
        yield Horizontal(id="compare-panes")

    async def set_tokenizers(self, names: list[str]) -> None:
        """Rebuild the panes for ``names`` (at most `MAX_PANES` are drawn)."""
        self.names = list(names)
        panes = self.query_one("#compare-panes", Horizontal)
        await panes.remove_children()
        await panes.mount_all(
            Vertical(Label(Content(printable(name)), classes="pane-title"),
                     TokenView(classes="compare-view"), classes="pane")
            for name in self.names[:MAX_PANES]
        )

    def views(self) -> dict[str, TokenView]:
        return {name: view for name, view in
                zip(self.names, self.query(".compare-view").results(TokenView), strict=False)}

    def show(self, text: str, metrics: CellMetrics, spans: dict[str, TokenSpans],
             words: int) -> None:
        """Fill the table and the panes with whatever tokenizers have finished."""
        table = self.query_one(DataTable)
        table.clear()
        for name in self.names:
            if name in spans:
                table.add_row(*compare_row(name, spans[name], words), key=name)
            else:
                table.add_row(Text(printable(name)), "…", "", "", "", key=name)
        ready = {name: spans[name] for name in self.names if name in spans}
        found = self._agree(ready)
        for (name, view), title in zip(self.views().items(),
                                       self.query(".pane-title").results(Label), strict=False):
            if name in spans:
                view.show(text, metrics, spans[name])
                view.set_marks(marked=found.unshared[name] if found else None)
                title.update(Content(printable(f"{name} · {len(spans[name]):,} tokens")))
        self._show_agreement(found, len(ready))

    def _agree(self, ready: dict[str, TokenSpans]) -> BoundaryAgreement | None:
        """Boundary agreement of the finished tokenizers (kept while their spans stay the same)."""
        key = tuple((name, id(s)) for name, s in ready.items())
        if key != self._agreed:
            self._agreed = key
            self.agreement = agreement(ready) if len(ready) > 1 else None
        return self.agreement

    def _show_agreement(self, found: BoundaryAgreement | None, ready: int) -> None:
        waiting = len(self.names) - ready
        line: str | Content
        if found is None:
            line = ("add a second tokenizer to see where they disagree" if waiting <= 0
                    else "boundaries: waiting for the tokenizers…")
        else:
            pending = f" · {waiting} still tokenizing" if waiting > 0 else ""
            line = Content.assemble(f"{found.summary()}{pending} · ", LEGEND)
        self.query_one("#compare-agreement", Static).update(line)

    def on_token_view_scrolled(self, message: TokenView.Scrolled) -> None:
        """Keep every pane on the row the user scrolled to (the echoes they post change nothing)."""
        for view in self.views().values():
            if view is not message.view and round(view.scroll_y) != message.top_row:
                view.scroll_to(y=message.top_row, animate=False, immediate=True)
