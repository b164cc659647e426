"""Start-up time of ``ctxlab --help`` and ``ctxlab count`` on a tiny input.

Target: ``ctxlab --help`` under 0.3 s. Best of 10 runs, each a fresh interpreter
through the installed ``ctxlab`` entry point.

Run: python benchmarks/startup_bench.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

RUNS = 10


def best_of(cmd: list[str], stdin: str = "") -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, input=stdin, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    entry = shutil.which("ctxlab") or f"{sys.executable} -m ctxlab"
    base = entry.split()
    print(f"python -c pass        : {best_of([sys.executable, '-c', 'pass']) * 1000:6.0f} ms")
    print(f"ctxlab --help         : {best_of([*base, '--help']) * 1000:6.0f} ms  (target < 300)")
    count = best_of([*base, "count", "-", "-t", "cl100k_base", "-q"], "hello world")
    print(f"ctxlab count - (tiny) : {count * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
