"""``ctxlab count DATASET --field F``: tokens in a dataset's fields, per file and per record."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import click

from ctxlab import __version__
from ctxlab.commands.errors import EXIT_INPUT, EXIT_OVER_BUDGET, CtxlabError
from ctxlab.core.dataset_count import (
    DatasetCount,
    DatasetOptions,
    count_dataset,
    merged,
    over_budget,
    percentiles,
    training_size,
)
from ctxlab.core.datasets import resolve_files
from ctxlab.core.safe_text import printable
from ctxlab.core.sizing import CHINCHILLA_TOKENS_PER_PARAM, format_count
from ctxlab.core.tokenizers.engines import get_counter

SCHEMA = "ctxlab.dataset/1"


def count_datasets_command(sources: list[str], options: DatasetOptions, fmt: str,
                           budget_per_record: int | None, quiet: bool, executor: str,
                           ray_address: str | None) -> None:
    """Count every source, print one report, exit 1 if a record is over its budget."""
    results: list[DatasetCount] = []
    if executor == "ray":
        from ctxlab.core.ray_count import count_with_ray

        results = count_with_ray(sources, options, address=ray_address)
    else:
        total_bytes = sum(p.stat().st_size for s in sources for p in resolve_files(s))
        with _progress(total_bytes, quiet) as advance:
            for source in sources:
                results.extend(count_dataset(source, options, advance))
    total = merged(results)
    if fmt == "json":
        click.echo(json.dumps(_document(results, total, options, budget_per_record), indent=2,
                              ensure_ascii=False))
    else:
        _table(results, total, options, budget_per_record)
    for r in results:
        if r.invalid:
            click.echo(f"ctxlab: {printable(r.path)}: {r.invalid:,} record(s) skipped as invalid "
                       f"(counted 0); the first: {printable(r.problem)}", err=True)
    first = options.tokenizers[0]
    over = over_budget(total.per_record[first], budget_per_record or 0)
    if budget_per_record is not None and over:
        raise CtxlabError(f"over budget: {over:,} record(s) > {budget_per_record:,} {first} "
                          "tokens", EXIT_OVER_BUDGET)
    if total.invalid:
        raise SystemExit(EXIT_INPUT)


def _progress(total_bytes: int, quiet: bool):
    from contextlib import nullcontext

    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    from ctxlab.commands.progress import record_progress

    return record_progress(total_bytes)


def _entry(r: DatasetCount, options: DatasetOptions, budget: int | None) -> dict:
    stats = {}
    for name in options.tokenizers:
        values: Sequence[int] = r.per_record.get(name, [])
        stats[name] = {"tokens": r.tokens.get(name, 0), "per_record": percentiles(values)}
        if budget is not None:
            stats[name]["over_budget"] = over_budget(values, budget)
    return {"path": r.path, "records": r.rows, "empty_records": r.empty,
            "invalid_records": r.invalid, "bytes": r.bytes, "tokenizers": stats}


def _document(results, total, options: DatasetOptions, budget: int | None) -> dict:
    first = options.tokenizers[0]
    size = training_size(total.tokens.get(first, 0))
    return {
        "schema": SCHEMA,
        "ctxlab": __version__,
        "fields": list(options.columns),
        "chat": options.chat,
        "budget_per_record": budget,
        "tokenizers": [{"name": n, "library": get_counter(n, options.engine).info.library}
                       for n in options.tokenizers],
        "files": [_entry(r, options, budget) for r in results],
        "total": _entry(total, options, budget),
        "training": {"tokenizer": first, "tokens": size.tokens,
                     "chinchilla_params": size.params, "flops_6nd": size.flops},
    }


def _table(results, total, options: DatasetOptions, budget: int | None) -> None:
    names = options.tokenizers
    first = names[0]
    head = ["file", "records", "empty", *names, "p50", "p90", "p99", "max"]
    if budget is not None:
        head.append(f"> {budget:,}")
    rows = [head]
    for r in [*results, total] if len(results) > 1 else results:
        p = percentiles(r.per_record.get(first, []))
        row = [r.path, f"{r.rows:,}", f"{r.empty:,}", *(f"{r.tokens.get(n, 0):,}" for n in names),
               *(f"{p[k]:,}" for k in ("p50", "p90", "p99", "max"))]
        if budget is not None:
            row.append(f"{over_budget(r.per_record.get(first, []), budget):,}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    what = "chat-templated messages" if options.chat else "field(s) " + ", ".join(options.columns)
    click.echo(f"per-record percentiles are {first} tokens in {what}")
    size = training_size(total.tokens.get(first, 0))
    click.echo(f"Chinchilla-optimal model for {format_count(size.tokens)} {first} tokens "
               f"({CHINCHILLA_TOKENS_PER_PARAM} per parameter): {format_count(size.params)} "
               f"parameters; training it costs 6·N·D = {size.flops:.2e} FLOPs")
