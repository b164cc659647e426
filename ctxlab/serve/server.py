"""A textual-serve server for a classroom: bounded sessions, our own page, quiet logs.

Each browser tab gets its own app process (textual-serve's model). What
ctxlab adds: at most ``max_sessions`` processes at once (a 2-core machine
cannot run many model loads side by side), a page that needs nothing from
the internet and whose websocket address follows the address the student
typed (so ``--host 0.0.0.0`` works without ``--public-url``), and one line per
session opened or closed instead of a log line per request.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

TEMPLATES = Path(__file__).with_name("templates")
FULL = "\r\n  ctxlab: the room is full ({n} of {n} sessions in use). Close a tab, then reload."


class ClassroomServer(Server):
    """Serve ``command`` (one process per tab) to at most ``max_sessions`` tabs at once."""

    def __init__(self, command: str, *, host: str, port: int, public_url: str | None,
                 max_sessions: int, title: str) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url,
                         templates_path=TEMPLATES)
        self.max_sessions = max_sessions
        self.sessions = 0
        self._handlers: set[asyncio.Task] = set()  # one per open session
        self.fixed_url = public_url  # None: links follow the Host the browser used

    def initialize_logging(self) -> None:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")

    async def on_startup(self, app: web.Application) -> None:
        """The command prints the address itself; textual-serve's banner is not ours."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C: end every session now (aiohttp would wait a minute for open websockets)."""
        for handler in self._handlers:
            handler.cancel()  # textual-serve then closes the socket and quits the app
        await asyncio.gather(*self._handlers, return_exceptions=True)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        base = self.fixed_url or f"{request.scheme}://{request.host}"
        websocket = ("wss:" if base.startswith("https:") else "ws:") + base.split(":", 1)[1]
        return {"title": self.title, "static_url": f"{base}/static/",
                "websocket_url": f"{websocket}/ws",
                "font_size": to_int(request.query.get("fontsize", "16"), 16)}

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sessions >= self.max_sessions:
            refused = web.WebSocketResponse()
            await refused.prepare(request)
            await refused.send_bytes(FULL.format(n=self.max_sessions).encode())
            await refused.close()
            self._say(f"refused a session for {request.remote}: all {self.max_sessions} in use")
            return refused
        self.sessions += 1
        self._say(f"session opened for {request.remote} ({self.sessions} of "
                  f"{self.max_sessions} in use)")
        handler = asyncio.current_task()
        assert handler is not None  # aiohttp runs each request in a task
        self._handlers.add(handler)
        try:
            return await super().handle_websocket(request)
        finally:
            self._handlers.discard(handler)
            self.sessions -= 1
            self._say(f"session closed ({self.sessions} of {self.max_sessions} in use)")

    def _say(self, line: str) -> None:
        self.console.print(line, highlight=False, markup=False)

