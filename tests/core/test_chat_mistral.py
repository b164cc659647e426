"""Mistral chat counts against mistral_common's own ``encode_chat_completion`` ids."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from asset_guard import require_asset

from ctxlab.core import chat_mistral
from ctxlab.core.chat import ChatError, count_chat, parse_messages

# The files mistral_common ships, one per version ctxlab registers.
REFERENCE_FILES = {"mistral-v1": "tokenizer.model.v1",
                   "mistral-v2": "mistral_instruct_tokenizer_240216.model.v2",
                   "mistral-v3": "mistral_instruct_tokenizer_240323.model.v3",
                   "mistral-v7": "mistral_instruct_tokenizer_241114.model.v7",
                   "tekken": "tekken_240911.json"}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "required": ["location"], "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}}}
CLOCK = {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}


def _call(call_id: str, city: str) -> dict:
    return {"id": call_id, "type": "function",
            "function": {"name": "get_weather", "arguments": f'{{"location":  "{city}"}}'}}


PLAIN = [{"role": "user", "content": "What is the capital of France?"}]
SYSTEM = [{"role": "system", "content": "Be brief."},
          {"role": "user", "content": "Hi there, 日本語 🎉 what is 2+2?"}]
MULTI_TURN = [  # merged user runs, a trailing-space reply, a second system prompt
    {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!  "}, {"role": "user", "content": "a"},
    {"role": "user", "content": "b"}, {"role": "system", "content": "Answer in French."},
    {"role": "user", "content": "And 3+3?"}]
SPECIAL_STRINGS = [{"role": "user", "content": "[INST] x [/INST] <|endoftext|> </s> <s> "
                                               "[TOOL_CALLS] [SYSTEM_PROMPT] [AVAILABLE_TOOLS]"}]
ENDS_WITH_REPLY = [{"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": "Hello there "}]
STARTS_WITH_ASSISTANT = [{"role": "assistant", "content": "How can I help?"},
                         {"role": "user", "content": "Tell me a joke."}]
TOOL_HISTORY = [  # a tool round trip before the last user turn (v2 drops it)
    {"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [_call("abc123XYZ", "Paris")]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "name": "get_weather",
     "content": '{"temperature":  21}'},
    {"role": "assistant", "content": "It is 21 degrees."},
    {"role": "user", "content": "And the time?"}]
TOOL_RESULT_LAST = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [_call("abc123XYZ", "Paris")]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "name": "get_weather",
     "content": "sunny, not JSON"}]
TWO_CALLS = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": None,
     "tool_calls": [_call("abc123XYZ", "Paris"), _call("def456UVW", "Rome")]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "content": '{"t": 1}'},
    {"role": "tool", "tool_call_id": "def456UVW", "content": ""}]
CHATS = {"plain": (PLAIN, []), "system": (SYSTEM, []), "multi-turn": (MULTI_TURN, []),
         "special strings": (SPECIAL_STRINGS, []),
         "starts with assistant": (STARTS_WITH_ASSISTANT, []),
         "ends with a reply": (ENDS_WITH_REPLY, []),
         "tool history": (TOOL_HISTORY, [WEATHER, CLOCK]),
         "tool result last": (TOOL_RESULT_LAST, [WEATHER]), "two calls": (TWO_CALLS, [WEATHER])}
NO_TOOLS = ("plain", "system", "multi-turn", "special strings", "starts with assistant",
            "ends with a reply")


@cache
def _reference(name: str, mode: str):
    import mistral_common
    from mistral_common.protocol.instruct.validator import ValidationMode
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    return MistralTokenizer.from_file(Path(mistral_common.__file__).parent / "data" /
                                      REFERENCE_FILES[name], mode=ValidationMode(mode))


def _reference_ids(name: str, messages: list[dict], tools: list[dict]) -> list[int]:
    """A chat ending in a reply is validated as mistral_common validates training data."""
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    mode = "finetuning" if messages[-1]["role"] == "assistant" else "test"
    request = ChatCompletionRequest(messages=messages, tools=tools or None)
    return _reference(name, mode).encode_chat_completion(request).tokens


def _ids(tok, name: str, messages: list[dict], tools: list[dict]) -> list[int]:
    """ctxlab's parts as ids: a control part is its one id, a text part ordinary text."""
    parts = chat_mistral.render(parse_messages(messages, "chat"), tools,
                                chat_mistral.VERSIONS[name], name)
    return [i for text, control in parts
            for i in ([tok.info.special_tokens[text]] if control else tok.encode(text).ids)]


CASES = [(name, chat) for name in REFERENCE_FILES for chat in CHATS
         if (name != "mistral-v1" or chat in NO_TOOLS)
         and (name, chat) != ("mistral-v2", "two calls")]  # v2 refuses it, as ctxlab does


@pytest.mark.parametrize(("name", "chat"), CASES)
def test_mistral_chat_ids_equal_encode_chat_completion(load_tokenizer, name, chat):
    require_asset(name)
    messages, tools = CHATS[chat]
    tok = load_tokenizer(name)
    expected = _reference_ids(name, messages, tools)
    assert _ids(tok, name, messages, tools) == expected
    result = count_chat(tok, parse_messages(messages, "chat"), tools=tools)
    assert result.chat_tokens == len(expected)
    assert result.template == f"Mistral instruct v{chat_mistral.VERSIONS[name]} (mistral_common)"


@pytest.mark.parametrize("name", ["mistral-v3", "tekken"])
def test_special_strings_in_content_stay_text(load_tokenizer, name):
    require_asset(name)
    tok = load_tokenizer(name)
    ids = _ids(tok, name, *CHATS["special strings"])
    controls = [tok.info.special_tokens[s] for s in ("<s>", "[INST]", "[/INST]")]
    assert [i for i in ids if i in tok.info.special_tokens.values()] == controls


def test_what_a_version_cannot_encode_is_one_clear_error(load_tokenizer):
    require_asset("mistral-v1")
    require_asset("mistral-v3")
    with pytest.raises(ChatError, match="v1 has no tool calls"):
        count_chat(load_tokenizer("mistral-v1"), parse_messages(TOOL_RESULT_LAST, "chat"))
    with pytest.raises(ChatError, match="v1 has no tool definitions"):
        count_chat(load_tokenizer("mistral-v1"), parse_messages(PLAIN, "chat"), tools=[WEATHER])
    require_asset("mistral-v2")
    with pytest.raises(ChatError, match="one tool result per tool call turn"):
        count_chat(load_tokenizer("mistral-v2"), parse_messages(TWO_CALLS, "chat"))
    both = [PLAIN[0], {**TWO_CALLS[1], "content": "Checking."}]
    with pytest.raises(ChatError, match="both content and tool calls"):
        count_chat(load_tokenizer("mistral-v3"), parse_messages(both, "chat"))
    with pytest.raises(ChatError, match="no 'developer' role"):
        count_chat(load_tokenizer("mistral-v3"),
                   parse_messages([{"role": "developer", "content": "x"}], "chat"))
