"""Output paths checked before the work starts: a typo in ``-o`` or ``--json`` must not
cost a finished recall grid or split."""

from __future__ import annotations

import os
from pathlib import Path

from ctxlab.commands.errors import CtxlabError


def check_output_file(path: Path, option: str) -> None:
    """``path`` can be created or replaced: its folder exists and is writable."""
    _check_folder(path, path.parent, option)


def check_output_dir(path: Path, option: str) -> None:
    """``path`` is, or can be made, a folder (missing parents are made too)."""
    _check_folder(path, next(p for p in (path, *path.parents) if p.exists()), option)


def _check_folder(path: Path, folder: Path, option: str) -> None:
    nearest = next(p for p in (folder, *folder.parents) if p.exists())
    if not nearest.is_dir():
        raise CtxlabError(f"{option} {path}: {nearest} is not a folder")
    if nearest != folder:
        raise CtxlabError(f"{option} {path}: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CtxlabError(f"{option} {path}: cannot write in {folder}")
