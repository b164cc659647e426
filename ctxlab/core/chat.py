"""Chat messages as the model really sees them: templates, templated counts, and trimming.

The template is chosen by tokenizer: OpenAI's documented per-message overhead
for cl100k/o200k chat models (their ChatML special tokens are not in the public
encodings, so the count follows the cookbook), the harmony format for gpt-oss
(``chat_harmony``, as openai-harmony renders it), Meta's Llama formats
(``chat_llama``), Mistral's instruct versions (``chat_mistral``), and otherwise
a tokenizer's own Jinja ``chat_template`` rendered by transformers (imported
only here, only then).

Messages are OpenAI-shaped: ``role``, ``content`` (``null`` for a tool call),
optional ``name``, ``tool_calls`` and ``tool_call_id``; ``tools`` holds the
function definitions sent with them.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

Message = dict[str, Any]
Part = tuple[str, bool]  # a rendered template piece: (text, is one control token)

# OpenAI cookbook, "How to count tokens with tiktoken" (gpt-3.5-turbo-0613 onwards).
TOKENS_PER_MESSAGE = 3  # <|start|>{role/name}\n{content}<|end|>\n
TOKENS_PER_NAME = 1
REPLY_PRIMER = 3  # every reply is primed with <|start|>assistant<|message|>
COOKBOOK_ENCODINGS = ("cl100k_base", "o200k_base")
HARMONY_ENCODING = "o200k_harmony"
# OpenAI cookbook, "counting tokens for chat completions with tool calls" (gpt-4o and gpt-4).
TOOL_TOKENS = {"function": 7, "properties": 3, "property": 3, "enum": -3, "enum_item": 3,
               "end": 12}


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


@dataclass(frozen=True)
class Chat:
    messages: list[Message]
    tools: list[dict]  # function definitions sent with the messages


def load_messages(path: str | Path) -> list[Message]:
    """The messages of a chat file (see ``load_chat``)."""
    return load_chat(path).messages


def load_chat(path: str | Path) -> Chat:
    """An OpenAI-style ``[{"role", "content", ...}]`` list, or ``{"messages": [...], "tools"}``."""
    from ctxlab.core.json_file import JSONFileError, load_json

    try:  # bounded, BOM-tolerant, every failure one line
        data = load_json(path, what="chat", expect=object)
    except JSONFileError as exc:
        raise ChatError(str(exc)) from None
    tools: Any = []
    if isinstance(data, dict):
        tools = data.get("tools") or []
        data = data.get("messages")
    if not isinstance(tools, list):
        raise ChatError(f"{path}: 'tools' must be a list of function definitions")
    return Chat(parse_messages(data, path), [_tool(t, i + 1, path) for i, t in enumerate(tools)])


def parse_messages(data, where) -> list[Message]:
    """Validated messages from an already-parsed value (a file's, or one dataset record's)."""
    if not isinstance(data, list) or not data:
        raise ChatError(f"{where}: expected a non-empty JSON list of messages")
    return [_message(m, i + 1, where) for i, m in enumerate(data)]


def _tool(raw, number: int, path) -> dict:
    function = raw.get("function", raw) if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ChatError(f"{path}: tool {number} needs a function with a string 'name'")
    if not isinstance(function.get("parameters", {}), dict):
        raise ChatError(f"{path}: tool {number}: 'parameters' must be a JSON schema object")
    return {"type": "function", "function": function}


def _message(raw, number: int, path) -> Message:
    where = f"{path}: message {number}"
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise ChatError(f"{where} needs a string 'role'")
    calls = raw.get("tool_calls")
    content = raw.get("content", "")
    if content is None and (calls or raw["role"] == "tool"):
        content = ""  # a tool call carries its arguments instead of content
    if isinstance(content, list):  # content parts: only text parts carry tokens we can count
        if any(not isinstance(p, dict) or p.get("type") != "text" for p in content):
            raise ChatError(f"{where}: only text content parts can be counted")
        content = "".join(str(p.get("text", "")) for p in content)
    if not isinstance(content, str):
        raise ChatError(f"{where}: 'content' must be a string or a list of text parts")
    message: Message = {"role": raw["role"], "content": content}
    if isinstance(raw.get("name"), str):
        message["name"] = raw["name"]
    if calls is not None:
        message["tool_calls"] = [_tool_call(c, where) for c in _listed(calls, where)]
    if isinstance(raw.get("tool_call_id"), str):
        message["tool_call_id"] = raw["tool_call_id"]
    return message


def _listed(calls, where: str) -> list:
    if not isinstance(calls, list):
        raise ChatError(f"{where}: 'tool_calls' must be a list")
    return calls


def _tool_call(raw, where: str) -> dict:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ChatError(f"{where}: each tool call needs a function with a string 'name'")
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    call = {"type": "function", "function": {"name": function["name"], "arguments": arguments}}
    if isinstance(raw.get("id"), str):
        call["id"] = raw["id"]
    return call


def _raw_tokens(tokenizer, messages: Sequence[Message]) -> int:
    """Tokens of what the messages say: contents and tool-call arguments, no template."""
    return sum(tokenizer.count(m.get("content") or "") + sum(
        tokenizer.count(c["function"]["arguments"]) for c in m.get("tool_calls", ()))
        for m in messages)


def count_chat(tokenizer, messages: Sequence[Message], *, tools: Sequence[dict] = (),
               today: str | None = None) -> ChatCount:
    """Tokens ``messages`` (and ``tools``) take once templated, ready for the assistant's reply."""
    from ctxlab.core import chat_harmony, chat_llama, chat_mistral

    name = tokenizer.info.name
    raw = _raw_tokens(tokenizer, messages)
    if name in COOKBOOK_ENCODINGS:
        return ChatCount(name, "OpenAI cookbook overhead", raw,
                         cookbook_count(tokenizer, messages, tools), render_cookbook(messages))
    if name == HARMONY_ENCODING:
        parts = chat_harmony.render(messages, tools, today=today)
        return _parts_count(tokenizer, "harmony", raw, parts)
    if name in chat_llama.FORMATS:
        parts = chat_llama.render(messages, chat_llama.FORMATS[name], tools, today=today)
        return _parts_count(tokenizer, "Meta's ChatFormat (llama_models)", raw, parts)
    if name in chat_mistral.VERSIONS:
        version = chat_mistral.VERSIONS[name]
        parts = chat_mistral.render(messages, tools, version, name)
        return _parts_count(tokenizer, f"Mistral instruct v{version} (mistral_common)", raw,
                            parts)
    template = find_chat_template(tokenizer)
    if template is None:
        raise ChatError(f"{name}: its files carry no chat_template (try a tokenizer directory "
                        "whose tokenizer_config.json has one)")
    text = render_jinja(template, messages, tools)
    return ChatCount(name, f"chat_template from {Path(template.source).name}", raw,
                     tokenizer.count(text, allow_special=True), text)


def _parts_count(tokenizer, template: str, raw: int, parts: list[Part]) -> ChatCount:
    """Control parts are one token each; text parts are ordinary text, whatever they contain."""
    total = sum(1 if control else tokenizer.count(text) for text, control in parts)
    return ChatCount(tokenizer.info.name, template, raw, total, "".join(t for t, _ in parts))


def cookbook_count(tokenizer, messages: Sequence[Message], tools: Sequence[dict] = ()) -> int:
    """OpenAI's documented count: every value's tokens plus fixed per-message overhead."""
    total = REPLY_PRIMER + _cookbook_tools(tokenizer, tools)
    for message in messages:
        total += TOKENS_PER_MESSAGE + tokenizer.count(message.get("content") or "")
        total += tokenizer.count(message["role"])
        if "name" in message:
            total += TOKENS_PER_NAME + tokenizer.count(message["name"])
        total += tokenizer.count(message.get("tool_call_id", ""))
        for call in message.get("tool_calls", ()):
            function = call["function"]
            total += tokenizer.count(function["name"]) + tokenizer.count(function["arguments"])
    return total


def _cookbook_tools(tokenizer, tools: Sequence[dict]) -> int:
    """The cookbook's estimate for function definitions: name, description, each property."""
    if not tools:
        return 0
    total = TOOL_TOKENS["end"]
    for tool in tools:
        function = tool["function"]
        total += TOOL_TOKENS["function"]
        total += tokenizer.count(f"{function['name']}:{_no_stop(function.get('description'))}")
        properties = (function.get("parameters") or {}).get("properties") or {}
        if properties:
            total += TOOL_TOKENS["properties"]
        for key, schema in properties.items():
            total += TOOL_TOKENS["property"]
            for item in schema.get("enum", ()) if "enum" in schema else ():
                total += TOOL_TOKENS["enum_item"] + tokenizer.count(str(item))
            if "enum" in schema:
                total += TOOL_TOKENS["enum"]
            line = f"{key}:{schema.get('type', '')}:{_no_stop(schema.get('description'))}"
            total += tokenizer.count(line)
    return total


def _no_stop(text: str | None) -> str:
    return (text or "").removesuffix(".")


def render_cookbook(messages: Sequence[Message]) -> str:
    """The layout the cookbook describes (its control tokens are not in the public encodings)."""
    turns = "".join(
        f"<|start|>{_speaker(m)}\n{m['content']}<|end|>\n" for m in messages
    )
    return turns + "<|start|>assistant<|message|>"


def _speaker(message: Message) -> str:
    return f"{message['role']} name={message['name']}" if "name" in message else message["role"]


def render_harmony(messages: Sequence[Message], *, tools: Sequence[dict] = (),
                   today: str | None = None) -> str:
    """gpt-oss's harmony text for ``messages`` (see ``chat_harmony``)."""
    from ctxlab.core import chat_harmony

    return "".join(text for text, _ in chat_harmony.render(messages, tools, today=today))


def find_chat_template(tokenizer) -> ChatTemplate | None:
    """The Jinja template a tokenizer's files carry: GGUF metadata or tokenizer_config.json."""
    source = Path(tokenizer.info.source)
    if source.suffix.lower() == ".gguf" and source.is_file():
        return _gguf_template(source, tokenizer)
    if source.suffix.lower() == ".json" and source.is_file():
        return _config_template(source.parent)
    return None


def render_jinja(template: ChatTemplate, messages: Sequence[Message],
                 tools: Sequence[dict] = ()) -> str:
    """Render with transformers' own renderer, exactly as ``apply_chat_template`` does.

    A template is a program from the user's files: the first render of each one runs in
    a forked child with a memory cap and a time limit (``template_guard``), so a
    runaway template is one clear error, not a frozen or swapping machine.
    """
    try:
        from transformers.utils.chat_template_utils import render_jinja_template as render
    except ImportError:
        raise ChatError(
            "rendering a chat_template needs transformers: pip install 'ctxlab[hf]'"
        ) from None
    options: dict[str, Any] = dict(template.special_tokens)  # bos_token, eos_token, ...
    messages = [{**m, "content": m.get("content") or ""} for m in messages]  # templates test text
    renderer: Any = render  # annotated "-> str" upstream, but returns (texts, generation spans)

    def run() -> str:
        rendered, _ = renderer(conversations=[list(messages)], chat_template=template.template,
                               tools=list(tools) or None, add_generation_prompt=True, **options)
        return rendered[0]

    from ctxlab.core.template_guard import GuardError, guarded

    try:
        return guarded(template.template, run)
    except GuardError as exc:
        raise ChatError(f"chat_template from {template.source} {exc}") from None
    except Exception as exc:  # jinja raises many types; the template is the user's file
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ChatError(f"chat_template from {template.source} failed: {detail}") from None


def _config_template(folder: Path) -> ChatTemplate | None:
    config_path = folder / "tokenizer_config.json"
    from ctxlab.core.json_file import JSONFileError, load_json

    try:
        config = load_json(config_path, what="tokenizer_config.json")
    except JSONFileError:
        config = {}
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: [{"name": "default", "template": ...}]
        template = next((t.get("template") for t in template
                         if isinstance(t, dict) and t.get("name") == "default"), None)
    source = config_path
    jinja_file = folder / "chat_template.jinja"
    if not template and jinja_file.is_file():
        template, source = jinja_file.read_text(encoding="utf-8"), jinja_file
    if not isinstance(template, str) or not template:
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
    side = "keep-end" if strategy == "last" else "keep-start"

    def cut(k: int) -> Message:
        text = truncate(spans, k, side, tokenizer=tokenizer).kept_text
        return {**message, "content": text}

    best = _longest(len(spans) - 1, lambda k: fits(cut(k)))
    return cut(best) if best >= 1 else None
