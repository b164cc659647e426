"""Run untrusted rendering code (a chat template) once under a memory cap and a time limit.

Jinja's sandbox stops a template from touching files, but not from building a
ten-gigabyte string or looping for hours. The first time a template is used it
runs in a forked child with ``RLIMIT_AS`` set and a deadline; a template that
passed is trusted for the rest of the process, so datasets do not fork per record.
Where ``fork`` or ``resource`` is missing (Windows) it runs in-process.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

MEMORY_CAP_BYTES = 1 << 30  # on top of what the process already maps
TIME_LIMIT_SECONDS = 20.0
MAX_RENDERED_CHARS = 64 << 20

_trusted: set[str] = set()


class GuardError(Exception):
    """The guarded code ran out of memory or time, or produced too much; says which."""


def guarded(key_text: str, run: Callable[[], str]) -> str:
    """``run()``, checked in a capped child the first time ``key_text`` (the template) is seen."""
    key = hashlib.sha256(key_text.encode("utf-8", "surrogatepass")).hexdigest()
    if key not in _trusted and _can_fork():
        _check_in_child(run)
        _trusted.add(key)
    result = run()
    if len(result) > MAX_RENDERED_CHARS:
        raise GuardError(f"renders to more than {MAX_RENDERED_CHARS:,} characters")
    return result


def _can_fork() -> bool:
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return hasattr(os, "fork")


def _check_in_child(run: Callable[[], str]) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, run), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(TIME_LIMIT_SECONDS):
            raise GuardError(f"did not finish within {TIME_LIMIT_SECONDS:.0f} s (a runaway loop?)")
        outcome, detail = receive.recv()
    except EOFError:
        raise GuardError("crashed while rendering (out of memory?)") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "memory":
        raise GuardError(f"needs more than {MEMORY_CAP_BYTES >> 20:,} MB of memory "
                         "(a runaway template?)")
    if outcome == "too-long":
        raise GuardError(f"renders to more than {MAX_RENDERED_CHARS:,} characters")
    # "ok", or an ordinary error that the in-process run will raise with its own message


def _child(send, run: Callable[[], str]) -> None:
    import resource

    mapped = _mapped_bytes()
    if mapped is not None:  # Linux; elsewhere only the deadline binds
        limit = mapped + MEMORY_CAP_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = run()
        send.send(("too-long", "") if len(result) > MAX_RENDERED_CHARS else ("ok", ""))
    except MemoryError:
        send.send(("memory", ""))
    except BaseException:  # the in-process run raises it again with its own message
        send.send(("error", ""))
    finally:
        os._exit(0)


def _mapped_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None
