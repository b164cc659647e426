"""``ctxlab tokenizers``: every known tokenizer, whether it loads now, and from where."""

from __future__ import annotations

import json
from typing import Any

import click

from ctxlab.core.tokenizers.registry import specs


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def command(fmt: str) -> None:
    """List tokenizers: availability, source, licence, and the models they are exact for."""
    rows: list[dict[str, Any]] = []
    for spec in specs().values():
        availability = spec.availability()
        rows.append({
            "name": spec.name, "family": spec.family, "available": availability.available,
            "where": availability.where, "licence": spec.licence,
            "exact_for": list(spec.exact_for), "description": spec.description,
        })
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for col in ("tokenizer", "family", "ready", "from / how to get", "exact for"):
        table.add_column(col, overflow="fold")
    for row in rows:
        ready = "[green]yes[/]" if row["available"] else "[yellow]no[/]"
        table.add_row(row["name"], row["family"], ready, row["where"],
                      ", ".join(row["exact_for"]) or "-")
    console = Console(highlight=False)
    console.print(table)
    console.print("[dim]Other tokenizers count approximately (a stand-in) for models not listed "
                  "under 'exact for'. Any tokenizer.json, .model or .gguf path also works, "
                  "and hf:ORG/NAME with a Hugging Face cache.[/]")
