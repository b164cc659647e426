"""The ``ctxlab`` command group.

Subcommands live in ``ctxlab/commands/`` and are imported only when invoked,
so ``ctxlab --help`` and ``ctxlab count`` never pay for textual,
transformers, sentencepiece or the model. A bare ``ctxlab [FILE]`` opens the TUI.
"""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module under ctxlab.commands, one-line help shown by --help without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "open": ("open_tui", "Open the TUI on FILE, a bundled sample, or stdin (the default command)."),
    "count": ("count", "Count tokens across files and trees with one or more tokenizers."),
    "tokenize": ("tokenize", "Show how a tokenizer splits TEXT: boundaries, ids, or JSON spans."),
    "tokenizers": ("tokenizers", "List tokenizers: ready or not, from where, exact for whom."),
    "assets": ("assets", "Fetch or list pinned tokenizer and model files (hash-checked)."),
    "fit": ("fit", "Show how full each model's context window is for FILE(s)."),
    "truncate": ("truncate", "Cut a document to a token budget with a truncation strategy."),
    "split": ("split", "Split FILE into token-exact chunks of at most N tokens (RAG, prompts)."),
    "models": ("models", "Search the model catalogue: context, output limit, price, tokenizer."),
    "model": ("model", "Manage and inspect the small local language model."),
    "surprisal": ("surprisal", "Per-token loss of FILE with full context vs under a window."),
    "recall": ("recall", "Run needle-in-a-haystack recall probes with the local model."),
    "lesson": ("lesson", "Run a teaching lesson in the TUI, or headless with --print."),
    "size": ("size", "Memory, KV cache and training compute for a model size."),
    "scaling": ("scaling", "Chinchilla's scaling law: predicted loss, compute-optimal N and D."),
    "serve": ("serve", "Serve the TUI to web browsers, one session per tab (ctxlab[serve])."),
}


GROUP_OPTIONS = ("-h", "--help", "--version")


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _) in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _module_exists(COMMANDS[cmd_name][0]):
            return None
        module = importlib.import_module(f"ctxlab.commands.{COMMANDS[cmd_name][0]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"ctxlab.commands.{module}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ctxlab")
def group() -> None:
    """ctxlab: how many tokens is this, does it fit, and what does the model lose when it doesn't?

    Run `ctxlab FILE` (or just `ctxlab`) to open the TUI.
    """
    from ctxlab.core import assets

    assets.fetch_notice = lambda line: click.echo(f"ctxlab: {line}", err=True)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] not in COMMANDS and args[0] not in GROUP_OPTIONS):
        args = ["open", *args]  # `ctxlab FILE`, `ctxlab --sample NAME`, `ctxlab -`
    group.main(args=args, prog_name="ctxlab")
