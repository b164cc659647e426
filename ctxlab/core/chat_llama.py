"""Meta's Llama 3 and Llama 4 dialog format, as llama_models' ``ChatFormat`` encodes it.

A dialog is ``<|begin_of_text|>``, then per message a header (role between two
header controls, then a blank line), the content as plain text, and an end of
turn; a tool result is the ``ipython`` role, and a tool call is the JSON
object Meta's JSON tool format writes. The primer is an empty assistant header.

Tool definitions go where Meta's own chat templates for Llama 3.1 and Llama 4
put them by default: the system turn starts with ``Environment: ipython`` (for
Llama 3 followed by its knowledge-cutoff and date lines, and written even
without a system message), and the first user turn starts with the
instruction to answer with a JSON call, then each definition as indented JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ctxlab.core.chat import ChatError, Part

ENVIRONMENT = "Environment: ipython\n"
LLAMA3_DATES = "Cutting Knowledge Date: December 2023\nToday Date: {today}\n\n"
TOOLS_INSTRUCTION = (
    "Given the following functions, please respond with a JSON for a function call with its "
    "proper arguments that best answers the given prompt.\n\n"
    'Respond in the format {"name": function name, "parameters": dictionary of argument name '
    'and its value}.Do not use variables.\n\n')


@dataclass(frozen=True)
class LlamaFormat:
    header_start: str
    header_end: str
    end_of_turn: str
    end_of_message: str
    eom_after_tools: bool  # Llama 4 ends tool calls and tool results with end-of-message
    dated_system: bool  # Llama 3.1's template always writes a system turn with dates


LLAMA3 = LlamaFormat("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>",
                     False, True)
LLAMA4 = LlamaFormat("<|header_start|>", "<|header_end|>", "<|eot|>", "<|eom|>", True, False)
FORMATS = {"llama3": LLAMA3, "llama4": LLAMA4}


def render(messages: Sequence[dict], fmt: LlamaFormat, tools: Sequence[dict] = (), *,
           today: str | None = None) -> list[Part]:
    """The dialog primed for the assistant's reply (``today``: ISO date for Llama 3's line)."""
    parts: list[Part] = [("<|begin_of_text|>", True)]
    if tools:
        tool_parts, messages = _tool_turns(messages, fmt, tools, today)
        parts += tool_parts
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


def _tool_turns(messages: Sequence[dict], fmt: LlamaFormat, tools: Sequence[dict],
                today: str | None) -> tuple[list[Part], Sequence[dict]]:
    """The system and first user turns with the tool definitions, and the messages left."""
    parts: list[Part] = []
    system = None
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"].strip(), messages[1:]
    if system is not None or fmt.dated_system:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
        dates = LLAMA3_DATES.format(today=day.strftime("%d %b %Y")) if fmt.dated_system else ""
        parts += _header(fmt, "system")
        parts += [(ENVIRONMENT + dates + (system or ""), False), (fmt.end_of_turn, True)]
    if not messages or messages[0]["role"] != "user":
        raise ChatError("Llama's tool definitions go in the first user message; the chat "
                        "has none after its system message")
    definitions = "".join(json.dumps(tool, indent=4, ensure_ascii=False) + "\n\n"
                          for tool in tools)
    parts += _header(fmt, "user")
    parts += [(TOOLS_INSTRUCTION + definitions + messages[0]["content"].strip(), False),
              (fmt.end_of_turn, True)]
    return parts, messages[1:]
