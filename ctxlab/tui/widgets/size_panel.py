"""Size: what a model of N parameters costs in memory and training, as `ctxlab size` prints it.

Plain arithmetic on every keystroke (no worker needed). The KV cache is exact
only with a known shape (the bundled SmolLM2-135M's); otherwise it and the
training figures are labelled estimates.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from ctxlab.core.architecture import SMOLLM2_135M
from ctxlab.core.sizing import (
    BYTES_PER_WEIGHT,
    CHINCHILLA_TOKENS_PER_PARAM,
    SizeReport,
    format_bytes,
    format_count,
    parse_count,
    size_report,
)

SHAPES = {"smollm2": SMOLLM2_135M, "unknown": None}
SHAPE_LABELS = (("KV from SmolLM2-135M's shape", "smollm2"),
                ("KV estimated (shape unknown)", "unknown"))


class SizePanel(Vertical):
    DEFAULT_CSS = """
    SizePanel { padding: 1 2; }
    SizePanel #size-form { height: 3; }
    SizePanel #size-form Label { padding: 1 1 0 1; }
    SizePanel #size-params, SizePanel #size-context { width: 14; }
    SizePanel #size-shape { width: 36; }
    SizePanel #size-report { margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.rows: dict[str, tuple[str, str]] = {}  # quantity -> (value, how it is known)

    def compose(self) -> ComposeResult:
        with Horizontal(id="size-form"):
            yield Label("Parameters")
            yield Input("135M", id="size-params", placeholder="135M, 7B, 1.5e9")
            yield Label("Context")
            yield Input("8K", id="size-context", placeholder="8192, 8K, 128K")
            yield Select(SHAPE_LABELS, value="smollm2", allow_blank=False, id="size-shape")
        yield Static(id="size-report")

    def on_mount(self) -> None:
        self.recompute()

    def configure(self, params: str | None = None, context: str | None = None,
                  shape: str | None = None) -> None:
        """Set any input (as a user would type it) and show the new figures."""
        if params is not None:
            self.query_one("#size-params", Input).value = params
        if context is not None:
            self.query_one("#size-context", Input).value = context
        if shape is not None:
            self.query_one("#size-shape", Select).value = shape
        self.recompute()

    @on(Input.Changed)
    @on(Select.Changed)
    def recompute(self) -> None:
        params = self.query_one("#size-params", Input).value
        context = self.query_one("#size-context", Input).value
        shape = SHAPES.get(str(self.query_one("#size-shape", Select).value))
        try:
            report = size_report(parse_count(params), parse_count(context, binary=True), shape)
        except ValueError as exc:
            self.rows = {}
            self.query_one("#size-report", Static).update(Text(str(exc), style="red"))
            return
        self.rows = size_rows(report)
        table = Table("", "value", "how it is known", box=None, header_style="bold dim",
                      padding=(0, 2, 0, 0))
        for quantity, (value, how) in self.rows.items():
            table.add_row(quantity, value, Text(how, style="green" if how.startswith("exact")
                                                else "yellow"))
        self.query_one("#size-report", Static).update(table)


def size_rows(report: SizeReport) -> dict[str, tuple[str, str]]:
    """The report as quantity -> (value, basis); every basis starts "exact" or "estimate"."""
    kv = report.kv_cache
    rows = {}
    for fmt, size in report.weights.items():
        per = BYTES_PER_WEIGHT[fmt]
        scales = "" if fmt == "fp16" else " (+ a few % of scales in a file)"
        rows[f"weights {fmt}"] = (format_bytes(size), f"exact: {per:g} byte{'s' * (per != 1)} "
                                  f"per parameter{scales}")
    kv_how = f"exact, {kv.how}" if kv.exact else kv.how
    rows[f"KV cache, {report.context:,} tokens"] = (format_bytes(kv.bytes), f"{kv_how} (fp16)")
    rows["KV cache per token"] = (format_bytes(kv.bytes_per_token),
                                  "exact" if kv.exact else "estimate")
    rows["training tokens"] = (f"~{format_count(report.training_tokens)}",
                               f"estimate: Chinchilla, {CHINCHILLA_TOKENS_PER_PARAM} per parameter")
    rows["training compute"] = (f"~{report.training_flops:.2g} FLOPs",
                                "estimate: 6 x parameters x tokens")
    return rows
