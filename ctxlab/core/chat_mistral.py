"""Mistral's instruct formats (v1, v2, v3, v7), as mistral_common's ``encode_chat_completion``
encodes a chat.

Two steps, as mistral_common takes them. Normalizing merges each run of
same-role messages (texts joined by a blank line, tool calls concatenated),
re-dumps tool-call arguments as JSON, and, before v7, folds every system
message into one system prompt. Encoding then writes ``<s>`` and, per
message, control tokens around plain text: ``[INST] … [/INST]`` for users,
the reply and ``</s>`` for the assistant, ``[TOOL_CALLS]`` and
``[TOOL_RESULTS]`` JSON for tools, and the tool definitions as
``[AVAILABLE_TOOLS]`` JSON before the last user turn.

Where the versions differ: v1 has no tools and puts the system prompt in the
first user turn; v2 and v3 put it in the last one; v7 writes each system
message where it stands, between ``[SYSTEM_PROMPT]`` controls. v2 drops tool
calls and results older than the last user turn; v3 and v7 keep them. Tekken
(tekken_240911) is a v3 tokenizer. A chat needs no reply primer: it ends at
``[/INST]``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ctxlab.core.chat import ChatError, Message, Part

VERSIONS = {"mistral-v1": 1, "mistral-v2": 2, "mistral-v3": 3, "mistral-v7": 7, "tekken": 3}
ROLES = ("system", "user", "assistant", "tool")
JOIN = "\n\n"  # between the texts of merged messages, and after a system prompt


@dataclass
class _Turn:
    role: str
    content: str = ""
    calls: list[dict] = field(default_factory=list)
    call_id: str | None = None
    name: str | None = None


def render(messages: Sequence[Message], tools: Sequence[dict], version: int,
           name: str) -> list[Part]:
    """The chat as Mistral's tokenizer ``version`` encodes it (``name`` is for errors)."""
    _check(messages, tools, version, name)
    turns, system = _normalize(messages, version, name)
    users = [i for i, turn in enumerate(turns) if turn.role == "user"]
    first_user, last_user = (users[0], users[-1]) if users else (-1, -1)
    parts: list[Part] = [("<s>", True)]
    for index, turn in enumerate(turns):
        older = index < last_user  # before the last user turn
        if turn.role == "user":
            parts += _user(turn, version, system, tools, index == first_user,
                           index == last_user)
        elif turn.role == "assistant":
            parts += _assistant(turn, version, older, name)
        elif turn.role == "tool":
            parts += _tool_result(turn, version, older)
        else:  # a v7 system message, in place
            parts += [("[SYSTEM_PROMPT]", True), (turn.content, False),
                      ("[/SYSTEM_PROMPT]", True)]
    return parts


def _check(messages: Sequence[Message], tools: Sequence[dict], version: int,
           name: str) -> None:
    for number, message in enumerate(messages, 1):
        if message["role"] not in ROLES:
            raise ChatError(f"{name}: message {number}: Mistral chats have no "
                            f"{message['role']!r} role (use {', '.join(ROLES)})")
        if version == 1 and (message["role"] == "tool" or message.get("tool_calls")):
            raise ChatError(f"{name}: message {number}: tokenizer v1 has no tool calls")
        if version >= 3 and message["role"] == "tool" and "tool_call_id" not in message:
            raise ChatError(f"{name}: message {number}: v{version} needs the tool result's "
                            "'tool_call_id'")
    if version == 1 and tools:
        raise ChatError(f"{name}: tokenizer v1 has no tool definitions; count the chat "
                        "without 'tools'")


def _normalize(messages: Sequence[Message], version: int,
               name: str) -> tuple[list[_Turn], str | None]:
    """Merged turns, and (before v7) the one system prompt folded into a user turn."""
    turns: list[_Turn] = []
    for role, run in groupby(messages, key=lambda m: m["role"]):
        group = list(run)
        if role == "tool":
            turns += [_Turn("tool", m["content"] if version >= 7 else _json_text(m["content"]),
                            call_id=m.get("tool_call_id"), name=m.get("name")) for m in group]
        elif role == "system":
            turns += [_Turn("system", m["content"]) for m in group] if version >= 7 else []
        else:
            calls = [_call(c) for m in group for c in m.get("tool_calls", ())]
            turns.append(_Turn(role, _joined(m["content"] for m in group), calls))
    if not turns or (version < 7 and turns[0].role != "user"):
        turns.insert(0, _Turn("user"))
    system = _joined(m["content"] for m in messages if m["role"] == "system") or None
    if version == 2:
        _check_one_result_per_call(turns, name)
    return turns, system if version < 7 else None


def _joined(texts) -> str:
    return JOIN.join(text for text in texts if text)


def _json_text(text: str | None) -> str:
    """mistral_common's JSON normalization: valid JSON re-dumped, empty text as ``{}``."""
    if not text:
        return "{}"
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _call(call: dict) -> dict:
    return {"name": call["function"]["name"],
            "arguments": _json_text(call["function"].get("arguments")),
            "id": call.get("id") or "null"}


def _check_one_result_per_call(turns: list[_Turn], name: str) -> None:
    """v2 writes one tool result per call turn after the last user turn, and refuses more."""
    users = [i for i, turn in enumerate(turns) if turn.role == "user"]
    after_call, results = False, 0
    for turn in turns[users[-1] if users else 0:]:
        if turn.role != "tool":
            after_call, results = turn.role == "assistant" and bool(turn.calls), 0
        elif after_call and (results := results + 1) > 1:
            raise ChatError(f"{name}: tokenizer v2 takes one tool result per tool call turn")


def _user(turn: _Turn, version: int, system: str | None, tools: Sequence[dict],
          first: bool, last: bool) -> list[Part]:
    with_system = system and (first if version == 1 else last)
    content = f"{system}{JOIN}{turn.content}" if with_system else turn.content
    if version == 1:  # v1's [INST] markers are plain text
        return [(f"[INST] {content} [/INST]", False)]
    parts: list[Part] = []
    if last and tools:
        parts += [("[AVAILABLE_TOOLS]", True), (_dumps([_tool(t) for t in tools]), False),
                  ("[/AVAILABLE_TOOLS]", True)]
    return parts + [("[INST]", True), (content, False), ("[/INST]", True)]


def _tool(tool: dict) -> dict:
    function = tool["function"]
    return {"type": "function", "function": {
        "name": function["name"], "description": function.get("description") or "",
        "parameters": function.get("parameters") or {}}}


def _assistant(turn: _Turn, version: int, older: bool, name: str) -> list[Part]:
    if not turn.content and not turn.calls:
        raise ChatError(f"{name}: an assistant message needs content or tool calls")
    if version < 7 and turn.content and turn.calls:
        raise ChatError(f"{name}: before v7 an assistant turn cannot carry both content and "
                        "tool calls")
    if version == 2 and turn.calls and older:
        return []  # v2 forgets tool calls made before the last user turn
    parts: list[Part] = []
    if turn.content:
        parts.append((turn.content.rstrip(" ") if version > 1 else turn.content, False))
    if turn.calls:
        calls = [{"name": c["name"], "arguments": _parsed(c["arguments"]),
                  **({"id": c["id"]} if version >= 3 and c["id"] != "null" else {})}
                 for c in turn.calls]
        parts += [("[TOOL_CALLS]", True), (_dumps(calls), False)]
    return parts + [("</s>", True)]


def _tool_result(turn: _Turn, version: int, older: bool) -> list[Part]:
    if version == 2:
        if older:
            return []
        body = _dumps([{"name": turn.name, "content": _parsed(turn.content)}])
        return [("[TOOL_RESULTS]", True), (body, False), ("[/TOOL_RESULTS]", True)]
    if version == 3:
        body = _dumps({"content": _parsed(turn.content), "call_id": turn.call_id})
        return [("[TOOL_RESULTS]", True), (body, False), ("[/TOOL_RESULTS]", True)]
    return [("[TOOL_RESULTS]", True), (turn.call_id or "", False), ("[TOOL_CONTENT]", True),
            (turn.content, False), ("[/TOOL_RESULTS]", True)]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
