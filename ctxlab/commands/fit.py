"""``ctxlab fit``: how full each model's context window is for some files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError, friendly_errors
from ctxlab.commands.inputs import read_texts
from ctxlab.commands.progress import ends_on_ctrl_c, status_line

if TYPE_CHECKING:
    from ctxlab.core.windows import Cost, Fill, Window

BIG_TEXT = 1_000_000  # characters: a count long enough to say which tokenizer it is on
BAND_STYLES = {"ok": "green", "warn": "yellow", "danger": "red", "over": "bold white on red"}


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, allow_dash=True))
@click.option("-m", "--model", "models", multiple=True,
              help="Catalogue model id (gpt-4o, anthropic/claude-sonnet-4-5); repeatable.")
@click.option("--window", "sizes", multiple=True, type=click.IntRange(min=1),
              help="A generic window of N tokens; repeatable.")
@click.option("--reserve", type=click.IntRange(min=0),
              help="Output tokens to set aside [default: each model's output limit].")
@click.option("--all", "all_models", is_flag=True, help="Every model in the catalogue.")
@click.option("--arch", type=click.Path(exists=True, path_type=Path),
              help="A config.json or .gguf: add its model, with KV-cache memory for the fill.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@friendly_errors
def command(files, models, sizes, reserve, all_models, arch, fmt) -> None:
    """Show tokens, % of window and headroom of FILES for a set of models.

    Counts use each model's own tokenizer where ctxlab has it (exact), else a
    named stand-in (approx). Windows and output limits come from models.dev.
    """
    from ctxlab.core.catalogue import catalogue_version

    text = "".join(read_texts(files))
    windows = _windows(models, sizes, all_models, arch)
    counts = _counts(text, {w.tokenizer for w in windows}, explicit=bool(models or arch))
    rows = [_row(w, counts[w.tokenizer], reserve) for w in windows]
    if fmt == "json":
        doc = {"catalogue": catalogue_version(), "files": [str(f) for f in files],
               "rows": [r.to_json() for r in rows]}
        click.echo(json.dumps(doc, indent=1))
    else:
        _table(rows, catalogue_version())


@dataclass(frozen=True)
class _Row:
    window: Window
    tokens: int | None  # None when the tokenizer could not be loaded
    fill: Fill | None
    kv_bytes: int | None
    error: str = ""
    cost: Cost | None = None

    def to_json(self) -> dict:
        w, f, c = self.window, self.fill, self.cost
        prices = w.prices
        return {
            "model": w.name, "context": w.context, "output": w.output,
            "input_limit": w.input_limit, "tokenizer": w.tokenizer,
            "exact": w.exact, "count": w.count_label, "note": w.note, "chosen": w.chosen or None,
            "tokens": self.tokens,
            "reserved": f.reserved if f else None, "remaining": f.remaining if f else None,
            "percent": round(f.percent, 2) if f else None, "band": f.band if f else None,
            "kv_cache_bytes": self.kv_bytes, "error": self.error or None,
            "prices_per_million": None if prices is None else {
                "input": prices.input, "cached_input": prices.cached_input,
                "output": prices.output},
            "cost_usd": None if c is None else {
                "input": c.input, "cached_input": c.cached_input, "output": c.output},
        }


def _windows(models, sizes, all_models: bool, arch: Path | None) -> list[Window]:
    from ctxlab.core import windows as w

    if all_models:
        from ctxlab.core.catalogue import all_models as catalogue

        chosen = [w.window_for_model(m.key) for m in catalogue() if m.context]
        chosen += w.teaching_windows()
    elif models or sizes or arch:
        try:
            chosen = [w.window_for_model(m) for m in models]
        except KeyError as exc:
            raise CtxlabError(str(exc.args[0])) from None
        chosen += [w.custom_window(n) for n in sizes]
    else:
        chosen = w.default_windows()
    if arch is not None:
        chosen.append(_arch_window(arch))
    return chosen


def _arch_window(path: Path) -> Window:
    """A window for the user's own model file, with its architecture for KV arithmetic."""
    from ctxlab.core.architecture import ArchitectureError, from_file
    from ctxlab.core.windows import GENERIC_TOKENIZER, Window

    try:
        arch = from_file(path)
    except ArchitectureError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None
    folder = path if path.is_dir() else path.parent
    if path.suffix.lower() == ".gguf":
        return Window(arch.name, arch.context_length, None, str(path), True, "", arch)
    if (folder / "tokenizer.json").is_file():
        return Window(arch.name, arch.context_length, None, str(folder), True, "", arch)
    note = f"{GENERIC_TOKENIZER} standing in: no tokenizer.json beside {path.name}"
    return Window(arch.name, arch.context_length, None, GENERIC_TOKENIZER, False, note, arch)


def _counts(text: str, names: set[str], *, explicit: bool) -> dict[str, int | str]:
    """Tokens per tokenizer, or why it is unavailable (defaults never trigger a download)."""
    from ctxlab.core.tokenizers import TokenizerError, get_tokenizer

    counts: dict[str, int | str] = {}
    with status_line(len(text) >= BIG_TEXT) as say, ends_on_ctrl_c():
        for number, name in enumerate(sorted(names), 1):
            say(f"counting with {name} ({number} of {len(names)})")
            try:
                counts[name] = get_tokenizer(name, fetch=explicit).count(text)
            except TokenizerError as exc:
                counts[name] = str(exc)
    return counts


def _row(window: Window, count: int | str, reserve: int | None) -> _Row:
    from ctxlab.core.windows import cost, fill, kv_cache_bytes

    if isinstance(count, str):
        return _Row(window, None, None, None, count)
    result = fill(window, count, reserve)
    return _Row(window, count, result, kv_cache_bytes(window, result), cost=cost(window, result))


def _table(rows: list[_Row], catalogue: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ctxlab.core.sizing import format_bytes
    from ctxlab.core.windows import GENERIC_NOTE

    show_kv = any(r.window.architecture for r in rows)
    show_cost = any(r.cost for r in rows)
    columns = ["model", "tokens", "reserve", "window", "fill", "remaining"]
    columns += ["input $ (cached)", "output $"] if show_cost else []
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns + ["count"]:
        table.add_column(column, justify="left" if column in ("model", "count") else "right",
                         no_wrap=column != "count")
    if show_kv:
        table.add_column("KV cache (fp16)", justify="right")
    notes: list[str] = []
    for row in rows:
        w, f = row.window, row.fill
        cap = (f"{w.name} accepts at most {w.input_limit:,} input tokens"
               if w.input_limit and w.input_limit < w.context - w.default_reserve else "")
        for note in (w.chosen, "" if w.exact else w.note, cap):
            if note and note not in notes and note != GENERIC_NOTE:
                notes.append(note)
        costs = _cost_cells(row.cost) if show_cost else []
        if f is None:
            cells = [escape(w.name), "—", "", f"{w.context:,}", "", "", *costs,
                     f"[dim]unavailable: {escape(row.error)}[/]"]
        else:
            style = BAND_STYLES[f.band]
            cells = [escape(w.name), f"{row.tokens:,}", f"{f.reserved:,}", f"{w.context:,}",
                     f"[{style}]{f.percent:5.1f}% {f.band}[/]", f"{f.remaining:,}", *costs,
                     escape(w.count_label)]
        if show_kv:
            cells.append(format_bytes(row.kv_bytes) if row.kv_bytes is not None else "unknown")
        table.add_row(*cells)
    console = Console(highlight=False)
    if not console.is_terminal:  # pipes and files get whole rows, never wrapped cells
        console = Console(highlight=False, width=160)
    console.print(table)
    for note in notes:
        console.print(f"[dim]{escape(note)}[/]")
    priced = "; $ = the document as input (as a cache read) and the reserved output, at the " \
        "catalogue's prices" if show_cost else ""
    console.print(f"[dim]windows: {escape(catalogue)}; fill = (tokens + reserve) / window; "
                  f"bands at 60 % and 80 %{priced}[/]")


def _cost_cells(cost: Cost | None) -> list[str]:
    if cost is None:
        return ["", ""]
    from ctxlab.core.windows import format_usd

    cached = f" ({format_usd(cost.cached_input)})" if cost.cached_input is not None else ""
    output = format_usd(cost.output) if cost.output is not None else ""
    return [f"{format_usd(cost.input)}{cached}", output]
