"""Where the files the app makes go, and which files a served session may open.

Exports and saves go through ``App.deliver_text``: in a terminal the file is
written in the current directory, under a name that is safe on every file
system and never over an existing file; served in a browser (textual-serve)
the same action becomes a download in the student's browser and nothing is
written on the server. A served session may open the bundled samples and the
one file the teacher named on the command line, nothing else on the server.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from textual import events
from textual.app import App

from ctxlab.core.samples import list_samples

SERVED_FILE_ENV = "CTXLAB_SERVE_FILE"  # set by `ctxlab serve` for its sessions
DELIVERY_PREFIX = "ctxlab:"  # our deliveries' names, so the app notifies only about its own
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")  # colons, slashes, spaces, anything a shell quotes
MAX_STEM = 100


def safe_filename(*parts: str, suffix: str = "") -> str:
    """``parts`` joined by ``-``, every run of other characters as ``_``: safe on any disk."""
    cleaned = (UNSAFE.sub("_", part).strip("._-") for part in parts)
    stem = "-".join(part for part in cleaned if part)[:MAX_STEM] or "ctxlab"
    return stem + suffix


def unused_path(directory: Path, filename: str) -> Path:
    """``directory/filename``, or ``name-2.ext``, ``name-3.ext``… when that exists."""
    candidate = directory / filename
    stem, suffix = candidate.stem, candidate.suffix
    n = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def deliver(app: App, content: str, filename: str, directory: Path) -> None:
    """Give ``content`` to the user: a download when served, else a new file in ``directory``."""
    if app.is_web:
        app.deliver_text(io.StringIO(content), save_filename=filename, encoding="utf-8",
                         name=DELIVERY_PREFIX + filename)
        app.notify(f"sending {filename} to your browser's downloads", title="export")
        return
    target = unused_path(directory, filename)
    app.deliver_text(io.StringIO(content), save_directory=target.parent,
                     save_filename=target.name, encoding="utf-8", name=DELIVERY_PREFIX + filename)


def notify_delivered(app: App, event: events.DeliveryComplete) -> None:
    if (event.name or "").startswith(DELIVERY_PREFIX) and event.path is not None:
        app.notify(f"saved {event.path.resolve()}", title="export")


def notify_failed(app: App, event: events.DeliveryFailed) -> None:
    name = event.name or ""
    if name.startswith(DELIVERY_PREFIX):
        app.notify(f"{name.removeprefix(DELIVERY_PREFIX)}: {event.exception}",
                   title="export failed", severity="error")


def may_open(app: App, path: Path) -> bool:
    """In a terminal, any file; served, only the bundled samples and the teacher's file."""
    if not app.is_web:
        return True
    allowed = {s.path.resolve() for s in list_samples()}
    if os.environ.get(SERVED_FILE_ENV):
        allowed.add(Path(os.environ[SERVED_FILE_ENV]).resolve())
    try:
        return path.resolve() in allowed
    except (OSError, ValueError):
        return False
