"""Turn domain errors into one clear line and a documented exit code, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

# Documented exit codes shared by every command.
EXIT_OK = 0
EXIT_OVER_BUDGET = 1  # a --budget was exceeded
EXIT_USAGE = 2  # bad arguments, unknown names (click uses 2 too)
EXIT_INPUT = 3  # input files could not be read or were not text


class CtxlabError(click.ClickException):
    """A failure already phrased for the user."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click's ClassVar, per error here

    def show(self, file: Any = None) -> None:
        from ctxlab.core.safe_text import printable

        # Messages quote user input (paths, names): never let it drive the terminal.
        click.echo(f"ctxlab: error: {printable(self.format_message())}", err=True)


def friendly_errors(func: Callable) -> Callable:
    """Map ``UserError`` from the core to ``CtxlabError`` so users see one line."""
    from ctxlab.core.errors import UserError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            raise CtxlabError(str(exc)) from None
        except (BrokenPipeError, KeyboardInterrupt):
            raise SystemExit(130) from None
        except OSError as exc:  # a full disk, a file that vanished: the path and why
            where = f"{exc.filename}: " if exc.filename else ""
            raise CtxlabError(f"{where}{exc.strerror or exc}", EXIT_INPUT) from None

    return wrapper
