"""``ctxlab count --chat FILE``: raw vs templated token counts of a chat, per tokenizer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError


def count_chat_command(path: str | Path, tokenizer_names: Sequence[str],
                       show_template: bool) -> None:
    """One row per tokenizer; one without a known template gets a reason, not a count."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ctxlab.core.chat import ChatError, count_chat, load_chat
    from ctxlab.core.tokenizers import get_tokenizer

    try:
        chat = load_chat(path)
    except ChatError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column, justify in (("tokenizer", "left"), ("raw", "right"), ("templated", "right"),
                            ("overhead", "right"), ("template", "left")):
        table.add_column(column, justify=justify)
    counts = []
    for name in tokenizer_names:
        try:
            result = count_chat(get_tokenizer(name), chat.messages, tools=chat.tools)
        except ChatError as exc:
            table.add_row(name, "", "", "", f"[yellow]{escape(str(exc))}[/]")
            continue
        counts.append(result)
        table.add_row(name, f"{result.raw_tokens:,}", f"{result.chat_tokens:,}",
                      f"+{result.chat_tokens - result.raw_tokens:,}", escape(result.template))
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    tools = f" and {len(chat.tools)} tool definitions" if chat.tools else ""
    console.print(f"{len(chat.messages)} messages{tools} from {escape(str(path))}")
    console.print(table)
    if show_template:
        for result in counts:
            console.rule(f"{result.tokenizer}: {escape(result.template)}")
            click.echo(result.rendered)
    if not counts:
        raise CtxlabError("no tokenizer given has a known chat template")
