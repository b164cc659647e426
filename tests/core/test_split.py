"""``split``: every chunk re-encodes within budget, cuts land on the strongest boundary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxlab.commands.split import _token_starts
from ctxlab.core.samples import list_samples, samples_dir
from ctxlab.core.split import SplitError, split_text
from ctxlab.core.tokenizers import get_tokenizer
from tests.terminal import run_with_stderr_on_a_terminal

ENC = tiktoken.get_encoding("o200k_base")
TOK = get_tokenizer("o200k_base")
SAMPLES = samples_dir()


def count(text: str) -> int:
    return len(ENC.encode_ordinary(text))


def chunks_of(text, n, k=0):
    return list(split_text(text, count, lambda t: _token_starts(TOK, t), n, k))


def assert_valid(text, chunks, n):
    assert all(count(c.text) <= n and c.tokens == count(c.text) for c in chunks)
    assert all(c.text == text[c.start:c.end] for c in chunks)
    assert "".join(text[(chunks[i - 1].end if i else 0):c.end]
                   for i, c in enumerate(chunks)) == text  # nothing lost, nothing repeated


@pytest.mark.parametrize("n", [24, 300])
def test_samples_split_within_budget_and_cover_the_text(n):
    for sample in list_samples():
        text = sample.path.read_text("utf-8")
        assert_valid(text, chunks_of(text, n), n)


def test_paragraphs_are_kept_whole_when_they_fit():
    paragraphs = ["The dragon slept. " * 3, "The knight waited. " * 3, "Dawn came. " * 3]
    text = "\n\n".join(paragraphs)
    one = count(paragraphs[0] + "\n\n")
    chunks = chunks_of(text, one + 2)
    assert [c.cut for c in chunks] == ["paragraph", "paragraph", "end"]
    assert chunks[0].text == paragraphs[0] + "\n\n"


def test_sentences_then_tokens_when_nothing_bigger_fits():
    text = "One short sentence. Another one follows! " + "x" * 400
    chunks = chunks_of(text, 6)
    assert [c.text for c in chunks[:2]] == ["One short sentence. ", "Another one follows! "]
    assert chunks[0].cut == "sentence" and {c.cut for c in chunks[2:-1]} == {"token"}
    assert_valid(text, chunks, 6)


def test_overlap_repeats_the_previous_chunks_tail():
    text = "\n".join(f"Line {i}: the dragon counted its coins again." for i in range(40))
    chunks = chunks_of(text, 40, 8)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start < before.end
        assert 1 <= count(text[after.start:before.end]) <= 9
    assert_valid(text, chunks, 40)


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from(list("ab .\n!日👩‍💻")) | st.characters(codec="utf-8"),
               max_size=300), st.integers(4, 40))
def test_any_text_splits_within_budget(text, n):
    assert_valid(text, chunks_of(text, n), n)


@pytest.mark.parametrize("n", [64, 512])
def test_finding_each_end_re_encodes_about_one_chunk_not_the_text_after_it(n):
    """Probing ends up to 256 chars a token away re-encoded the dragon story 36 to 146 times
    over (a 48 MB split took 77 s); bounded by one window a little past the budget, it is
    about three times."""
    text = (SAMPLES / "dragon_story.md").read_text("utf-8")
    encoded = [0]

    def counting(piece: str) -> int:
        encoded[0] += len(piece)
        return count(piece)

    def starts(piece: str) -> list[int | None]:
        encoded[0] += len(piece)
        return _token_starts(TOK, piece)

    chunks = list(split_text(text, counting, starts, n))
    assert_valid(text, chunks, n)
    assert encoded[0] < 8 * len(text)


def test_a_long_split_shows_a_progress_bar_on_a_terminal_only(tmp_path):
    source = tmp_path / "long.md"
    source.write_text((SAMPLES / "dragon_story.md").read_text("utf-8") * 60, "utf-8")  # 3.8 MB
    run = [sys.executable, "-m", "ctxlab", "split", str(source), "-n", "512"]
    shown_run, shown = run_with_stderr_on_a_terminal(run)
    assert shown_run.returncode == 0 and b"splitting" in shown
    piped = subprocess.run(run, capture_output=True, timeout=120)
    assert piped.stdout == shown_run.stdout and piped.stderr == b""
    quiet, shown = run_with_stderr_on_a_terminal([*run, "--quiet"])
    assert quiet.stdout == piped.stdout and shown == b""


def test_budgets_that_cannot_work_fail_clearly():
    with pytest.raises(SplitError):
        chunks_of("hello", 4, 4)
    with pytest.raises(SplitError, match="cannot hold"):
        chunks_of("👩‍💻", 1)


def test_cli_writes_jsonl_or_files_and_never_overwrites(tmp_path):
    source = tmp_path / "story.md"
    source.write_text("# Title\n\n" + "The dragon slept on its gold. " * 60, "utf-8")
    run = [sys.executable, "-m", "ctxlab", "split", str(source), "--max-tokens", "50"]
    result = subprocess.run(run, capture_output=True, text=True, timeout=120)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and all(r["tokens"] <= 50 for r in records)
    assert "".join(r["text"] for r in records) == source.read_text("utf-8")
    out = tmp_path / "chunks"
    assert subprocess.run([*run, "-o", str(out)], capture_output=True, timeout=120).returncode == 0
    assert sorted(p.name for p in out.iterdir())[0] == "story.0001.md"
    again = subprocess.run([*run, "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "already exists" in again.stderr
