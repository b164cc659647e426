"""``ctxlab scaling``: Chinchilla's L(N, D) in the terminal or as SVG, and a budget's optimum."""

from __future__ import annotations

from pathlib import Path

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors
from ctxlab.commands.outputs import check_output_file


@click.command()
@click.option("--budget", help="A training compute budget in FLOPs (e.g. 1e21): "
              "show the model size and token count that minimise the predicted loss.")
@click.option("--svg", "svg_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the map to FILE.svg.")
@friendly_errors
def command(budget: str | None, svg_path: Path | None) -> None:
    """Plot L(N, D) = E + A/N^a + B/D^b (Hoffmann et al. 2022) with well-known models on it."""
    from ctxlab.core.scaling import parse_flops
    from ctxlab.core.scaling_plot import svg_plot, text_plot

    try:
        flops = parse_flops(budget) if budget is not None else None
    except ValueError as exc:
        raise CtxlabError(f"--budget: {exc}") from None
    if svg_path is not None:
        check_output_file(svg_path, "--svg")
    click.echo("\n".join(text_plot(flops)))
    if svg_path is not None:
        svg_path.write_text(svg_plot(flops), encoding="utf-8")
        click.echo(f"wrote {svg_path}", err=True)
