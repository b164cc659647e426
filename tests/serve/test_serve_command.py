"""`ctxlab serve` without a browser: its checks, its warning, its page, its session bound."""

from __future__ import annotations

import importlib.util

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from served_page import free_port

from ctxlab.cli import group
from ctxlab.commands import serve
from ctxlab.serve.server import ClassroomServer


def run(*args: str):
    return CliRunner().invoke(group, ["serve", *args])


def test_without_the_extra_says_how_to_install(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "textual_serve" else real(name, *a))
    result = run("--sample", "dragon_story")
    assert result.exit_code == 2
    assert result.output.strip() == ('ctxlab: error: ctxlab serve needs textual-serve: '
                                     'pip install "ctxlab[serve]"')


@pytest.mark.parametrize(("args", "says"), [
    (("--sample", "nope"), "no sample 'nope'"),
    (("--lesson", "nope"), "no lesson 'nope'"),
    (("missing.txt",), "cannot open"),
    (("--sample", "dragon_story", "--lesson", "dragon-colour"), "give one of FILE"),
    (("--sample", "dragon_story", "--model", "nope"), "unknown model 'nope'"),
])
def test_bad_input_is_one_line_before_anything_listens(args, says) -> None:
    result = run(*args, "--port", str(free_port()))
    assert result.exit_code != 0 and says in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_taken_port_is_one_line() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("--sample", "dragon_story", "--port", str(port))
    assert result.exit_code == 2
    assert result.output.startswith(f"ctxlab: error: cannot listen on 127.0.0.1:{port}")


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.20", False), ("classroom.example", False)])
def test_only_loopback_counts_as_local(host, local) -> None:
    assert serve._is_local(host) is local


def test_other_interfaces_warn_and_sessions_run_the_lesson(monkeypatch) -> None:
    started = []
    monkeypatch.setattr(ClassroomServer, "serve", lambda self: started.append(self))
    port = free_port()
    result = run("--lesson", "dragon-colour", "--step", "2", "--host", "0.0.0.0",
                 "--port", str(port), "--max-sessions", "3")
    assert result.exit_code == 0, result.output
    assert "warning: listening on 0.0.0.0: anyone who can reach port" in result.output
    assert f"http://<this machine's address>:{port}/" in result.output
    [server] = started
    assert server.command.startswith("exec ")  # the shell becomes the app: one process a tab
    assert server.command.endswith("-m ctxlab lesson dragon-colour --step 2")
    assert server.max_sessions == 3 and server.title.startswith("ctxlab · lesson 2:")


@pytest.mark.parametrize(("args", "session"), [
    (("--lesson", "dragon-colour", "-m", "gemma3"), "lesson dragon-colour --step 1 --model "
                                                    "gemma3-270m"),
    (("--sample", "dragon_story", "-t", "o200k_base", "--model", "gemma3-270m"),
     "open --sample dragon_story -t o200k_base --model gemma3-270m"),
])
def test_every_session_starts_with_the_model_chosen(monkeypatch, args, session) -> None:
    started = []
    monkeypatch.setattr(ClassroomServer, "serve", lambda self: started.append(self))
    result = run(*args, "--port", str(free_port()))
    assert result.exit_code == 0, result.output
    assert started[0].command.endswith(f"-m ctxlab {session}")


def test_localhost_does_not_warn(monkeypatch) -> None:
    monkeypatch.setattr(ClassroomServer, "serve", lambda self: None)
    result = run("--sample", "dragon_story", "--port", str(free_port()))
    assert result.exit_code == 0 and "warning" not in result.output


def classroom(max_sessions: int = 2) -> ClassroomServer:
    return ClassroomServer("exec false", host="127.0.0.1", port=free_port(), public_url=None,
                           max_sessions=max_sessions, title="ctxlab · test")


async def test_page_needs_no_internet_and_follows_the_host_typed() -> None:
    server = classroom()
    async with TestClient(TestServer(await server._make_app())) as client:
        page = await (await client.get("/", headers={"Host": "10.1.2.3:8000"})).text()
    assert "<title>ctxlab · test</title>" in page
    assert 'data-session-websocket-url="ws://10.1.2.3:8000/ws"' in page
    assert "http://10.1.2.3:8000/static/js/textual.js" in page
    assert "googleapis" not in page  # the room may have no internet


async def test_a_full_server_says_so_in_the_terminal() -> None:
    server = classroom(max_sessions=1)
    server.sessions = 1  # one tab already open
    async with TestClient(TestServer(await server._make_app())) as client:
        socket = await client.ws_connect("/ws")
        message = await socket.receive()
        assert message.type == WSMsgType.BINARY
        assert b"the room is full (1 of 1 sessions in use)" in message.data
        assert (await socket.receive()).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert server.sessions == 1
