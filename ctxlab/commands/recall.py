"""``ctxlab recall``: needle-in-a-haystack grids and recall vs distance, with the local model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors
from ctxlab.commands.model import MODEL_HELP, load_for_cli
from ctxlab.commands.outputs import check_output_file
from ctxlab.core.strategies import SINKS, STRATEGIES, model_strategies, probe_defaults


def _numbers(text: str, what: str, *, whole: bool = False, minimum: int = 0) -> list:
    from ctxlab.core.number_lists import parse_numbers, parse_whole_numbers

    try:
        values = (parse_whole_numbers if whole else parse_numbers)(text, what)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if any(v < minimum for v in values):
        raise click.BadParameter(f"{what}: numbers of at least {minimum}, got {text!r}")
    return values


@click.command()
@click.option("--depths", default="0,25,50,75,100", show_default=True,
              help="Needle depths in percent of the document.")
@click.option("--lengths", default="256,512,1024,2048", show_default=True,
              help="Document lengths in model tokens.")
@click.option("--strategies", help=f"Comma-separated: {', '.join(model_strategies())} "
              f"(see `ctxlab truncate --help`; truncate means keep-end) [default: "
              f"{probe_defaults(None)}; native instead of full for a model with local layers "
              "of its own, Gemma 3].")
@click.option("-w", "--window", default=512, show_default=True, type=click.IntRange(min=1),
              help="Window W for every strategy but full (whole prompt, question included).")
@click.option("--sinks", default=SINKS, show_default=True, type=click.IntRange(min=0),
              help=f"With sinks: {STRATEGIES['sinks'].help}.")
@click.option("--needles", "needle_count", default=1, show_default=True,
              type=click.IntRange(min=1), help="How many needles (facts) to try per cell.")
@click.option("--distances", help="Instead of a grid: recall vs needle distance (tokens) under "
              "the first non-full strategy, e.g. 128,256,512,1024.")
@click.option("--needles-file", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML file of [[needle]] fact/question/answer tables.")
@click.option("--haystack", type=click.Path(path_type=Path, dir_okay=False),
              help="Filler text [default: the bundled haystack].")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write every trial and the settings to this JSON file.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the heatmap to FILE.svg (or .png with matplotlib installed).")
@click.option("--model", "model_source", help=MODEL_HELP)
@friendly_errors
def command(depths, lengths, strategies, window, sinks, needle_count, distances, needles_file,
            haystack, json_path, plot_path, model_source) -> None:
    """Hide a fact in filler text, ask about it, and check the model's greedy answer."""
    from dataclasses import replace

    from ctxlab.core.probes import recall
    from ctxlab.core.probes.context import Strategy, parse_strategies
    from ctxlab.core.probes.needles import load_haystack, load_needles

    if plot_path is not None and plot_path.suffix.lower() not in (".svg", ".png"):
        raise CtxlabError(f"--plot {plot_path}: use a .svg or .png file name")
    for path, option in ((json_path, "--json"), (plot_path, "--plot")):
        if path is not None:
            check_output_file(path, option)
    # Settings are checked before the model loads: a typo should not cost a model load.
    chosen = parse_strategies(strategies, window, sinks) if strategies else None
    needles = load_needles(needles_file)[:needle_count]
    if not needles:
        raise CtxlabError("--needle-count must be at least 1")
    filler = load_haystack(haystack)
    spec = None if distances else recall.GridSpec(
        depths=tuple(d / 100 for d in _numbers(depths, "--depths")),
        lengths=tuple(_numbers(lengths, "--lengths", whole=True, minimum=1)))
    gaps = _numbers(distances, "--distances", whole=True) if distances else []
    model = load_for_cli(model_source)
    chosen = chosen or parse_strategies(probe_defaults(model.config.local_window), window, sinks)
    if spec is not None:
        spec = replace(spec, strategies=chosen)
    with _progress_bar() as advance:
        if spec is None:
            limited = [s for s in chosen if s.window] or [Strategy("sliding", window)]
            result = recall.run_recall_vs_distance(model, limited[0], gaps, needles, filler,
                                                   progress=advance)
        else:
            result = recall.run_needle_grid(model, spec, needles, filler, progress=advance)
    _print_result(result)
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_json(), indent=1), encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)
    if plot_path is not None:
        _plot(result, plot_path)
        click.echo(f"wrote {plot_path}", err=True)


def _progress_bar():
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def bar():
        columns = (TextColumn("recall"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"))
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("", total=None)

            def advance(event) -> None:
                t = event.trial
                progress.update(task, total=event.total, completed=event.done,
                                description=f"{t.strategy}: {'hit' if t.recalled else 'miss'}")

            yield advance

    return bar()


def _panels(result) -> tuple[dict, list[str], list[str], str, str]:
    """Rates per strategy as matrices, with row/column labels, for both text and SVG."""
    import numpy as np

    s = result.settings
    if result.kind == "grid":
        panels = {name: result.matrix(name) for name in s["strategies"]}
        rows = [f"{d:.0%}" for d in s["depths"]]
        return panels, rows, [str(n) for n in s["lengths"]], "needle depth", "context tokens"
    rates = np.array([[result.rate(s["strategy"], distance=d) for d in s["distances"]]])
    return ({s["strategy"]: rates}, ["recall"], [str(d) for d in s["distances"]], "",
            "tokens from needle to question")


def _print_result(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from ctxlab.core.heatmap_svg import recall_colour

    panels, rows, cols, row_label, col_label = _panels(result)
    console = Console()
    for name, grid in panels.items():
        table = Table(title=f"{name}: recall ({col_label})", title_justify="left")
        table.add_column(row_label)
        for col in cols:
            table.add_column(col, justify="center")
        for r, label in enumerate(rows):
            cells = [f"[black on {recall_colour(float(v))}] {_pct(v)} [/]" for v in grid[r]]
            table.add_row(label, *cells)
        console.print(table)
    asked = [t for t in result.trials if not t.baseline]
    hits = sum(result.counts(t) for t in asked)
    guesses = [t for t in result.trials if t.baseline]
    state = " (cancelled)" if result.cancelled else ""
    console.print(f"{hits}/{len(asked)} recalled in {result.seconds:.1f} s{state}; "
                  f"greedy decoding, model {result.settings['model']}")
    if guesses:
        guessed = [t.needle for t in guesses if t.recalled]
        console.print(f"no-needle baseline: {len(guessed)}/{len(guesses)} answered without the "
                      "fact" + (f" ({', '.join(sorted(set(guessed)))}: those cells do not count)"
                                if guessed else ""))


def _pct(value: float) -> str:
    return " -- " if value != value else f"{value:4.0%}"


def _plot(result, path: Path) -> None:
    from ctxlab.core.heatmap_svg import heatmap_svg

    panels, rows, cols, row_label, col_label = _panels(result)
    title = f"Needle recall, {result.settings['model']} (greedy)"
    svg = heatmap_svg(panels, rows, cols, title=title, row_label=row_label, col_label=col_label)
    if path.suffix.lower() == ".svg":
        path.write_text(svg, encoding="utf-8")
        return
    _svg_to_png(panels, rows, cols, title, path)


def _svg_to_png(panels: dict, rows: list[str], cols: list[str], title: str, path: Path) -> None:
    """PNG needs matplotlib (the ``plot`` extra); SVG never does."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CtxlabError("--plot .png needs matplotlib (pip install 'ctxlab[plot]'); "
                          "use a .svg file name instead") from None
    fig, axes = plt.subplots(1, len(panels), figsize=(3 + 2.5 * len(panels), 3), squeeze=False)
    for ax, (name, grid) in zip(axes[0], panels.items(), strict=True):
        ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn")
        ax.set_title(name)
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(rows)), rows)
    fig.suptitle(title)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
