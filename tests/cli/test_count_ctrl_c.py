"""Ctrl-C during `ctxlab count` with a tokenizer that counts in worker processes: a
worker inside an HF encode of a big file hears SIGINT only when the call returns (a
minute on 50 MB), so the run must end at once and leave no worker behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.interrupt import as_in_a_terminal, send_ctrl_c


def processes_running(argument: str) -> list[int]:
    """Pids whose command line holds ``argument`` (forked workers keep their parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if argument.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_ctrl_c_ends_a_pooled_count_at_once_and_leaves_no_worker(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("The dragon was red, red as a coal. " * 300_000, encoding="utf-8")  # 10 MB
    count = subprocess.Popen([sys.executable, "-m", "ctxlab", "count", str(big), "--no-cache",
                              "-t", "claude-legacy", "-j", "2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=as_in_a_terminal)
    deadline = time.monotonic() + 60  # a fresh install compiles its bytecode first
    while len(processes_running(str(big))) < 3:  # the parent and both workers: the pool is up
        assert count.poll() is None and time.monotonic() < deadline, "no worker ever counted"
        time.sleep(0.2)
    time.sleep(1)  # the worker is inside claude-legacy's encode (10 s and more here)
    seconds, _, _ = send_ctrl_c(count)
    assert seconds < 3, "Ctrl-C waited for the worker's encode to finish"
    assert processes_running(str(big)) == []
