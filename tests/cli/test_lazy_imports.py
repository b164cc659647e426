"""``ctxlab --help`` and ``ctxlab count`` must not pay for heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "transformers", "torch", "sentencepiece", "gguf", "tokenizers")


def imported_modules(*args: str) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['ctxlab', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('ctxlab', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            input="hello", timeout=60)
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES"))
    return set(line.split()[1:])


def test_help_imports_nothing_heavy():
    loaded = imported_modules("--help")
    assert "click" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_count_imports_only_the_fast_engine():
    loaded = imported_modules("count", "-", "-t", "cl100k_base")
    assert "splintr" in loaded
    assert "tiktoken" not in loaded and "numpy" not in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_count_with_the_reference_engine_imports_only_tiktoken():
    loaded = imported_modules("count", "-", "-t", "cl100k_base", "--engine", "tiktoken")
    assert "tiktoken" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY if m.split(".")[0] != "tokenizers"}
    assert "tokenizers" not in loaded
