"""Every file format ctxlab parses, corrupted a few hundred ways: each case is accepted or
refused with one line (a ``UserError``), in under 5 s of CPU and 500 MB, never a traceback.

Most cases run in-process (fast); SentencePiece's native parser runs in a child so a
crash would be seen as a crash, and a handful of CLI runs check exit codes end to end.
"""

from __future__ import annotations

import json
import os
import random
import resource
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ctxlab.core.errors import UserError
from tests.core.test_gguf_file import write_tiny

CPU_SECONDS = 5.0
RSS_BYTES = 500 << 20
SEED = 11
EXTREMES = [0, 1, 2**31 - 1, 2**32 - 1, 2**40, 2**62, 2**63 - 1, 2**64 - 1]


def byte_mutants(data: bytes, count: int, rng: random.Random) -> list[bytes]:
    """Truncations, bit flips, deletions, insertions, and u64 fields set to extremes."""
    out = []
    for i in range(count):
        kind = i % 5
        at = rng.randrange(len(data))
        if kind == 0:
            out.append(data[:at])
        elif kind == 1:
            out.append(data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:])
        elif kind == 2:
            out.append(data[:at] + data[at + rng.randrange(1, 64):])
        elif kind == 3:
            out.append(data[:at] + rng.randbytes(rng.randrange(1, 16)) + data[at:])
        else:
            at -= at % 4
            out.append(data[:at] + struct.pack("<Q", rng.choice(EXTREMES)) + data[at + 8:])
    return out


def json_mutants(value, count: int, rng: random.Random) -> list[bytes]:
    """Values swapped for other types, keys dropped, absurd numbers, deep nesting, plus bytes."""
    text = json.dumps(value)
    swaps = ['"x"', "-1", "0", "1e309", "123456789012345678901234567890", "null", "[]", "{}",
             "true", '"' + "a" * 10000 + '"', "[" * 50_000 + "]" * 50_000]
    out = []
    for i in range(count):
        if i % 3 == 2:
            out.extend(byte_mutants(text.encode(), 1, rng))
            continue
        mutated = json.loads(text)
        _swap(mutated, rng, swaps[i % len(swaps)] if i % 3 == 0 else None)
        out.append(json.dumps(mutated).replace('"__RAW__"', swaps[i % len(swaps)]).encode())
    return out


def _swap(node, rng: random.Random, raw: str | None) -> None:
    """Replace (or delete, when ``raw`` is None) one random leaf of a JSON tree."""
    path = []
    while isinstance(node, dict | list) and node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return
    parent, key = path[rng.randrange(len(path))]
    if raw is None:
        del parent[key]
    else:
        parent[key] = "__RAW__"


def check_case(load: Callable[[Path], object], path: Path, data: bytes) -> str | None:
    """Run ``load`` on one mutant; None if it behaved, else what went wrong."""
    path.write_bytes(data)
    start = time.process_time()
    try:
        load(path)
    except UserError as exc:
        message = str(exc)
        if not message or "\n" in message:
            return f"error is not one line: {message!r}"
    except Exception as exc:  # noqa: BLE001 - exactly what the test is looking for
        return f"{type(exc).__name__}: {exc}"[:300]
    spent = time.process_time() - start
    return f"took {spent:.1f} s of CPU" if spent > CPU_SECONDS else None


def run_cases(load, tmp_path: Path, name: str, mutants: list[bytes]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    failures = []
    for i, data in enumerate(mutants):
        problem = check_case(load, tmp_path / name, data)
        if problem:
            (tmp_path / f"failing-{i}-{name}").write_bytes(data)
            failures.append(f"case {i}: {problem}")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert not failures, "\n".join(failures[:10])
    assert grown < RSS_BYTES


def _gguf_tokenizer(path: Path) -> None:
    from ctxlab.core.architecture import from_gguf
    from ctxlab.core.gguf_file import read_gguf
    from ctxlab.core.tokenizers.gguf_backend import GGUFTokenizer

    gguf = read_gguf(path)
    for name in gguf.tensors:
        gguf.dequantize(name)
    GGUFTokenizer.from_file(path).count("hello world")
    from_gguf(path)


def test_gguf(tmp_path):
    seed = write_tiny(tmp_path / "seed.gguf", metadata={"llama.feed_forward_length": "x"})
    mutants = byte_mutants(seed.read_bytes(), 100, random.Random(SEED))
    run_cases(_gguf_tokenizer, tmp_path, "m.gguf", mutants)


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, b"", 0
    for name, array in tensors.items():
        raw = array.tobytes()
        header[name] = {"dtype": {np.float32: "F32", np.float16: "F16"}[array.dtype.type],
                        "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs += raw
        offset += len(raw)
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + blobs


def test_safetensors_header(tmp_path):
    from ctxlab.core.model.safetensors_weights import read_safetensors

    seed = safetensors_bytes({"a.weight": np.ones((4, 3), np.float32),
                              "b.bias": np.zeros(5, np.float16)})
    rng = random.Random(SEED)
    head_len = struct.unpack("<Q", seed[:8])[0]
    header = json.loads(seed[8:8 + head_len])
    mutants = byte_mutants(seed, 40, rng)
    for raw in json_mutants(header, 40, rng):
        mutants.append(struct.pack("<Q", len(raw)) + raw + seed[8 + head_len:])
    run_cases(read_safetensors, tmp_path, "m.safetensors", mutants)


def _tiny_tokenizer_json() -> dict:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.BPE(vocab={"a": 0, "b": 1, "ab": 2, "Ġ": 3, "c": 4},
                               merges=[("a", "b")], unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    return json.loads(tok.to_str())


def _hf(path: Path) -> None:
    from ctxlab.core.tokenizers.hf_backend import HFTokenizer

    HFTokenizer.from_file(path).count("ab cab")


def test_tokenizer_json(tmp_path):
    run_cases(_hf, tmp_path, "tokenizer.json",
              json_mutants(_tiny_tokenizer_json(), 60, random.Random(SEED)))


def _config(path: Path) -> None:
    from ctxlab.core.architecture import from_config_json

    from_config_json(path)


def test_config_json(tmp_path):
    config = {"model_type": "llama", "num_attention_heads": 9, "num_key_value_heads": 3,
              "hidden_size": 576, "num_hidden_layers": 30, "max_position_embeddings": 8192,
              "vocab_size": 49152, "intermediate_size": 1536, "rms_norm_eps": 1e-5,
              "text_config": None, "rope_scaling": {"type": "default"}}
    del config["text_config"]
    run_cases(_config, tmp_path, "config.json", json_mutants(config, 50, random.Random(SEED)))


def _chat(path: Path) -> None:
    from ctxlab.core.chat import load_messages

    load_messages(path)


def test_chat_json(tmp_path):
    chat = {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Hi", "name": "ann"}]}
    run_cases(_chat, tmp_path, "chat.json", json_mutants(chat, 40, random.Random(SEED)))


def _lesson(path: Path) -> None:
    from ctxlab.core.lessons.loader import load_lesson_file

    load_lesson_file(path)


def test_toml_lesson(tmp_path):
    from ctxlab.core.lessons.loader import lessons_dir

    seed = (lessons_dir() / "tokens-not-words.toml").read_bytes()
    rng = random.Random(SEED)
    mutants = byte_mutants(seed, 30, rng)
    for old, new in ((b"[[step]]", b"step = 3"), (b"[[step]]", b"[step]"), (b'"', b"1"),
                     (b"=", b"= []\nx ="), (b"title", b"number")):
        mutants += [seed.replace(old, new, 1), seed.replace(old, new)]
    run_cases(_lesson, tmp_path, "lesson.toml", mutants)


SPM_CHILD = """
import sys
from pathlib import Path
from ctxlab.core.errors import UserError
from ctxlab.core.tokenizers.sentencepiece_backend import SentencePieceTokenizer
for name in sys.argv[1:]:
    try:
        SentencePieceTokenizer(Path(name)).count("hello world")
        print("ok")
    except UserError as exc:
        print("error" if "\\n" not in str(exc) else "multi-line")
"""


def test_sentencepiece_model_in_a_child(tmp_path):
    import sentencepiece as spm

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the dragon was red and the knight was brave\n" * 50)
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "tiny"),
                                   vocab_size=20, normalization_rule_name="identity",
                                   minloglevel=3)
    seed = (tmp_path / "tiny.model").read_bytes()
    names = []
    for i, data in enumerate(byte_mutants(seed, 40, random.Random(SEED))):
        (tmp_path / f"m{i}.model").write_bytes(data)
        names.append(str(tmp_path / f"m{i}.model"))
    result, _, peak = _run_measured(SPM_CHILD, names)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.stdout.split()) <= {"ok", "error"}
    assert len(result.stdout.split()) == len(names)
    assert 0 < peak < RSS_BYTES


# Appended to a child's stderr at exit: its own peak RSS. (wait4's ru_maxrss would include
# the RSS of this test process, which a forked child inherits until it execs.)
PEAK_REPORT = ("import atexit, sys\n"
               "def _peak():\n"
               "    for line in open('/proc/self/status'):\n"
               "        if line.startswith('VmHWM'):\n"
               "            sys.stderr.write('\\nPEAK-KB ' + line.split()[1] + '\\n')\n"
               "atexit.register(_peak)\n")


def _run_measured(code: str, args: list[str], stdin: bytes = b""):
    """Run ``python -c code args``; the result, its CPU seconds and its own peak RSS in bytes."""
    import threading

    proc = subprocess.Popen([sys.executable, "-c", PEAK_REPORT + code, *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    streams = {}
    readers = [threading.Thread(target=lambda s=s: streams.__setitem__(s, s.read()))
               for s in (proc.stdout, proc.stderr)]
    for reader in readers:
        reader.start()
    proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    out, err = (streams[s].decode("utf-8", "replace") for s in (proc.stdout, proc.stderr))
    err, _, peak = err.rpartition("\nPEAK-KB ")
    result = subprocess.CompletedProcess(args, proc.returncode, out, err)
    return result, usage.ru_utime + usage.ru_stime, int(peak or 0) * 1024


CLI_CHILD = ("import runpy, sys\nsys.argv[0] = 'ctxlab'\n"
             "runpy.run_module('ctxlab', run_name='__main__')")


@pytest.mark.parametrize("make_args", [
    lambda d: ["tokenize", "hi", "-t", str(d / "m.gguf")],
    lambda d: ["model", "info", str(d / "m.gguf")],
    lambda d: ["fit", "-", "--arch", str(d / "config.json")],
    lambda d: ["count", "--chat", str(d / "chat.json"), "-t", "cl100k_base"],
    lambda d: ["lesson", str(d / "lesson.toml"), "--print"],
    lambda d: ["tokenize", "hi", "-t", str(d / "tokenizer.json")],
])
def test_cli_on_corrupted_files_exits_cleanly(tmp_path, make_args):
    rng = random.Random(SEED)
    (tmp_path / "m.gguf").write_bytes(byte_mutants(write_tiny(tmp_path / "s.gguf").read_bytes(),
                                                   7, rng)[-1])
    (tmp_path / "config.json").write_text('{"num_attention_heads": "9", "hidden_size": 576}')
    (tmp_path / "chat.json").write_bytes(b'[{"role": "user", "content": ' + b"[" * 100000)
    (tmp_path / "lesson.toml").write_text('title = "t"\n[[step]]\nshow = 5\n')
    (tmp_path / "tokenizer.json").write_bytes(json_mutants(_tiny_tokenizer_json(), 3, rng)[-1])
    result, cpu, peak = _run_measured(CLI_CHILD, make_args(tmp_path), stdin=b"hello")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2, 3), result.stderr
    if result.returncode:
        assert len([x for x in result.stderr.splitlines() if "error" in x]) == 1, result.stderr
    assert cpu < CPU_SECONDS and 0 < peak < RSS_BYTES
