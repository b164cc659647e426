"""``ctxlab split FILE --max-tokens N``: token-exact chunks for RAG and prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors
from ctxlab.commands.inputs import read_input_text
from ctxlab.commands.outputs import check_output_dir
from ctxlab.commands.progress import terminal_progress
from ctxlab.core.split import Chunk, check_sizes, split_text
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, ENGINES, get_counter


@click.command()
@click.argument("path", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--max-tokens", "-n", type=click.IntRange(min=1), required=True,
              help="Most tokens per chunk.")
@click.option("--overlap", "-k", type=click.IntRange(min=0), default=0, show_default=True,
              help="Tokens each chunk repeats from the end of the previous one.")
@click.option("-t", "--tokenizer", default="o200k_base", show_default=True)
@click.option("-o", "--out-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write one file per chunk here (NAME.0001.EXT ...) instead of JSONL.")
@click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def command(path, max_tokens, overlap, tokenizer, out_dir, engine, quiet) -> None:
    """Split PATH (- for stdin) into chunks of at most --max-tokens tokens, cut at paragraph,
    line or sentence ends when they fit and at token boundaries otherwise. Prints JSONL
    (index, start, end, tokens, cut, text) unless --out-dir is given."""
    check_sizes(max_tokens, overlap)
    text = read_input_text(path)
    if out_dir is not None:
        check_output_dir(out_dir, "--out-dir")
    counter = get_counter(tokenizer, engine)
    chunks = split_text(text, counter.count, lambda t: _token_starts(counter, t), max_tokens,
                        overlap)
    with terminal_progress(quiet, "splitting") as update:
        if update is not None:
            chunks = _reporting(chunks, text, update)
        if out_dir is None:
            for chunk in chunks:
                click.echo(json.dumps(_record(chunk, counter.info.name), ensure_ascii=False))
            return
        found = list(chunks)
    _write_files(found, path, out_dir)


def _reporting(chunks: Iterator[Chunk], text: str, update) -> Iterator[Chunk]:
    """The chunks, telling ``update`` how many UTF-8 bytes of the text they have covered."""
    total = len(text.encode("utf-8"))
    done = pos = 0
    for chunk in chunks:
        done += len(text[pos:chunk.end].encode("utf-8"))
        pos = chunk.end
        update(done, total)
        yield chunk


def _token_starts(tokenizer, text: str) -> list[int | None]:
    """Each token's first character, or None for a token that starts inside the character
    the one before it started (a character split across tokens)."""
    import numpy as np

    starts = tokenizer.encode(text).char_start
    fresh = np.ones(len(starts), dtype=bool)
    fresh[1:] = starts[1:] > starts[:-1]
    return [s if f else None for s, f in zip(starts.tolist(), fresh.tolist(), strict=True)]


def _record(chunk: Chunk, name: str) -> dict:
    return {"index": chunk.index, "start": chunk.start, "end": chunk.end, "tokens": chunk.tokens,
            "tokenizer": name, "cut": chunk.cut, "text": chunk.text}


def _write_files(chunks: list[Chunk], source: Path, out_dir: Path) -> None:
    """Never overwrites: an existing chunk file stops the run before anything is written."""
    stem, suffix = (source.stem, source.suffix) if str(source) != "-" else ("stdin", ".txt")
    targets = [out_dir / f"{stem}.{c.index + 1:04d}{suffix}" for c in chunks]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise CtxlabError(f"{existing[0]} already exists; choose an empty --out-dir")
    out_dir.mkdir(parents=True, exist_ok=True)
    for chunk, target in zip(chunks, targets, strict=True):
        target.write_text(chunk.text, "utf-8")
    click.echo(f"{len(chunks)} chunks written to {out_dir}", err=True)
