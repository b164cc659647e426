"""``ctxlab tokenize``: see exactly how a tokenizer splits a text."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors
from ctxlab.commands.inputs import argument_text, read_input_text
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, ENGINES, get_counter

# Visible stand-ins for whitespace, so boundaries between spaces can be seen.
WHITESPACE_GLYPHS = str.maketrans({" ": "·", "\n": "↵\n", "\t": "→", "\r": "␍"})
COLOURS = ("on #3a3a6a", "on #2f5d50", "on #6a4a3a", "on #4a3a6a")


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "path", type=click.Path(path_type=Path, allow_dash=True),
              help="Read the text from FILE (- for stdin).")
@click.option("-t", "--tokenizer", default="o200k_base", show_default=True)
@click.option("--ids", "show_ids", is_flag=True, help="Print only the token ids.")
@click.option("--format", "fmt", type=click.Choice(["color", "json"]), default="color",
              show_default=True)
@click.option("--special", is_flag=True, help="Parse special-token strings as special tokens.")
@click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE, show_default=True,
              help="fast: exact Rust BPE for tiktoken encodings; tiktoken: reference libraries.")
@friendly_errors
def command(text, path, tokenizer, show_ids, fmt, special, engine) -> None:
    """Tokenize TEXT (or --file) and show boundaries, ids, or JSON spans."""
    text = _input_text(text, path)
    tok = get_counter(tokenizer, engine)
    spans = tok.encode(text, allow_special=special)
    if show_ids and fmt == "json":
        click.echo(json.dumps({"tokenizer": tok.info.name, "count": len(spans),
                               "ids": [int(i) for i in spans.ids]}))
    elif show_ids:
        click.echo(" ".join(str(int(i)) for i in spans.ids))
    elif fmt == "json":
        doc = {"tokenizer": tok.info.name, "library": tok.info.library, "count": len(spans),
               "tokens": spans.to_records()}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        _print_coloured(spans)
        click.echo(f"\n{len(spans):,} tokens ({tok.info.name}), {len(text):,} chars", err=True)


def _input_text(text: str | None, path: Path | None) -> str:
    if text is not None and path is not None:
        raise CtxlabError("give TEXT or --file, not both")
    if path is not None:
        return read_input_text(path)
    if text is None:
        raise CtxlabError("give TEXT to tokenize, or --file FILE (- for stdin)")
    return argument_text(text)


def _print_coloured(spans) -> None:
    """Alternating backgrounds per token; split characters as hex bytes, specials bold red."""
    from rich.console import Console
    from rich.text import Text

    from ctxlab.core.safe_text import printable

    data = spans.text.encode("utf-8")
    out = Text()
    for i in range(len(spans)):
        style = COLOURS[i % len(COLOURS)]
        if spans.special[i]:
            out.append(printable(spans.token_text(i)), style="bold white on red")
        elif spans.split[i]:
            raw = data[int(spans.byte_start[i]) : int(spans.byte_end[i])]
            out.append("‹" + raw.hex(" ") + "›", style=style + " italic")
        else:
            out.append(printable(spans.token_text(i).translate(WHITESPACE_GLYPHS), keep="\n"),
                       style=style)
    Console(highlight=False, soft_wrap=True).print(out)
