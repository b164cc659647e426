"""``count --tree`` roll-ups, ``tokenize`` output, and ``tokenizers`` listing."""

from __future__ import annotations

import json
import subprocess
import sys

from ctxlab.core.counting import FileCount
from ctxlab.core.rollup import build_tree, tree_rows


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ctxlab", *args], capture_output=True,
                          text=True, timeout=120)


def test_tree_rolls_up_and_folds_small_children():
    counts = [FileCount(p, "ok", tokens={"t": n}) for p, n in
              [("a/x.py", 60), ("a/y.py", 30), ("b/z.py", 8), ("b/w.py", 2)]]
    rows = tree_rows(build_tree(counts, "t"), max_depth=2, top=1)
    assert [(r.depth, r.name, r.tokens) for r in rows] == [
        (0, ".", 100), (1, "a", 90), (2, "x.py", 60), (2, "(1 more)", 30), (1, "(1 more)", 10)]
    assert rows[1].share == 0.9


def test_tokenize_json_spans_cover_the_text():
    result = run("tokenize", "--format", "json", "-t", "cl100k_base", "hi 👩")
    doc = json.loads(result.stdout)
    assert doc["count"] == len(doc["tokens"]) and doc["tokens"][0] == {
        "id": 6151, "text": "hi", "chars": [0, 2], "bytes": [0, 2], "split": False,
        "special": False}
    assert doc["tokens"][-1]["bytes"][1] == len("hi 👩".encode())
    assert any(t["split"] for t in doc["tokens"])


def test_tokenize_ids_and_error_on_missing_input():
    assert run("tokenize", "--ids", "-t", "o200k_base", "hello world").stdout.split() == [
        "24912", "2375"]
    result = run("tokenize")
    assert result.returncode == 2 and "give TEXT" in result.stderr


def test_tokenizers_lists_availability_and_exactness():
    rows = {r["name"]: r for r in json.loads(run("tokenizers", "--format", "json").stdout)}
    assert rows["o200k_base"]["available"] and "gpt-4o" in rows["o200k_base"]["exact_for"]
    assert rows["mistral-v1"]["family"] == "sentencepiece"
    assert {"gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_harmony",
            "deepseek-v4", "claude-legacy", "smollm2"} <= set(rows)


def test_bare_invocations_route_to_the_tui_command(monkeypatch):
    import ctxlab.cli as cli

    seen = []
    monkeypatch.setattr(cli.group, "main", lambda args, prog_name: seen.append(args))
    for argv in ([], ["notes.md"], ["--sample", "multilingual"], ["-"], ["count", "x"],
                 ["--help"]):
        cli.main(argv)
    assert seen == [["open"], ["open", "notes.md"], ["open", "--sample", "multilingual"],
                    ["open", "-"], ["count", "x"], ["--help"]]
