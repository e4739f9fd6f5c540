"""The launcher's one error type: a one-line reason and an exit code named in the contract."""

from __future__ import annotations

import errno
import sqlite3
import sys

from .contract import EXIT_CODES

PROG = "run_django"


def say(message: str) -> None:
    """One line on stderr, named after the launcher (failures, warnings, waits)."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class LaunchError(Exception):
    """Why the launcher refuses to start; ``reason`` is a key of the contract's exit codes."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.exit_code = EXIT_CODES[reason]


def is_disk_full(error: BaseException) -> bool:
    """ENOSPC from the OS, or SQLite's own word for it."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(error, sqlite3.Error) and "disk is full" in str(error)


def root_cause(error: BaseException) -> BaseException:
    """The first error, not what a framework raised while unwinding from it."""
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return error


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
