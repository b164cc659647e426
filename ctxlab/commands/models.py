"""``ctxlab models``: search the models.dev catalogue for windows, prices and tokenizers."""

from __future__ import annotations

import json

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors


@click.command()
@click.argument("query", nargs=-1)
@click.option("-n", "--limit", default=40, show_default=True, type=click.IntRange(min=0),
              help="Rows to show (0 = all).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@friendly_errors
def command(query, limit, fmt) -> None:
    """Models whose provider/id or name contains every word of QUERY (e.g. `claude sonnet`)."""
    from ctxlab.core.catalogue import catalogue_version, search

    found = search(" ".join(query))
    if not found:
        raise CtxlabError(f"no catalogue model matches {' '.join(query)!r}")
    shown = found[:limit] if limit else found
    if fmt == "json":
        click.echo(json.dumps({"catalogue": catalogue_version(), "matches": len(found),
                               "models": [_record(m) for m in shown]}, indent=1))
        return
    _table(shown, len(found), catalogue_version())


def _record(model) -> dict:
    choice = model.tokenizer
    return {"model": model.key, "name": model.name, "context": model.context,
            "output": model.output, "input_price": model.input_price,
            "output_price": model.output_price, "tokenizer": choice.tokenizer,
            "exact": choice.exact, "note": choice.note}


def _table(models, total: int, catalogue: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("model", no_wrap=True)
    for column in ("context", "output", "$/M in", "$/M out"):
        table.add_column(column, justify="right")
    table.add_column("tokenizer", no_wrap=True)
    for m in models:
        choice = m.tokenizer
        table.add_row(escape(m.key), _tokens(m.context), _tokens(m.output), _price(m.input_price),
                      _price(m.output_price),
                      f"{choice.tokenizer} " + ("exact" if choice.exact else "[yellow]approx[/]"))
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    console.print(table)
    more = f"; showing {len(models)} of {total} (--limit 0 for all)" if len(models) < total else ""
    console.print(f"[dim]{escape(catalogue)}{more}; prices in USD per million tokens; approx "
                  "= a stand-in tokenizer (`ctxlab fit` names it)[/]")


def _tokens(n: int | None) -> str:
    return f"{n:,}" if n else "—"


def _price(p: float | None) -> str:
    return "—" if p is None else f"{p:g}"
