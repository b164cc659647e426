"""gpt-oss's harmony format, rendered as openai-harmony renders a conversation.

The result is a list of parts, each either a control token (``<|start|>``) or
ordinary text. Counting part by part keeps a user's ``<|end|>`` typed inside a
message what harmony makes it: plain text, never a control token.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from ctxlab.core.chat import Part

SYSTEM_PROMPT = (
    "You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n"
    "Current date: {today}\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, "
    "final. Channel must be included for every message."
)
TOOLS_CHANNEL = "\nCalls to these tools must go to the commentary channel: 'functions'."
_SCALAR_TYPES = {"string": "string", "number": "number", "integer": "number",
                 "boolean": "boolean", "null": "null"}


def _c(token: str) -> Part:
    return (f"<|{token}|>", True)


def render(messages: Sequence[dict], tools: Sequence[dict] = (), *,
           today: str | None = None) -> list[Part]:
    """The conversation primed for the assistant's reply, as harmony writes it."""
    today = today or dt.date.today().isoformat()
    system = SYSTEM_PROMPT.format(today=today) + (TOOLS_CHANNEL if tools else "")
    parts: list[Part] = [_c("start"), ("system", False), _c("message"), (system, False),
                         _c("end")]
    instructions = [m["content"] for m in messages if m["role"] in ("system", "developer")]
    if instructions or tools:
        body = "# Instructions\n\n" + "\n\n".join(instructions) if instructions else ""
        if tools:
            body += ("\n\n" if body else "") + _tools_section(tools)
        parts += [_c("start"), ("developer", False), _c("message"), (body, False), _c("end")]
    call_names: dict[str, str] = {}
    for message in messages:
        parts += _message(message, call_names)
    return parts + [_c("start"), ("assistant", False)]


def _message(message: dict, call_names: dict[str, str]) -> list[Part]:
    role, content = message["role"], message.get("content") or ""
    if role in ("system", "developer"):
        return []
    if role == "assistant":
        parts: list[Part] = []
        calls = message.get("tool_calls") or []
        if content or not calls:
            channel = "commentary" if calls else "final"
            parts += [_c("start"), ("assistant", False), _c("channel"), (channel, False),
                      _c("message"), (content, False), _c("end")]
        for call in calls:
            name = call["function"]["name"]
            call_names[call.get("id", "")] = name
            parts += [_c("start"), (f"assistant to=functions.{name}", False), _c("channel"),
                      ("commentary ", False), _c("constrain"), ("json", False), _c("message"),
                      (call["function"].get("arguments") or "", False), _c("call")]
        return parts
    if role == "tool":
        name = message.get("name") or call_names.get(message.get("tool_call_id", ""), "tool")
        return [_c("start"), (f"functions.{name} to=assistant", False), _c("channel"),
                ("commentary", False), _c("message"), (content, False), _c("end")]
    author = f"{role}:{message['name']}" if message.get("name") else role
    return [_c("start"), (author, False), _c("message"), (content, False), _c("end")]


def _tools_section(tools: Sequence[dict]) -> str:
    """The TypeScript-like ``namespace functions`` block harmony writes for function tools."""
    blocks = []
    for tool in tools:
        function = tool.get("function", tool)
        lines = [f"// {function['description']}"] if function.get("description") else []
        params = function.get("parameters") or {}
        properties = params.get("properties") or {}
        if not properties:
            lines.append(f"type {function['name']} = () => any;")
        else:
            lines.append(f"type {function['name']} = (_: {{")
            required = set(params.get("required") or ())
            for prop, schema in properties.items():
                if schema.get("description"):
                    lines.append(f"// {schema['description']}")
                optional = "" if prop in required else "?"
                default = (f" // default: {_default(schema['default'])}"
                           if "default" in schema else "")
                lines.append(f"{prop}{optional}: {_ts_type(schema)},{default}")
            lines.append("}) => any;")
        blocks.append("\n".join(lines))
    return "# Tools\n\n## functions\n\nnamespace functions {\n\n" + "\n\n".join(blocks) + \
        "\n\n} // namespace functions"


def _ts_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"{_ts_type(schema.get('items') or {})}[]"
    if kind == "object":
        return "object"
    return _SCALAR_TYPES.get(kind, "any") if isinstance(kind, str) else "any"


def _default(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
