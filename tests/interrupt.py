"""Ctrl-C as a terminal sends it, to a CLI run under way."""

from __future__ import annotations

import signal
import subprocess
import time


def as_in_a_terminal() -> None:
    """``preexec_fn``: SIGINT handled as in a terminal's foreground job. A suite started in
    the background (``cmd &``, as some CI runners do) hands it down ignored, and Python then
    never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def send_ctrl_c(process: subprocess.Popen) -> tuple[float, bytes, bytes]:
    """SIGINT to ``process``; the seconds it took to exit, its stdout and stderr. It must
    exit as Ctrl-C should: status 130 (or killed by SIGINT) and no traceback."""
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode in (130, -signal.SIGINT) and b"Traceback" not in err
    return time.monotonic() - sent, out, err
