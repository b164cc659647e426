"""Layer boundaries, enforced: the core imports no UI or CLI; commands open the TUI, nothing more.

Two checks, as Harlequin does: importing every core module (subpackages too) in
a fresh interpreter loads no UI library, and import-linter's contracts in
``pyproject.toml`` hold for every import statement, lazy ones included.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

import ctxlab.core

ROOT = Path(__file__).resolve().parents[1]
UI_AND_CLI = ("textual", "rich", "click", "ctxlab.tui", "ctxlab.commands", "ctxlab.cli")
# Every module under ctxlab.core, however deep: lessons/, model/, probes/, tokenizers/ too.
CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(ctxlab.core.__path__, "ctxlab.core."))


def test_the_walk_reaches_every_core_subpackage() -> None:
    for deep in ("ctxlab.core.probes.recall", "ctxlab.core.model.runtime",
                 "ctxlab.core.lessons.runner", "ctxlab.core.tokenizers.hf_backend"):
        assert deep in CORE_MODULES


def test_core_imports_no_ui_or_cli() -> None:
    imports = "; ".join(f"import {name}" for name in CORE_MODULES)
    code = (f"{imports}; import sys; "
            f"bad = [m for m in {UI_AND_CLI!r} if m in sys.modules]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_import_contracts_hold() -> None:
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                             no_logo=True)
    assert code == 0, "an import-linter contract in pyproject.toml is broken (see above)"


def test_cli_help_does_not_import_the_tui() -> None:
    code = ("import sys; from ctxlab.cli import main; "
            "sys.argv = ['ctxlab', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'textual' not in sys.modules and 'ctxlab.tui' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
