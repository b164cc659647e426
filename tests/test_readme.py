"""The README's front door stays true: two commands, and CI runs the second verbatim."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_opens_with_install_and_test_commands():
    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(block) == 2
    launch, test = block
    assert launch.startswith("pip install -e . && ctxlab samples/")
    assert (ROOT / launch.split("ctxlab ")[-1].split()[0]).is_file()
    assert test.startswith('pip install -e ".[test]"') and "pytest" in test


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    test_command = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert ci_lines[-1] == test_command


def test_readme_names_the_library_tokenize_reports():
    """The tokenize section says where ids and offsets come from, as the JSON does."""
    out = subprocess.run([sys.executable, "-m", "ctxlab", "tokenize", "--format", "json", "-t",
                          "cl100k_base", "hello"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    library = json.loads(out)["library"].split()[0].removesuffix("-rs")  # "splintr"
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Seeing tokens", 1)[1].split("\n## ", 1)[0]
    assert library in section and "byte length" in section
