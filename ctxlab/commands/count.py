"""``ctxlab count``: batch-count tokens across files and trees."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ctxlab.commands.count_output import files_phrase, render
from ctxlab.commands.errors import EXIT_INPUT, EXIT_OVER_BUDGET, CtxlabError, friendly_errors
from ctxlab.commands.progress import terminal_progress
from ctxlab.core import count_cache
from ctxlab.core.counting import CountOptions, FileCount, count_files, count_text_file
from ctxlab.core.discovery import Discovery, WalkOptions, walk
from ctxlab.core.discovery_cache import WalkMemo
from ctxlab.core.textfile import BINARY, read_text_stream
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, ENGINES, get_counter
from ctxlab.core.tokenizers.registry import DEFAULT_TOKENIZERS, resolve_name

EPILOG = """\b
Exit codes: 0 ok; 1 over --budget; 2 bad usage or unknown tokenizer;
3 some input could not be counted (unreadable, not UTF-8, too large,
missing, or a binary file named explicitly). Binary files met while
walking a tree are skipped and reported, not an error.
"""


@click.command(epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("-t", "--tokenizer", "tokenizers", multiple=True,
              help="Tokenizer name, model name (gpt-4o) or file; repeat for several.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
              default="table", show_default=True)
@click.option("--tree", is_flag=True, help="Roll counts up the directory tree.")
@click.option("--depth", default=3, show_default=True, type=click.IntRange(min=0),
              help="Tree depth to show (0: the total alone).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=0),
              help="Largest children shown per node; the rest fold into one row.")
@click.option("--min-share", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Fold tree nodes under this share of the total (0..1).")
@click.option("--hidden", is_flag=True, help="Include dot-files and dot-directories.")
@click.option("--no-ignore", is_flag=True, help="Do not read .gitignore files.")
@click.option("--include", multiple=True, help="Only files matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Skip files matching this glob (repeatable).")
@click.option("--special", is_flag=True,
              help="Treat special-token strings like <|endoftext|> as special tokens.")
@click.option("--replace-invalid", is_flag=True,
              help="Count non-UTF-8 files with U+FFFD replacements instead of skipping them.")
@click.option("--budget", type=click.IntRange(min=0), help="Exit 1 if the total exceeds N tokens.")
@click.option("--per-file", is_flag=True, help="With --budget: apply it to each file.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
              help="Worker processes (0 = one per CPU; at most 4 per CPU).")
@click.option("--chat", "chat_file", type=click.Path(path_type=Path),
              help="Count an OpenAI-style messages JSON with each model's chat template.")
@click.option("--show-template", is_flag=True, help="With --chat: print the rendered template.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE, show_default=True,
              help="fast: exact Rust BPE for tiktoken encodings; tiktoken: reference libraries.")
@click.option("--field", "fields", multiple=True,
              help="Dataset mode: count this field of each record (dotted path; repeatable).")
@click.option("--budget-per-record", type=click.IntRange(min=0),
              help="Datasets: report (and exit 1 on) records over N tokens.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="Local process pool, or Ray Data (files and datasets).")
@click.option("--ray-address", help="With --executor ray: a cluster (ray://HOST:10001); "
              "default: a local Ray started for this run.")
@click.option("--no-cache", is_flag=True,
              help="Count every file afresh; do not read or update the count cache.")
@friendly_errors
def command(paths, tokenizers, fmt, tree, depth, top, min_share, hidden, no_ignore, include,
            exclude, special, replace_invalid, budget, per_file, jobs, chat_file, show_template,
            quiet, engine, fields, budget_per_record, executor, ray_address,
            no_cache) -> None:
    """Count tokens in PATHS (files, directories, or - for stdin); default: current directory."""
    names = tuple(dict.fromkeys(resolve_name(t) for t in tokenizers)) or DEFAULT_TOKENIZERS
    sources = _dataset_sources(paths, chat_file, fields, executor)
    if sources:
        from ctxlab.commands.dataset_count import count_datasets_command
        from ctxlab.core.dataset_count import DatasetOptions

        chat = chat_file is not None
        dataset_options = DatasetOptions(names, fields or (("messages",) if chat else ()),
                                         chat=chat, engine=engine, jobs=jobs)
        count_datasets_command(sources, dataset_options, fmt, budget_per_record, quiet, executor,
                               ray_address)
        return
    if chat_file is not None:
        from ctxlab.commands.chat_count import count_chat_command

        count_chat_command(chat_file, names, show_template, fmt)
        return
    for name in names:
        get_counter(name, engine)  # unknown or unavailable names fail here, before any work
    options = CountOptions(names, allow_special=special, replace_invalid=replace_invalid,
                           jobs=jobs, engine=engine,
                           cache_path=None if no_cache else str(count_cache.default_path()))
    paths = list(paths) or [Path(".")]
    remote = None
    if executor == "ray":
        from ctxlab.core.ray_count import file_counter

        remote = file_counter(ray_address)
    counts, found, explicit = _gather(paths, options, hidden, no_ignore, include, exclude, quiet,
                                      remote)
    render(counts, found, names, fmt, tree=tree, depth=depth, top=top,
           min_share=min_share, engine=engine)
    _exit(counts, found.problems, explicit, names, budget, per_file)


def _dataset_sources(paths, chat_file, fields, executor) -> list[str]:
    """Dataset mode's sources, or [] for ordinary file counting; mixing the two is refused."""
    from ctxlab.core.datasets import HF_PREFIX, PARQUET_SUFFIX, is_dataset

    named = [str(p) for p in paths] + ([str(chat_file)] if chat_file is not None else [])
    datasets = [s for s in named if is_dataset(s)]
    needs_field = [s for s in datasets if s.startswith(HF_PREFIX) or s.endswith(PARQUET_SUFFIX)]
    chat_dataset = chat_file is not None and is_dataset(str(chat_file))
    if not (fields or needs_field or chat_dataset):
        return []
    if len(datasets) < len(named) or not datasets:
        raise CtxlabError("--field and --chat on a dataset take datasets only "
                          "(.jsonl, .jsonl.gz, .jsonl.zst, .parquet, hf-dataset:NAME[:split])")
    if not fields and not chat_dataset:
        raise CtxlabError(f"{needs_field[0] if needs_field else datasets[0]}: name the text to "
                          "count with --field NAME (or --chat for a messages list)")
    return datasets


def _gather(paths, options, hidden, no_ignore, include, exclude, quiet, remote):
    """Read stdin and walk paths; returns counts, what the walk found, explicit paths."""
    counts: list[FileCount] = []
    if any(str(p) == "-" for p in paths):
        counts.append(count_text_file(read_text_stream(
            sys.stdin.buffer, "-", replace_invalid=options.replace_invalid,
            max_bytes=options.max_bytes), options))
    walk_options = WalkOptions(hidden=hidden, gitignore=not no_ignore, include=tuple(include),
                               exclude=tuple(exclude))
    found = Discovery()
    memo = WalkMemo(Path(options.cache_path)) if options.cache_path else None
    files = walk([p for p in paths if str(p) != "-"], walk_options, found, memo)
    explicit = {str(p) for p in paths if not os.path.isdir(p)}
    try:
        with terminal_progress(quiet) as advance:
            counts.extend(count_files(files, options, advance, notify=_warn, remote=remote))
    finally:
        if memo:
            memo.close()
    return counts, found, explicit


def _warn(line: str) -> None:
    click.echo(f"ctxlab: {line}", err=True)


def _exit(counts, problems, explicit, names, budget, per_file) -> None:
    failed = [fc for fc in counts
              if not fc.counted and (fc.status != BINARY or fc.path in explicit)]
    if budget is not None:
        first = names[0]
        over = [fc for fc in counts if fc.tokens.get(first, 0) > budget] if per_file else []
        total = sum(fc.tokens.get(first, 0) for fc in counts)
        if over or (not per_file and total > budget):
            what = files_phrase(len(over)) if per_file else f"total {total:,}"
            raise CtxlabError(f"over budget: {what} > {budget:,} {first} tokens",
                              EXIT_OVER_BUDGET)
    if failed or problems:
        raise SystemExit(EXIT_INPUT)
