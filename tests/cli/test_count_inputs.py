"""``ctxlab count`` on bad and awkward input: a clear line, the documented exit code,
no traceback, and nothing silently counted as zero."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tiktoken


def ctxlab(*args: str, cwd: Path | None = None, stdin: bytes | None = None):
    result = subprocess.run([sys.executable, "-m", "ctxlab", *args], cwd=cwd, input=stdin,
                            capture_output=True, timeout=120)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in err, err
    return result.returncode, out, err


def count_json(*args: str, **kw):
    code, out, err = ctxlab("count", "-f", "json", "-t", "cl100k_base", *args, **kw)
    return code, json.loads(out), err


def by_path(doc: dict) -> dict[str, dict]:
    return {Path(f["path"]).name: f for f in doc["files"]}


def test_counts_equal_stock_tiktoken_on_whole_files(tmp_path):
    texts = {"a.txt": "The dragon was red.\n" * 50, "b.md": "# Title\n\n日本語と English 👩‍💻\n"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, "utf-8")
    code, doc, _ = count_json(str(tmp_path))
    enc = tiktoken.get_encoding("cl100k_base")
    assert code == 0
    for name, text in texts.items():
        assert by_path(doc)[name]["tokens"]["cl100k_base"] == len(enc.encode_ordinary(text))
    assert doc["totals"]["tokens"]["cl100k_base"] == sum(
        len(enc.encode_ordinary(t)) for t in texts.values())
    assert doc["schema"] == "ctxlab.count/1"
    assert "splintr-rs " in doc["tokenizers"][0]["library"]  # the default fast engine


def test_binary_non_utf8_empty_and_bom_files_are_each_reported(tmp_path):
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("café au lait".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello world")
    code, doc, err = count_json(str(tmp_path))
    files = by_path(doc)
    assert files["image.bin"]["status"] == "binary" and files["image.bin"]["tokens"] == {}
    assert files["latin1.txt"]["status"] == "non-utf8" and files["latin1.txt"]["tokens"] == {}
    assert files["empty.txt"]["status"] == "empty" and files["empty.txt"]["tokens"] == {
        "cl100k_base": 0}
    assert files["bom.txt"]["bom"] is True
    assert files["bom.txt"]["tokens"]["cl100k_base"] == 2  # BOM stripped: "hello world"
    assert code == 3  # the non-UTF-8 file could not be counted
    assert "contains NUL bytes" in err and "not UTF-8" in err and "--replace-invalid" in err


def test_replace_invalid_counts_non_utf8_and_flags_it(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    code, doc, err = count_json("--replace-invalid", str(path))
    assert code == 0
    assert doc["files"][0]["status"] == "replaced" and doc["files"][0]["tokens"]["cl100k_base"] > 0
    assert "U+FFFD" in err


def test_explicit_binary_file_is_an_input_error(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(b"text with a \x00 NUL byte")
    code, _, err = ctxlab("count", str(path))
    assert code == 3 and "contains NUL bytes" in err


def test_special_token_strings_count_as_text_unless_asked(tmp_path):
    code, doc, _ = count_json("-", stdin=b"before <|endoftext|> after")
    enc = tiktoken.get_encoding("cl100k_base")
    assert code == 0
    assert doc["files"][0]["tokens"]["cl100k_base"] == len(
        enc.encode_ordinary("before <|endoftext|> after"))
    _, special, _ = count_json("--special", "-", stdin=b"before <|endoftext|> after")
    assert special["files"][0]["tokens"]["cl100k_base"] == len(
        enc.encode("before <|endoftext|> after", allowed_special="all"))


def test_ten_megabyte_single_line(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("lorem ipsum dolor sit amet " * 400_000, "utf-8")  # 10.8 MB, no newline
    code, doc, _ = count_json(str(path))
    assert code == 0 and doc["files"][0]["tokens"]["cl100k_base"] > 2_000_000


def test_nested_gitignore_is_honoured_like_git(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("!keep.log\nsecret.txt\n")
    for rel in ("a.txt", "a.log", "build/out.txt", "sub/keep.log", "sub/drop.log",
                "sub/secret.txt", "sub/ok.txt", ".hidden.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    _, doc, _ = count_json(".", cwd=tmp_path)
    counted = sorted(f["path"] for f in doc["files"])
    git = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    expected = sorted(p for p in git if not Path(p).name.startswith("."))
    assert [str(Path(p)) for p in counted] == expected
    _, with_hidden, _ = count_json("--hidden", ".", cwd=tmp_path)
    assert ".hidden.txt" in by_path(with_hidden)


def test_symlink_loop_and_dangling_link_do_not_hang(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f.txt").write_text("hello")
    os.symlink(tmp_path / "dir", tmp_path / "dir" / "loop")
    os.symlink(tmp_path / "self", tmp_path / "self")
    code, doc, err = count_json(str(tmp_path))
    assert [Path(f["path"]).name for f in doc["files"]] == ["f.txt"]
    assert "looping symlink" in err and code == 3


def test_unreadable_file_is_reported_not_zero(tmp_path):
    link = tmp_path / "mem.txt"
    os.symlink("/proc/self/mem", link)  # stat says regular file; reading fails even as root
    code, doc, err = count_json(str(link))
    assert code == 3 and doc["files"][0]["status"] == "unreadable" and "could not be read" in err


def test_missing_path_and_unknown_tokenizer(tmp_path):
    code, _, err = ctxlab("count", str(tmp_path / "nope.txt"))
    assert code == 3 and "no such file" in err
    code, _, err = ctxlab("count", "-t", "no-such-tokenizer", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "unknown tokenizer 'no-such-tokenizer'" in err


def test_budget_exit_code(tmp_path):
    (tmp_path / "a.txt").write_text("one two three four five six seven")
    assert ctxlab("count", "--budget", "100", str(tmp_path))[0] == 0
    code, _, err = ctxlab("count", "--budget", "3", str(tmp_path))
    assert code == 1 and "over budget" in err


def test_the_total_row_says_one_file_or_n_files(tmp_path):
    (tmp_path / "a.txt").write_text("hello world")
    assert "total (1 file)" in ctxlab("count", str(tmp_path))[1]
    (tmp_path / "b.txt").write_text("hello")
    assert "total (2 files)" in ctxlab("count", str(tmp_path))[1]


def test_csv_and_jsonl_have_totals(tmp_path):
    (tmp_path / "a.txt").write_text("hello world")
    _, out, _ = ctxlab("count", "-f", "csv", "-t", "o200k_base", "-t", "r50k_base", str(tmp_path))
    lines = out.strip().splitlines()
    assert lines[0] == "path,status,bytes,chars,words,o200k_base,r50k_base,detail"
    assert lines[-1] == ",total,11,11,2,2,2,"
    _, out, _ = ctxlab("count", "-f", "jsonl", str(tmp_path))
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["type"] for r in records] == ["file", "total"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parallel_and_serial_counts_agree(tmp_path, jobs):
    sample = Path(__file__).resolve().parents[2] / "ctxlab"
    texts = [p.read_text("utf-8") for p in sorted(sample.rglob("*.py"))]
    for i in range(40):  # about 5 MB: above the threshold where workers are used
        (tmp_path / f"f{i}.py").write_text("\n".join(texts) * 2)
    _, doc, _ = count_json("-j", jobs, str(tmp_path))
    enc = tiktoken.get_encoding("cl100k_base")
    expected = len(enc.encode_ordinary("\n".join(texts) * 2)) * 40
    assert doc["totals"]["tokens"]["cl100k_base"] == expected


def test_explicit_directory_inside_an_ignored_tree_is_still_counted(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/vendor/\n")
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "a.py").write_text("x = 1")
    _, doc, _ = count_json(str(tmp_path / "vendor"))
    assert [Path(f["path"]).name for f in doc["files"]] == ["a.py"]
    _, doc, _ = count_json(str(tmp_path))
    assert doc["files"] == []
