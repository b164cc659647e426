"""`ctxlab fit` on a big document: each tokenizer's count is native calls of many seconds
(claude-legacy: ~10 s on 20 MB) that Python cannot interrupt, so fit says what it is counting
and Ctrl-C ends it at once instead of after every tokenizer has finished."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.interrupt import as_in_a_terminal, send_ctrl_c
from tests.terminal import run_with_stderr_on_a_terminal


def write_document(folder, sentences: int):
    path = folder / "big.txt"
    path.write_text("The dragon was red, red as a coal. " * sentences, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_document(tmp_path_factory):
    return write_document(tmp_path_factory.mktemp("fit"), 150_000)  # 5 MB


@pytest.fixture(scope="module")
def huge_document(tmp_path_factory):
    """20 MB: claude-legacy counts it in about 8 s here, so the Ctrl-C at 3 s lands inside."""
    return write_document(tmp_path_factory.mktemp("fit"), 600_000)


def start_fit(path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ctxlab", "fit", str(path), "-m",
                             "claude-sonnet-4-5"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"},
                            preexec_fn=as_in_a_terminal)


def test_ctrl_c_during_a_long_count_ends_fit_at_once(huge_document):
    fit = start_fit(huge_document)
    time.sleep(3)  # inside claude-legacy's count of 20 MB
    seconds, out, _ = send_ctrl_c(fit)
    assert seconds < 1.5, "Ctrl-C waited for the count to finish"
    assert out == b""  # nothing half-printed


def test_fit_names_the_tokenizer_it_is_counting_with_on_a_terminal(big_document):
    """The status line goes to a terminal only (a pty here), and is cleared once done."""
    fit, shown = run_with_stderr_on_a_terminal(
        [sys.executable, "-m", "ctxlab", "fit", str(big_document), "-m", "gpt-4o", "-m",
         "llama-3.3-70b"])
    assert fit.returncode == 0 and b"openai/gpt-4o" in fit.stdout
    assert b"counting with llama3 (1 of 2)" in shown
    assert b"counting with o200k_base (2 of 2)" in shown
    assert shown.endswith(b"\r\x1b[K")
