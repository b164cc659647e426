"""Hostile input never hangs, never reads without bound, and ends in one line with the
documented exit code (README: 0 ok, 1 over budget, 2 usage, 3 input)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ctxlab.core.counting import MAX_JOBS_PER_CPU, worker_count
from ctxlab.core.textfile import TOO_LARGE, read_text_file
from tests.core.test_gguf_file import write_tiny


def ctxlab(*args, stdin: bytes | None = None, env: dict | None = None, shell: str | None = None):
    """Run the real CLI; any traceback, or a run over 60 s, fails the test."""
    cmd = ["bash", "-c", shell] if shell else [sys.executable, "-m", "ctxlab", *args]
    result = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60,
                            env={**os.environ, **(env or {})})
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    return result.returncode, result.stdout.decode("utf-8", "replace"), err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("ctxlab: error")]
    assert len(lines) == 1, err
    return lines[0]


def test_a_fifo_in_a_tree_is_skipped_and_reported_not_waited_on(tmp_path):
    (tmp_path / "a.txt").write_text("hi")
    os.mkfifo(tmp_path / "p")
    os.symlink("/dev/zero", tmp_path / "z")
    code, out, err = ctxlab("count", "-f", "json", "-t", "cl100k_base", str(tmp_path))
    doc = json.loads(out)
    assert code == 0 and [Path(f["path"]).name for f in doc["files"]] == ["a.txt"]
    assert {Path(s["path"]).name for s in doc["skipped"]} == {"p", "z"}
    assert "a FIFO, not a regular file" in err and "character device" in err


@pytest.mark.parametrize("args", [["tokenize", "-f", "/dev/zero"], ["fit", "/dev/zero"],
                                  ["truncate", "/dev/zero", "--budget", "5"],
                                  ["count", "/dev/zero"]])
def test_devices_named_explicitly_are_read_bounded(args):
    code, _, err = ctxlab(*args)
    assert code == 3 and ("binary" in err or "NUL bytes" in err)


def test_the_byte_limit_holds_for_an_endless_stream(tmp_path):
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:
        try:
            with open(fifo, "wb") as out:
                while not stop.is_set():
                    out.write(b"word " * 4096)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    found = read_text_file(fifo, max_bytes=1 << 20)
    stop.set()
    assert found.status == TOO_LARGE and found.size == (1 << 20) + 1


def test_fifos_process_substitution_and_dev_stdin_are_read_as_streams(tmp_path):
    code, out, _ = ctxlab(shell=f"{sys.executable} -m ctxlab count -f json -t cl100k_base "
                                "<(printf 'hello world')")
    doc = json.loads(out)
    assert code == 0 and doc["totals"]["tokens"]["cl100k_base"] == 2
    code, out, _ = ctxlab("count", "-f", "json", "-t", "cl100k_base", "/dev/stdin",
                          stdin=b"hello world")
    assert code == 0 and json.loads(out)["totals"]["tokens"]["cl100k_base"] == 2


def test_overlapping_arguments_count_each_file_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("one two")
    (tmp_path / "sub" / "b.txt").write_text("three")
    code, out, _ = ctxlab("count", "-f", "json", "-t", "cl100k_base", str(tmp_path),
                          str(tmp_path / "sub"), str(tmp_path / "a.txt"), "--budget", "3")
    doc = json.loads(out)
    assert len(doc["files"]) == 2 and doc["totals"]["tokens"]["cl100k_base"] == 3 and code == 0


@pytest.fixture(scope="module")
def bomb_gguf(tmp_path_factory):
    """A GGUF whose vocabulary array claims 2**40 entries."""
    folder = tmp_path_factory.mktemp("bomb")
    data = write_tiny(folder / "ok.gguf").read_bytes()
    at = data.index(b"tokenizer.ggml.tokens") + len(b"tokenizer.ggml.tokens") + 8
    (folder / "bomb.gguf").write_bytes(data[:at] + struct.pack("<Q", 2**40) + data[at + 8:])
    (folder / "cut.gguf").write_bytes(data[:300])
    return folder


@pytest.mark.parametrize("args", [["tokenize", "hi", "-t", "{}/bomb.gguf"],
                                  ["fit", "-", "--arch", "{}/bomb.gguf"],
                                  ["model", "info", "{}/bomb.gguf"],
                                  ["model", "info", "{}/cut.gguf"]])
def test_crafted_and_truncated_gguf_files_are_one_line(bomb_gguf, args):
    code, _, err = ctxlab(*(a.format(bomb_gguf) for a in args), stdin=b"hi")
    assert code in (2, 3) and "GGUF" in one_line(err)


def test_a_gguf_without_a_vocabulary(tmp_path):
    (tmp_path / "novocab.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    code, _, err = ctxlab("tokenize", "hi", "-t", str(tmp_path / "novocab.gguf"))
    assert code == 2 and "no vocabulary" in one_line(err)


@pytest.mark.parametrize(("config", "expected"), [
    ([1, 2], "should be an object, not an array"),
    ({"num_attention_heads": "12", "hidden_size": 768, "num_hidden_layers": 2,
      "max_position_embeddings": 64, "vocab_size": 10}, "should be an integer"),
    ({"num_attention_heads": 0, "hidden_size": 768, "num_hidden_layers": 2,
      "max_position_embeddings": 64, "vocab_size": 10}, "must be at least 1"),
])
def test_malformed_config_json_is_one_line(tmp_path, config, expected):
    (tmp_path / "config.json").write_text(json.dumps(config))
    code, _, err = ctxlab("fit", "-", "--arch", str(tmp_path / "config.json"), stdin=b"hi")
    assert code == 3 and expected in one_line(err)


def _checkpoint(folder: Path, *, q_rows: int = 8) -> Path:
    """A one-layer Llama checkpoint holding just its first tensor (q_proj)."""
    import numpy as np

    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "llama", "num_attention_heads": 2, "hidden_size": 8,
        "num_hidden_layers": 1, "max_position_embeddings": 64, "vocab_size": 10,
        "intermediate_size": 16}))
    (folder / "tokenizer.json").write_text("{}")
    tensors = {"model.layers.0.self_attn.q_proj.weight": np.zeros((q_rows, 8), np.float32)}
    header, blobs, offset = {}, b"", 0
    for name, array in tensors.items():
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs += raw
        offset += len(raw)
    head = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(head)) + head + blobs)
    return folder


def test_a_safetensors_that_is_not_one_and_a_shape_mismatch(tmp_path):
    fake = _checkpoint(tmp_path / "fake")
    (fake / "model.safetensors").write_bytes(b"\xff" * 64)
    code, _, err = ctxlab("model", "info", str(fake))
    assert code == 2 and "not a safetensors file" in one_line(err)
    wrong = _checkpoint(tmp_path / "wrong", q_rows=5)
    code, _, err = ctxlab("model", "info", str(wrong))
    assert code == 2 and "has shape (5, 8), config.json implies (8, 8)" in one_line(err)


def test_non_utf8_argv_is_one_line():
    result = subprocess.run([sys.executable, "-m", "ctxlab", "tokenize", b"caf\xe9"],
                            capture_output=True, timeout=60)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 3 and "not UTF-8 (byte 0xe9)" in one_line(err)


def test_markup_and_escape_sequences_in_file_names_are_shown_literally(tmp_path):
    (tmp_path / "a[").mkdir()
    for name in ("a[/]b.txt", "y[bold red]z.txt", "e\x1b[31mx.txt"):
        (tmp_path / name).write_text("hello")
    code, out, err = ctxlab("count", "-t", "cl100k_base", str(tmp_path))
    assert code == 0, err
    assert "a[/]b.txt" in out and "y[bold red]z.txt" in out
    assert "\x1b" not in out and "e\\x1b[31mx.txt" in out


def test_an_unwritable_cache_falls_back_instead_of_crashing(tmp_path):
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    env = {"HOME": "/nonexistent", "CTXLAB_CACHE_DIR": str(readonly / "cache"),
           "TIKTOKEN_CACHE_DIR": "", "TMPDIR": str(tmp_path)}
    code, out, err = ctxlab("tokenize", "hello world", "--ids", "-t", "cl100k_base", env=env)
    assert (code, out.split()) == (0, ["15339", "1917"]), err


def test_a_memory_bomb_chat_template_is_one_clear_line(tmp_path, load_tokenizer):
    import shutil

    source = Path(load_tokenizer("deepseek-v4").info.source)
    folder = tmp_path / "tok"
    folder.mkdir()
    shutil.copy(source, folder / "tokenizer.json")
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"chat_template": "{{ 'x' * 100000000000 }}"}))
    chat = tmp_path / "chat.json"
    chat.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"role": "user", "content": "hi"}]).encode())
    code, _, err = ctxlab("count", "--chat", str(chat), "-t", str(folder / "tokenizer.json"))
    assert code == 2 and "needs more than" in one_line(err) and "memory" in err


def test_jobs_are_capped_and_negative_jobs_refused(tmp_path):
    cpus = os.cpu_count() or 1
    assert worker_count(1000, 40) == min(40, cpus * MAX_JOBS_PER_CPU)
    assert worker_count(0, 40) == cpus and worker_count(8, 1) == 1
    code, _, err = ctxlab("count", "-j", "-3", str(tmp_path))
    assert code == 2 and "-3" in err


@pytest.mark.parametrize("args", [
    ["count", "--tree", "--depth", "-1"], ["count", "--tree", "--top", "-1"],
    ["count", "--tree", "--min-share", "-0.5"], ["count", "--tree", "--min-share", "2"],
    ["split", "--max-tokens", "0"], ["split", "--max-tokens", "5", "--overlap", "-1"]])
def test_nonsense_numbers_are_usage_errors(tmp_path, args):
    (tmp_path / "a.txt").write_text("hello world")
    code, out, err = ctxlab(args[0], str(tmp_path / "a.txt"), *args[1:])
    assert code == 2 and out == "" and f"Invalid value for '{args[-2]}'" in err


def test_split_refuses_an_overlap_as_big_as_the_budget_before_reading_anything(tmp_path):
    code, _, err = ctxlab("split", str(tmp_path / "missing.txt"), "-n", "5", "-k", "5")
    assert code == 2 and "--overlap must be" in one_line(err)


def test_machine_formats_carry_problems_and_an_unambiguous_total(tmp_path):
    (tmp_path / "TOTAL").write_text("hello world")
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    code, out, _ = ctxlab("count", "-f", "csv", "-t", "cl100k_base", str(tmp_path))
    rows = out.strip().splitlines()
    assert rows[0] == "path,status,bytes,chars,words,cl100k_base,detail"
    assert rows[-1] == ",total,11,11,2,2," and code == 3
    assert any(r.endswith(",problem,,,,,broken or looping symlink") for r in rows)
    _, out, _ = ctxlab("count", "-f", "jsonl", "-t", "cl100k_base", str(tmp_path))
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["file", "problem", "total"]


def test_json_is_json_for_tree_chat_and_ids(tmp_path):
    (tmp_path / "a.txt").write_text("hello world")
    _, out, _ = ctxlab("count", "--tree", "-f", "json", "-t", "cl100k_base", str(tmp_path))
    assert json.loads(out)["tree"][0]["tokens"] == 2
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "hi"}]))
    _, out, _ = ctxlab("count", "--chat", str(chat), "-f", "json", "-t", "cl100k_base")
    assert json.loads(out)["tokenizers"][0]["raw"] == 1
    _, out, _ = ctxlab("tokenize", "hello world", "--ids", "--format", "json", "-t", "cl100k_base")
    assert json.loads(out)["ids"] == [15339, 1917]


def test_tree_of_an_absolute_path_reaches_the_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("hello world")
    _, out, _ = ctxlab("count", "--tree", "--depth", "2", "-t", "cl100k_base", str(tmp_path))
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == [str(tmp_path / "d"), "a.txt"]


@pytest.mark.parametrize("command", [["tokenize", "-f"], ["fit"], ["truncate", "--budget", "5"]])
def test_unreadable_inputs_exit_3(tmp_path, command):
    (tmp_path / "dir").mkdir()
    code, _, err = ctxlab(*command, str(tmp_path / "dir"))
    assert code == 3 and one_line(err)


def test_fit_respects_the_catalogue_input_limit():
    from ctxlab.core.windows import fill, window_for_model

    window = window_for_model("github-copilot/gpt-4o")
    assert window.input_limit == 64_000
    assert fill(window, 70_001).band == "over" and fill(window, 70_001).remaining < 0
    assert fill(window, 1_000).band == "ok"


def test_recall_refuses_zero_lengths_and_empty_needle_files(tmp_path):
    code, _, err = ctxlab("recall", "--lengths", "0")
    assert code == 2 and "--lengths" in err
    (tmp_path / "needles.toml").write_text("# nothing here\n")
    code, _, err = ctxlab("recall", "--needles-file", str(tmp_path / "needles.toml"))
    assert code == 2 and "no [[needle]] tables" in one_line(err)
