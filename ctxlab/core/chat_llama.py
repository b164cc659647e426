"""Meta's Llama 3 and Llama 4 dialog format, as llama_models' ``ChatFormat`` encodes it.

A dialog is ``<|begin_of_text|>``, then per message a header (role between two
header controls, then a blank line), the content as plain text, and an end of
turn; a tool result is the ``ipython`` role, and a tool call is the JSON
object Meta's JSON tool format writes. The primer is an empty assistant header.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ctxlab.core.chat import Part


@dataclass(frozen=True)
class LlamaFormat:
    header_start: str
    header_end: str
    end_of_turn: str
    end_of_message: str
    eom_after_tools: bool  # Llama 4 ends tool calls and tool results with end-of-message


LLAMA3 = LlamaFormat("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>",
                     False)
LLAMA4 = LlamaFormat("<|header_start|>", "<|header_end|>", "<|eot|>", "<|eom|>", True)
FORMATS = {"llama3": LLAMA3, "llama4": LLAMA4}


def render(messages: Sequence[dict], fmt: LlamaFormat) -> list[Part]:
    parts: list[Part] = [("<|begin_of_text|>", True)]
    for message in messages:
        parts += _header(fmt, message["role"])
        parts.append((message.get("content") or "", False))
        calls = message.get("tool_calls") or [] if message["role"] == "assistant" else []
        parts += [(_tool_call_json(call["function"]), False) for call in calls]
        tool_turn = bool(calls) or message["role"] == "tool"
        end = fmt.end_of_message if fmt.eom_after_tools and tool_turn else fmt.end_of_turn
        parts.append((end, True))
    return parts + _header(fmt, "assistant")


def _header(fmt: LlamaFormat, role: str) -> list[Part]:
    shown = "ipython" if role == "tool" else role
    return [(fmt.header_start, True), (shown, False), (fmt.header_end, True), ("\n\n", False)]


def _tool_call_json(function: dict) -> str:
    """Meta's JSON tool-call text: the arguments parsed, then dumped with the name."""
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = function.get("arguments")
    return json.dumps({"type": "function", "name": function["name"], "parameters": arguments})
