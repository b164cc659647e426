"""Drive `ctxlab serve` in Debian's headless Chromium, on localhost only.

Shared by the browser test and ``benchmarks/serve_bench.py``. Everything
started here is stopped by the context managers, whatever happens.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Chromium here has no GPU, no network and no setuid sandbox; and nothing may phone home.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,900")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
INSTALL = "apt-get install chromium chromium-driver (.ci/run does this)"


def missing_browser() -> str | None:
    """Why the browser cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            return f"{path} not found: {INSTALL}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    """The first true value of ``check()`` within ``timeout`` seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Served:
    url: str
    process: subprocess.Popen

    def app_pids(self) -> list[int]:
        """The app processes (one per open tab): the server's children."""
        return children(self.process.pid)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@contextmanager
def served(*args: str, max_sessions: int = 2) -> Iterator[Served]:
    """``ctxlab serve ARGS`` on a free localhost port; stopped (and its apps with it) at exit."""
    port = free_port()
    command = [sys.executable, "-m", "ctxlab", "serve", *args, "--port", str(port),
               "--max-sessions", str(max_sessions)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        wait_for(lambda: _listening(port) or process.poll() is not None, 60, "the server")
        if process.poll() is not None:
            raise AssertionError(f"ctxlab serve exited: {process.stdout.read()}")
        yield Served(f"http://127.0.0.1:{port}/", process)
    finally:
        _stop(process)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGINT (Ctrl+C) first, as a teacher would; then the whole process group, if need be."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    try:  # apps the server failed to end
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def chromium(downloads: Path):
    """A headless Chromium (through chromedriver) that saves downloads into ``downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ctxlab-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_app(driver, url: str, timeout: float = 60) -> float:
    """Load the page; seconds until the terminal drew the app's first bytes."""
    start = time.perf_counter()
    driver.get(url)
    wait_for(lambda: "-first-byte" in (driver.find_element("tag name", "body")
                                       .get_attribute("class") or ""), timeout, "first paint")
    return time.perf_counter() - start


def press(driver, keys: str, ctrl: bool = False) -> None:
    """Type into xterm.js: focus its hidden textarea, then send keys as a user would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")
    actions = ActionChains(driver)
    if ctrl:
        actions.key_down(Keys.CONTROL).send_keys(keys).key_up(Keys.CONTROL)
    else:
        actions.send_keys(keys)
    actions.perform()


def downloaded(folder: Path, suffix: str, timeout: float = 30) -> Path:
    """The first complete download ending in ``suffix`` (Chromium writes .crdownload first)."""
    return wait_for(lambda: next(iter(sorted(folder.glob(f"*{suffix}"))), None), timeout,
                    f"a {suffix} download in {folder}")
