"""``ctxlab truncate``: cut a document to a token budget; kept text to stdout, summary to stderr."""

from __future__ import annotations

from pathlib import Path

import click

from ctxlab.commands.errors import CtxlabError, friendly_errors
from ctxlab.commands.inputs import read_texts
from ctxlab.core.strategies import SINKS, help_lines, names, truncations

DEFAULT_TOKENIZER = "o200k_base"


CUTS = tuple(record for record in truncations() if record.keep is not None)


@click.command(epilog="\b\nStrategies:\n" + "\n".join(help_lines(CUTS)))
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--budget", required=True, type=click.IntRange(min=0), help="Tokens to keep.")
@click.option("-t", "--tokenizer", help=f"Tokenizer name or file [default: {DEFAULT_TOKENIZER}].")
@click.option("-m", "--model", help="Count with this catalogue model's tokenizer instead.")
@click.option("-s", "--strategy", default="keep-start", show_default=True,
              type=click.Choice(names(lambda r: r in CUTS, aliases=True)))
@click.option("--sinks", default=SINKS, show_default=True, type=click.IntRange(min=0),
              help="With --strategy sinks: leading tokens always kept.")
@click.option("--show", is_flag=True,
              help="Print the whole document with each dropped part replaced by a marker.")
@click.option("--chat", is_flag=True,
              help="FILE is a chat (JSON messages): keep the system message and the newest "
                   "whole turns that fit, templated; write the kept chat as JSON.")
@friendly_errors
def command(file, budget, tokenizer, model, strategy, sinks, show, chat) -> None:
    """Keep at most --budget tokens of FILE (- for stdin) and write them to stdout."""
    from ctxlab.core.tokenizers import get_tokenizer
    from ctxlab.core.truncation import truncate

    name, note = _tokenizer_name(tokenizer, model)
    tok = get_tokenizer(name)
    if chat:
        _truncate_chat(file, budget, tok, note)
        return
    spans = tok.encode(read_texts([file])[0])
    try:
        result = truncate(spans, budget, strategy, sinks=sinks, tokenizer=tok)
    except ValueError as exc:
        raise CtxlabError(str(exc)) from None
    click.echo(_marked(spans.text, result) if show else result.kept_text, nl=False)
    pieces = len(result.dropped_chars)
    click.echo(
        f"{strategy}: kept {result.kept_tokens:,} of {len(spans):,} {tok.info.name} tokens "
        f"(re-encodes to {result.reencoded_tokens:,}, budget {budget:,}); dropped "
        f"{result.dropped_tokens:,} tokens in {pieces} span{'s' if pieces != 1 else ''}{note}",
        err=True,
    )


def _truncate_chat(file: Path, budget: int, tok, note: str) -> None:
    """LangChain-style ``trim_messages`` (newest first, system kept, starting on a user turn)."""
    import json

    from ctxlab.commands.errors import EXIT_INPUT, EXIT_OVER_BUDGET
    from ctxlab.core.chat import ChatError, count_chat, load_chat, trim_chat

    try:
        chat = load_chat(file)

        def templated(messages: list) -> int:
            return count_chat(tok, messages, tools=chat.tools).chat_tokens

        total = templated(chat.messages)
        trimmed = trim_chat(chat.messages, budget, templated)
    except ChatError as exc:
        raise CtxlabError(str(exc), EXIT_INPUT) from None
    if not trimmed.messages:
        raise CtxlabError(f"nothing fits in {budget:,} tokens (the chat is {total:,} templated "
                          f"{tok.info.name} tokens, the system message alone is over)",
                          EXIT_OVER_BUDGET)
    kept: dict | list = {"messages": trimmed.messages, "tools": chat.tools} if chat.tools \
        else trimmed.messages
    click.echo(json.dumps(kept, indent=1, ensure_ascii=False))
    dropped = ", ".join(str(i + 1) for i in trimmed.dropped) or "none"
    click.echo(
        f"chat: kept {len(trimmed.kept)} of {len(chat.messages)} messages, {trimmed.tokens:,} of "
        f"{total:,} templated {tok.info.name} tokens (budget {budget:,}); dropped messages "
        f"{dropped}{note}", err=True)


def _tokenizer_name(tokenizer: str | None, model: str | None) -> tuple[str, str]:
    """The tokenizer to count with, and a note when it only stands in for the model's own."""
    if tokenizer and model:
        raise CtxlabError("give -t/--tokenizer or -m/--model, not both")
    if not model:
        return tokenizer or DEFAULT_TOKENIZER, ""
    from ctxlab.core.windows import window_for_model

    try:
        window = window_for_model(model)
    except KeyError as exc:
        raise CtxlabError(str(exc.args[0])) from None
    return window.tokenizer, "" if window.exact else f"; approximate: {window.note}"


def _marked(text: str, result) -> str:
    """The document with each dropped char range replaced by a one-line marker."""
    out, pos = [], 0
    for start, end in result.dropped_chars:
        out.append(text[pos:start])
        out.append(f"\n[… {end - start:,} chars dropped …]\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)
