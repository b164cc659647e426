"""Run an app and end the process as soon as the app has quit.

Textual runs thread workers on asyncio's default executor, and ``asyncio.run``
joins that executor before it returns: a quit during a model load or a long
count would leave the process alive until the thread finishes (40-120 s for a
served tab that was closed). Nothing a worker still computes matters once the
app is gone (caches are written atomically), so the process exits at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading

from textual.app import App


def run_app(app: App) -> None:
    """Run ``app`` in this terminal, or under textual-serve's web driver when it set one."""
    asyncio.run(_run_then_exit(app))


async def _run_then_exit(app: App) -> None:
    await app.run_async()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(app.return_code or 0)
