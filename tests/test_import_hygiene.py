"""The core must stay importable without any UI library (checked in a fresh interpreter)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ctxlab.core

# Modules that import optional heavy backends on import are still checked: none may pull UI.
CORE_MODULES = sorted(
    f"ctxlab.core.{m.name}" for m in pkgutil.iter_modules(ctxlab.core.__path__)
)


def test_core_imports_no_textual_or_rich() -> None:
    imports = "; ".join(f"import {name}" for name in
                        ["ctxlab.core.tokenizers", "ctxlab.core.spans", *CORE_MODULES])
    code = (f"{imports}; import sys; "
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cli_help_does_not_import_the_tui() -> None:
    code = ("import sys; from ctxlab.cli import main; "
            "sys.argv = ['ctxlab', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'textual' not in sys.modules and 'ctxlab.tui' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
