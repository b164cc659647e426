"""Render ``ctxlab count`` results: a table on a terminal, or JSON / JSONL / CSV.

The machine formats have a stable schema (``ctxlab.count/1``), documented in
the README: per file ``path``, ``status``, ``bytes``, ``chars``, ``words``,
``tokens`` (name -> count), ``bom``, ``detail``; a totals record; and the
tokenizers with their library versions.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict

import click

from ctxlab import __version__
from ctxlab.commands import indented_json
from ctxlab.core.counting import FileCount
from ctxlab.core.discovery import Discovery
from ctxlab.core.safe_text import encodable, printable
from ctxlab.core.tokenizers.engines import DEFAULT_ENGINE, get_counter

SCHEMA = "ctxlab.count/1"
SKIP_ADVICE = {
    "binary": "skipped (contains NUL bytes)",
    "non-utf8": "skipped (not UTF-8; --replace-invalid counts them with U+FFFD)",
    "unreadable": "could not be read",
    "too-large": "skipped (too large)",
}


def render(counts: list[FileCount], found: Discovery, names: tuple[str, ...], fmt: str,
           *, tree: bool, depth: int, top: int, min_share: float,
           engine: str = DEFAULT_ENGINE) -> None:
    totals = _totals(counts, names)
    if fmt == "json":
        document = _document(counts, found, totals, names, engine)
        if tree:
            document["tree"] = [asdict(row) for row in _tree_rows(counts, names, depth, top,
                                                                  min_share)]
        click.echo(indented_json.dumps(document, ensure_ascii=False))
    elif fmt == "jsonl":
        for fc in counts:
            click.echo(json.dumps({"type": "file", **_record(fc)}, ensure_ascii=False))
        for kind, listed in (("problem", found.problems), ("skipped", found.skipped)):
            for problem in _problems(listed):
                click.echo(json.dumps({"type": kind, **problem}, ensure_ascii=False))
        click.echo(json.dumps({"type": "total", **totals,
                               "tokenizers": _tokenizers(names, engine)},
                              ensure_ascii=False))
    elif fmt == "csv":
        _csv(counts, found, totals, names)
    elif tree:
        _tree_table(counts, names, depth, top, min_share)
    else:
        _table(counts, totals, names)
    _report_skips(counts, found)


def _record(fc: FileCount) -> dict:
    return {"path": encodable(fc.path), "status": fc.status, "bytes": fc.size,
            "chars": fc.chars, "words": fc.words, "tokens": fc.tokens, "bom": fc.bom,
            "detail": encodable(fc.detail)}


def _problems(problems) -> list[dict]:
    return [{"path": encodable(str(p)), "reason": encodable(r)} for p, r in problems]


def _totals(counts: list[FileCount], names: tuple[str, ...]) -> dict:
    counted = [fc for fc in counts if fc.counted]
    return {
        "files": len(counted),
        "bytes": sum(fc.size for fc in counted),
        "chars": sum(fc.chars for fc in counted),
        "words": sum(fc.words for fc in counted),
        "tokens": {n: sum(fc.tokens.get(n, 0) for fc in counted) for n in names},
        "skipped": dict(Counter(fc.status for fc in counts if not fc.counted)),
    }


def _tokenizers(names: tuple[str, ...], engine: str) -> list[dict]:
    infos = [get_counter(n, engine).info for n in names]
    return [{"name": i.name, "family": i.family, "library": i.library,
             "vocab_size": i.vocab_size, "source": i.source} for i in infos]


def _document(counts, found: Discovery, totals, names, engine) -> dict:
    return {
        "schema": SCHEMA,
        "ctxlab": __version__,
        "tokenizers": _tokenizers(names, engine),
        "files": [_record(fc) for fc in counts],
        "totals": totals,
        "problems": _problems(found.problems),
        "skipped": _problems(found.skipped),
    }


def _csv(counts, found: Discovery, totals, names) -> None:
    """One row per file, then per problem; the totals row has status ``total`` and no path,
    so no file name can be mistaken for it."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["path", "status", "bytes", "chars", "words", *names, "detail"])
    for fc in counts:
        record = _record(fc)
        writer.writerow([record["path"], fc.status, fc.size, fc.chars, fc.words,
                         *(fc.tokens.get(n, "") for n in names), record["detail"]])
    for kind, listed in (("problem", found.problems), ("skipped", found.skipped)):
        for problem in _problems(listed):
            writer.writerow([problem["path"], kind, "", "", "", *("" for _ in names),
                             problem["reason"]])
    writer.writerow(["", "total", totals["bytes"], totals["chars"], totals["words"],
                     *(totals["tokens"][n] for n in names), ""])


def _table(counts, totals, names) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("file", no_wrap=True)
    for n in names:
        table.add_column(n, justify="right")
    for col in ("bytes", "chars", "tok/word"):
        table.add_column(col, justify="right", style="dim")
    for fc in counts:
        if not fc.counted:
            continue
        shown = Text(printable(fc.path))
        if fc.bom:
            shown.append(" (BOM)", style="dim")
        table.add_row(shown,
                      *(f"{fc.tokens[n]:,}" for n in names), f"{fc.size:,}", f"{fc.chars:,}",
                      _per_word(fc.tokens.get(names[0], 0), fc.words))
    table.add_section()
    table.add_row(f"[bold]total[/] ({files_phrase(totals['files'])})",
                  *(f"[bold]{totals['tokens'][n]:,}[/]" for n in names), f"{totals['bytes']:,}",
                  f"{totals['chars']:,}", _per_word(totals["tokens"][names[0]], totals["words"]))
    _console(max((len(fc.path) for fc in counts), default=0)).print(table)


def _console(widest: int):
    """A console wide enough that paths never wrap, even when stdout is not a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(100, widest + 80))
    return console


def _tree_rows(counts, names, depth, top, min_share) -> list:
    from ctxlab.core.rollup import build_tree, tree_rows

    return tree_rows(build_tree(counts, names[0]), max_depth=depth, top=top, min_share=min_share)


def _tree_table(counts, names, depth, top, min_share) -> None:
    from rich.table import Table
    from rich.text import Text

    rows = _tree_rows(counts, names, depth, top, min_share)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("path", no_wrap=True)
    table.add_column(names[0], justify="right")
    table.add_column("share", justify="right")
    table.add_column("files", justify="right", style="dim")
    for row in rows:
        table.add_row(Text("  " * row.depth + printable(row.name)), f"{row.tokens:,}",
                      f"{row.share:.1%}",
                      str(row.files))
    _console(max((2 * r.depth + len(r.name) for r in rows), default=0)).print(table)


def files_phrase(n: int, kind: str = "") -> str:
    """``1 file``, ``2 files``: counts people read in a sentence."""
    return f"{n:,} {kind}file{'' if n == 1 else 's'}"


def _per_word(tokens: int, words: int) -> str:
    return f"{tokens / words:.2f}" if words else "-"


def _report_skips(counts, found: Discovery) -> None:
    """One line per kind of file that was not counted, on stderr, so nothing is silent."""
    by_status = Counter(fc.status for fc in counts if not fc.counted)
    for status, n in sorted(by_status.items()):
        examples = [fc for fc in counts if fc.status == status][:3]
        shown = "; ".join(printable(f"{fc.path}: {fc.detail}" if fc.detail else fc.path)
                          for fc in examples)
        click.echo(f"ctxlab: {files_phrase(n)} {SKIP_ADVICE.get(status, status)}: {shown}",
                   err=True)
    for path, reason in (*found.problems, *found.skipped):
        click.echo(f"ctxlab: {printable(str(path))}: {printable(reason)}", err=True)
    replaced = [fc for fc in counts if fc.status == "replaced"]
    if replaced:
        click.echo(f"ctxlab: {files_phrase(len(replaced), 'non-UTF-8 ')} counted with U+FFFD "
                   "replacements (approximate)", err=True)
    if found.ignored:
        click.echo(f"ctxlab: {found.ignored} path(s) ignored (.gitignore, hidden, or filters)",
                   err=True)
