"""The exception types that turn into a clear one-line message and an exit code."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: printed as one line by the CLI, never as a traceback.

    ``exit_code`` 2 is for input that was wrong before anything ran (unknown names,
    malformed overrides, wrong types); 1 is for failures at run time (no data files,
    an unwritable results folder).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UserValueError(UserError, ValueError):
    """A bad value (ε ≤ 0, NaN, …): a :class:`UserError` for the CLI (one line) that is also a ``ValueError``,
    what Python code (and nmn's own tests) expect a constructor to raise for a bad argument."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or a termination signal: the command stops, keeps what is finished, and says so in one line.

    ``exit_code`` follows the shell's convention, 128 + the signal number (130 for Ctrl-C,
    143 for SIGTERM).
    """

    def __init__(self, message: str = "interrupted", exit_code: int = 130) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def first_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first lines of its message, joined."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {' '.join(lines[:3])}" if lines else type(exc).__name__
