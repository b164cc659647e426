"""``ctxlab size``: weight and KV-cache memory, and compute-optimal training, for a model size."""

from __future__ import annotations

import json

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors


@click.command()
@click.argument("params", metavar="PARAMS")
@click.option("-c", "--context", default="8K", show_default=True,
              help="Context window in tokens (8192, 8K, 128K; K = 1024).")
@click.option("--arch", metavar="FILE|smollm2",
              help="Exact KV cache from a config.json, a GGUF file, or the bundled smollm2.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@friendly_errors
def command(params: str, context: str, arch: str | None, as_json: bool) -> None:
    """Memory and training compute for a model of PARAMS parameters (135M, 7B, 1.5e9).

    Weights at fp16/int8/int4 and the KV cache for the window are arithmetic;
    without --arch the KV cache is an estimate, and the training figures
    (Chinchilla's ~20 tokens per parameter, ~6 N D FLOPs) are always estimates.
    """
    from dataclasses import asdict

    from ctxlab.core.sizing import parse_count, report_lines, size_report

    try:
        report = size_report(parse_count(params), parse_count(context, binary=True),
                             _architecture(arch))
    except ValueError as exc:
        raise CtxlabError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(asdict(report), indent=2))
    else:
        click.echo("\n".join(report_lines(report)))


def _architecture(arch: str | None):
    if arch is None:
        return None
    from ctxlab.core.architecture import SMOLLM2_135M, from_file

    if arch.lower() in ("smollm2", "smollm2-135m"):
        return SMOLLM2_135M
    return from_file(arch)  # ArchitectureError is a UserError: friendly_errors reports it
