"""Chat messages as the model really sees them: templates, templated counts, and trimming.

Three templates, chosen by tokenizer: OpenAI's documented per-message overhead
for cl100k/o200k chat models (their ChatML special tokens are not in the public
encodings, so the count follows the cookbook), the harmony format for gpt-oss
(rendered and tokenized with ``o200k_harmony``), and a tokenizer's own Jinja
``chat_template`` rendered by transformers (imported only here, only then).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

Message = dict[str, str]

# OpenAI cookbook, "How to count tokens with tiktoken" (gpt-3.5-turbo-0613 onwards).
TOKENS_PER_MESSAGE = 3  # <|start|>{role/name}\n{content}<|end|>\n
TOKENS_PER_NAME = 1
REPLY_PRIMER = 3  # every reply is primed with <|start|>assistant<|message|>
COOKBOOK_ENCODINGS = ("cl100k_base", "o200k_base")
HARMONY_ENCODING = "o200k_harmony"
_HARMONY_SYSTEM = (
    "You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n"
    "Current date: {today}\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, "
    "final. Channel must be included for every message."
)


class ChatError(UserError, ValueError):
    """A messages file or a chat template cannot be used; one line says why."""


@dataclass(frozen=True)
class ChatTemplate:
    template: str
    special_tokens: dict[str, str]  # bos_token, eos_token, ... as the template expects them
    source: str


@dataclass(frozen=True)
class ChatCount:
    tokenizer: str
    template: str  # which template produced the count
    raw_tokens: int  # message contents alone
    chat_tokens: int  # with the template's overhead and the reply primer
    rendered: str  # the templated text (illustrative for the cookbook overhead)


def load_messages(path: str | Path) -> list[Message]:
    """An OpenAI-style ``[{"role", "content", "name"?}]`` list (or ``{"messages": [...]}``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ChatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ChatError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("messages")
    return parse_messages(data, path)


def parse_messages(data, where) -> list[Message]:
    """Validated messages from an already-parsed value (a file's, or one dataset record's)."""
    if not isinstance(data, list) or not data:
        raise ChatError(f"{where}: expected a non-empty JSON list of messages")
    return [_message(m, i, where) for i, m in enumerate(data)]


def _message(raw, index: int, path) -> Message:
    where = f"{path}: message {index}"
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise ChatError(f"{where} needs a string 'role'")
    content = raw.get("content", "")
    if isinstance(content, list):  # content parts: only text parts carry tokens we can count
        if any(not isinstance(p, dict) or p.get("type") != "text" for p in content):
            raise ChatError(f"{where}: only text content parts can be counted")
        content = "".join(str(p.get("text", "")) for p in content)
    if not isinstance(content, str):
        raise ChatError(f"{where}: 'content' must be a string or a list of text parts")
    message = {"role": raw["role"], "content": content}
    if isinstance(raw.get("name"), str):
        message["name"] = raw["name"]
    return message


def count_chat(tokenizer, messages: Sequence[Message], *, today: str | None = None) -> ChatCount:
    """Tokens ``messages`` take once templated, ready for the assistant's reply."""
    name = tokenizer.info.name
    raw = sum(tokenizer.count(m["content"]) for m in messages)
    if name in COOKBOOK_ENCODINGS:
        return ChatCount(name, "OpenAI cookbook overhead", raw, cookbook_count(tokenizer, messages),
                         render_cookbook(messages))
    if name == HARMONY_ENCODING:
        text = render_harmony(messages, today=today)
        return ChatCount(name, "harmony", raw, tokenizer.count(text, allow_special=True), text)
    template = find_chat_template(tokenizer)
    if template is None:
        raise ChatError(f"{name}: its files carry no chat_template (try a tokenizer directory "
                        "whose tokenizer_config.json has one)")
    text = render_jinja(template, messages)
    return ChatCount(name, f"chat_template from {Path(template.source).name}", raw,
                     tokenizer.count(text, allow_special=True), text)


def cookbook_count(tokenizer, messages: Sequence[Message]) -> int:
    """OpenAI's documented count: every value's tokens plus fixed per-message overhead."""
    total = REPLY_PRIMER
    for message in messages:
        total += TOKENS_PER_MESSAGE + sum(tokenizer.count(v) for v in message.values())
        if "name" in message:
            total += TOKENS_PER_NAME
    return total


def render_cookbook(messages: Sequence[Message]) -> str:
    """The layout the cookbook describes (its control tokens are not in the public encodings)."""
    turns = "".join(
        f"<|start|>{_speaker(m)}\n{m['content']}<|end|>\n" for m in messages
    )
    return turns + "<|start|>assistant<|message|>"


def _speaker(message: Message) -> str:
    return f"{message['role']} name={message['name']}" if "name" in message else message["role"]


def render_harmony(messages: Sequence[Message], *, today: str | None = None) -> str:
    """gpt-oss's harmony layout: a system header, system prompts as developer instructions."""
    today = today or dt.date.today().isoformat()
    parts = [f"<|start|>system<|message|>{_HARMONY_SYSTEM.format(today=today)}<|end|>"]
    instructions = [m["content"] for m in messages if m["role"] in ("system", "developer")]
    if instructions:
        body = "\n\n".join(instructions)
        parts.append(f"<|start|>developer<|message|># Instructions\n\n{body}\n\n<|end|>")
    for m in messages:
        if m["role"] == "assistant":
            parts.append(f"<|start|>assistant<|channel|>final<|message|>{m['content']}<|end|>")
        elif m["role"] not in ("system", "developer"):
            parts.append(f"<|start|>{m['role']}<|message|>{m['content']}<|end|>")
    return "".join(parts) + "<|start|>assistant"


def find_chat_template(tokenizer) -> ChatTemplate | None:
    """The Jinja template a tokenizer's files carry: GGUF metadata or tokenizer_config.json."""
    source = Path(tokenizer.info.source)
    if source.suffix.lower() == ".gguf" and source.is_file():
        return _gguf_template(source, tokenizer)
    if source.suffix.lower() == ".json" and source.is_file():
        return _config_template(source.parent)
    return None


def render_jinja(template: ChatTemplate, messages: Sequence[Message]) -> str:
    """Render with transformers' own renderer, exactly as ``apply_chat_template`` does."""
    try:
        from transformers.utils.chat_template_utils import render_jinja_template as render
    except ImportError:
        raise ChatError(
            "rendering a chat_template needs transformers: pip install 'ctxlab[hf]'"
        ) from None
    options: dict[str, Any] = dict(template.special_tokens)  # bos_token, eos_token, ...
    renderer: Any = render  # annotated "-> str" upstream, but returns (texts, generation spans)
    try:
        rendered, _ = renderer(
            conversations=[list(messages)], chat_template=template.template,
            add_generation_prompt=True, **options,
        )
    except Exception as exc:  # jinja raises many types; the template is the user's file
        raise ChatError(f"chat_template from {template.source} failed: {exc}") from None
    return rendered[0]


def _config_template(folder: Path) -> ChatTemplate | None:
    config_path = folder / "tokenizer_config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: [{"name": "default", "template": ...}]
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    source = config_path
    jinja_file = folder / "chat_template.jinja"
    if not template and jinja_file.is_file():
        template, source = jinja_file.read_text(encoding="utf-8"), jinja_file
    if not template:
        return None
    specials = {key: value.get("content") if isinstance(value, dict) else value
                for key, value in config.items()
                if key.endswith("_token") and isinstance(value, str | dict)}
    return ChatTemplate(template, {k: v for k, v in specials.items() if v}, str(source))


def _gguf_template(path: Path, tokenizer) -> ChatTemplate | None:
    from ctxlab.core.gguf_file import read_gguf

    gguf = read_gguf(path, tensors=False)
    template = gguf.get_str("tokenizer.chat_template")
    if template is None:
        return None
    specials = {}
    for role in ("bos", "eos", "unknown", "padding"):
        token_id = gguf.get_int(f"tokenizer.ggml.{role}_token_id")
        if token_id is not None and token_id < tokenizer.info.vocab_size:
            key = {"unknown": "unk", "padding": "pad"}.get(role, role)
            specials[f"{key}_token"] = tokenizer.piece(token_id)
    return ChatTemplate(template, specials, str(path))


@dataclass(frozen=True)
class ChatTrim:
    messages: list[Message]  # what is kept, in order (one may be cut partway)
    kept: list[int]  # indices of the original messages kept, whole or in part
    dropped: list[int]
    partial: int | None  # index of the message cut partway, if any
    tokens: int  # count of ``messages``


def trim_chat(messages: Sequence[Message], budget: int,
              count_tokens: Callable[[list[Message]], int], *, strategy: str = "last",
              include_system: bool = True, allow_partial: bool = False,
              start_on_user: bool = True, tokenizer=None) -> ChatTrim:
    """Trim a chat to ``budget`` with LangChain ``trim_messages`` semantics.

    ``last`` keeps the newest messages (and the leading system message when
    ``include_system``), then drops leading turns until a user turn when
    ``start_on_user``; ``first`` keeps the oldest. ``allow_partial`` fills the
    leftover budget with part of the next message's text (needs ``tokenizer``).
    """
    if strategy not in ("first", "last"):
        raise ValueError(f"unknown chat strategy {strategy!r}: use first or last")
    if allow_partial and tokenizer is None:
        raise ValueError("partial messages need the tokenizer that cuts them")
    indexed = list(enumerate(messages))
    pinned = []
    if strategy == "last" and include_system and indexed and indexed[0][1]["role"] == "system":
        pinned, indexed = indexed[:1], indexed[1:]
    order = indexed[::-1] if strategy == "last" else indexed

    def assemble(chosen: list[tuple[int, Message]]) -> list[tuple[int, Message]]:
        return pinned + (chosen[::-1] if strategy == "last" else chosen)

    def fits(chosen: list[tuple[int, Message]]) -> bool:
        return count_tokens([m for _, m in assemble(chosen)]) <= budget

    if pinned and not fits([]):  # the system message alone is over budget: nothing fits
        return ChatTrim([], [], list(range(len(messages))), None, 0)
    whole = _longest(len(order), lambda n: fits(order[:n]))
    chosen = order[:max(whole, 0)]
    partial = None
    if allow_partial and 0 <= whole < len(order):
        index, message = order[whole]
        cut = _partial(message, strategy, tokenizer, lambda m: fits(chosen + [(index, m)]))
        if cut is not None:
            chosen, partial = chosen + [(index, cut)], index
    kept = assemble(chosen)
    if strategy == "last" and start_on_user:
        body = kept[len(pinned):]
        while body and body[0][1]["role"] != "user":
            body = body[1:]
        kept = pinned + body
        partial = partial if any(i == partial for i, _ in body) else None
    kept_ids = [i for i, _ in kept]
    return ChatTrim([m for _, m in kept], kept_ids,
                    [i for i in range(len(messages)) if i not in kept_ids], partial,
                    count_tokens([m for _, m in kept]) if kept else 0)


def _longest(limit: int, ok: Callable[[int], bool]) -> int:
    """The largest n in [0, limit] with ``ok(n)`` (``ok`` holds up to some n), or -1."""
    return bisect.bisect_right(range(limit + 1), False, key=lambda n: not ok(n)) - 1


def _partial(message: Message, strategy: str, tokenizer,
             fits: Callable[[Message], bool]) -> Message | None:
    """The longest head (``first``) or tail (``last``) of a message's text that still fits."""
    from ctxlab.core.truncation import truncate

    spans = tokenizer.encode(message["content"])
    side = "tail" if strategy == "last" else "head"

    def cut(k: int) -> Message:
        text = truncate(spans, k, side, tokenizer=tokenizer).kept_text
        return {**message, "content": text}

    best = _longest(len(spans) - 1, lambda k: fits(cut(k)))
    return cut(best) if best >= 1 else None
