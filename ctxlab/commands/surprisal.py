"""``ctxlab surprisal FILE --window W``: which tokens got harder to predict under a window."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ctxlab.commands.errors import friendly_errors
from ctxlab.commands.inputs import read_input_text
from ctxlab.commands.model import MODEL_HELP, load_for_cli
from ctxlab.commands.outputs import check_output_file
from ctxlab.core.strategies import SINKS, STRATEGIES, model_strategies, names

# Every strategy that limits what a model sees (all but full), by name or alias.
MASKS = tuple(n for n in model_strategies() if STRATEGIES[n].needs_window)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("-w", "--window", required=True, type=click.IntRange(min=1),
              help="Tokens each position may see (truncate: tokens kept).")
@click.option("--mask", "kind", type=click.Choice(names(lambda r: r.name in MASKS, aliases=True)),
              default="sliding", show_default=True,
              help="Any strategy but full (see `ctxlab truncate --help`): sliding and sinks "
              "limit attention, the others cut the tokens fed.")
@click.option("--sinks", default=SINKS, show_default=True, type=click.IntRange(min=0),
              help="With --mask sinks: leading tokens every position also sees.")
@click.option("--top", default=15, show_default=True, type=click.IntRange(min=0),
              help="How many most-forgotten tokens to list.")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write per-token losses to this JSON file.")
@click.option("--first", "first_tokens", type=click.IntRange(min=2), metavar="N",
              help="Score the first N tokens of a longer file [default: the model's context].")
@click.option("--model", "model_source", help=MODEL_HELP)
@friendly_errors
def command(file: Path, window: int, kind: str, sinks: int, top: int, json_path: Path | None,
            first_tokens: int | None, model_source: str | None) -> None:
    """Per-token loss of FILE with full context vs under a window; lists what was forgotten."""
    from ctxlab.core.probes.context import Strategy
    from ctxlab.core.probes.surprisal import surprisal_map, text_start

    text = read_input_text(file)
    if json_path is not None:
        check_output_file(json_path, "--json")
    model = load_for_cli(model_source)
    strategy = Strategy(kind, window, sinks=sinks)
    first = first_tokens or model.config.arch.context_length
    scored = text_start(model, text, first)
    if len(scored) < len(text):
        click.echo(f"scoring the first {first:,} tokens only "
                   f"({'--first' if first_tokens else 'the model context'})", err=True)
    result = surprisal_map(model, scored, strategy)
    spans = result.spans
    own = "" if model.config.local_window is None else " (its own local + global layers)"
    click.echo(f"{len(spans):,} tokens; {strategy.label}: perplexity "
               f"{result.perplexity('full'):.2f} with full context{own}, "
               f"{result.perplexity('window'):.2f} under the window")
    for i in result.forgotten(top):
        left = max(int(spans.char_start[i]) - 30, 0)
        snippet = (spans.text[left : int(spans.char_start[i])] + "[" + spans.token_text(i) + "]")
        click.echo(f"  #{i:<6} +{result.delta[i]:5.2f} nats  "
                   f"({result.full[i]:.2f} -> {result.windowed[i]:.2f})  "
                   f"{snippet.replace(chr(10), ' ')!s}")
    if json_path is not None:
        json_path.write_text(json.dumps(_records(result), indent=1), encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)


def _records(result) -> dict:
    def number(x: float) -> float | None:
        return None if x != x else round(float(x), 4)  # NaN -> null

    tokens = result.spans.to_records()
    for record, full, windowed in zip(tokens, result.full, result.windowed, strict=True):
        record["loss_full"], record["loss_window"] = number(full), number(windowed)
    return {"strategy": result.strategy.label, "perplexity_full": number(result.perplexity("full")),
            "perplexity_window": number(result.perplexity("window")), "tokens": tokens}
