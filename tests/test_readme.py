"""The README's front door stays true: two commands, and CI runs the second verbatim."""

from __future__ import annotations

import re
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
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    pattern = re.search(r"grep -m1 -E '(.+?)' README\.md", ci).group(1)
    readme_lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    matches = [line for line in readme_lines if re.search(pattern.replace("\\.", r"\."), line)]
    assert matches and matches[0] == readme_lines[readme_lines.index("```bash") + 2]
