"""A CLI run whose stderr is a terminal (a pty), as progress and status lines need."""

from __future__ import annotations

import os
import pty
import subprocess


def run_with_stderr_on_a_terminal(args: list[str], timeout: float = 120
                                  ) -> tuple[subprocess.CompletedProcess, bytes]:
    """Run ``args`` with stdout piped and stderr on a pty; the result and all it showed."""
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(args, stdout=subprocess.PIPE, stderr=follower, timeout=timeout)
    finally:
        os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the pty's other end is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return result, shown
