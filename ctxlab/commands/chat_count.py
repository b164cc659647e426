"""``ctxlab count --chat FILE``: raw vs templated token counts of a chat, per tokenizer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from ctxlab.commands.errors import EXIT_INPUT, CtxlabError


def count_chat_command(path: str | Path, tokenizer_names: Sequence[str],
                       show_template: bool, fmt: str = "table") -> None:
    """One row per tokenizer; one without a known template gets a reason, not a count."""
    from ctxlab.core.chat import ChatError, count_chat, load_chat
    from ctxlab.core.tokenizers import get_tokenizer

    try:
        chat = load_chat(path)
    except ChatError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None
    rows: list[tuple[str, object]] = []  # (tokenizer, ChatCount or the reason it has none)
    for name in tokenizer_names:
        try:
            rows.append((name, count_chat(get_tokenizer(name), chat.messages, tools=chat.tools)))
        except ChatError as exc:
            rows.append((name, str(exc)))
    if fmt in ("json", "jsonl"):
        click.echo(json.dumps(_document(path, chat, rows), ensure_ascii=False,
                              indent=2 if fmt == "json" else None))
    else:
        _table(path, chat, rows, show_template)
    if all(isinstance(result, str) for _, result in rows):
        raise CtxlabError(f"no tokenizer could count this chat: {rows[0][1]}")


def _document(path, chat, rows) -> dict:
    from ctxlab.core.safe_text import encodable

    return {"chat": encodable(str(path)), "messages": len(chat.messages),
            "tools": len(chat.tools), "tokenizers": [
        {"name": name, "error": result} if isinstance(result, str) else
        {"name": name, "raw": result.raw_tokens, "templated": result.chat_tokens,
         "overhead": result.chat_tokens - result.raw_tokens, "template": result.template}
        for name, result in rows]}


def _table(path, chat, rows, show_template: bool) -> None:
    from rich.console import Console, JustifyMethod
    from rich.table import Table
    from rich.text import Text

    from ctxlab.core.safe_text import printable

    table = Table(box=None, header_style="bold", pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("tokenizer", "left"), ("raw", "right"), ("templated", "right"), ("overhead", "right"),
        ("template", "left"))
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for name, result in rows:
        if isinstance(result, str):
            table.add_row(Text(name), "", "", "", Text(printable(result), style="yellow"))
        else:
            table.add_row(Text(name), f"{result.raw_tokens:,}", f"{result.chat_tokens:,}",
                          f"+{result.chat_tokens - result.raw_tokens:,}",
                          Text(printable(result.template)))
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    tools = f" and {len(chat.tools)} tool definitions" if chat.tools else ""
    console.print(Text(f"{len(chat.messages)} messages{tools} from {printable(str(path))}"))
    console.print(table)
    if show_template:
        for _, result in rows:
            if not isinstance(result, str):
                console.rule(Text(f"{result.tokenizer}: {printable(result.template)}"))
                click.echo(result.rendered)
