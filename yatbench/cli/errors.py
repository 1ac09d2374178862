"""How a ``yatbench`` command ends: one stderr line and an exit code, never a traceback.

Bad input (:class:`UserError`, click's usage errors) ends in one ``error:`` line and its exit code
(2 = wrong input, 1 = run-time failure); Ctrl-C, SIGTERM and SIGHUP end in one line and 128 + the
signal number, after the command has stopped cleanly. Output that cannot be encoded (an ASCII-only
terminal) is written with replacement characters; output that cannot be written at all (a full disk
behind ``> file``, a closed pipe) ends in one line and exit 1. Only typer is imported here, so that
``yatbench --help`` stays fast.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from yatbench.core.errors import Interrupted, UserError


class _Stopped(Exception):
    """Carries Ctrl-C / a termination signal past typer, which would turn it into a silent exit 130."""

    def __init__(self, interrupt: KeyboardInterrupt) -> None:
        super().__init__(str(interrupt))
        self.interrupt = interrupt


def _is_usage_error(exc: Exception) -> bool:
    """Click's own errors (typer vendors click, so match the class by name, not by import)."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


class OneLineGroup(TyperGroup):
    """Command-line usage errors (``--workers 0``, a missing argument) as one ``error:`` line, exit 2."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Stopped(exc) from None
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            command = f"yatbench {ctx.invoked_subcommand}" if ctx.invoked_subcommand else "yatbench"
            message = " ".join(exc.format_message().split()).rstrip(".")
            raise UserError(f"{message}; see `{command} --help`", exc.exit_code) from None


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP (SLURM, CI, a closed terminal) stop the command the way Ctrl-C does: cleanly."""
    raise Interrupted("terminated", 128 + signum)


def run_guarded(app: Callable[[], Any]) -> None:
    """Run ``app``; bad input ends in one line on stderr and a non-zero exit, never a traceback.

    Ctrl-C and termination signals end in one line too, after the sweep has stopped its workers.
    """
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    _replace_unencodable()
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # here, not at interpreter exit, where a failure is a message we cannot control
    except UserError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except _Stopped as exc:
        _exit_interrupted(exc.interrupt)
    except KeyboardInterrupt as exc:
        _exit_interrupted(exc)
    except ModuleNotFoundError as exc:
        package = (exc.name or "").partition(".")[0]
        if package in ("", "yatbench"):  # one of yatbench's own modules missing is a bug: keep its traceback
            raise
        sys.stderr.write(f"error: the package {package!r} that this command needs is not installed in the Python at "
                         f"{sys.executable}; reinstall yatbench there (`make venv` in a clone, else "
                         f"`pip install yatbench`)\n")
        sys.exit(1)
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            raise
        where = "standard output" if _stdout_broken(exc) else (exc.filename or "a file")
        _detach_stdout()
        sys.stderr.write(f"error: cannot write to {where} ({exc.strerror or exc}); the command stopped there\n")
        sys.exit(1)


# errno values that mean "this output cannot take more": a full disk or /dev/full, a closed pipe, a lost device.
WRITE_ERRNOS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EBADF, errno.EDQUOT, errno.EFBIG}


def _replace_unencodable() -> None:
    """An ASCII-only terminal (``LANG=C`` on old systems, ``PYTHONIOENCODING=ascii``) gets ``?`` for ⵟ, ±, ·.

    Without this the first such character raises ``UnicodeEncodeError`` deep inside rich or click.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and getattr(stream, "errors", "strict") == "strict":
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # a stream that cannot change (already written, detached)
                pass


def _stdout_broken(exc: OSError) -> bool:
    """True when standard output is what failed: a closed pipe, or a flush that fails again."""
    if isinstance(exc, BrokenPipeError):
        return True
    try:
        sys.stdout.flush()
    except OSError:
        return True
    try:  # `> /dev/full`: the failed write was dropped from the buffer, so a second flush has nothing to fail on
        return os.path.samefile(f"/proc/self/fd/{sys.stdout.fileno()}", "/dev/full")
    except (OSError, ValueError, AttributeError):
        return False


def _detach_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's flush at exit cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to flush at exit
        pass


def _exit_interrupted(exc: KeyboardInterrupt) -> None:
    message, code = (exc.message, exc.exit_code) if isinstance(exc, Interrupted) else ("interrupted", 130)
    typer.echo(message, err=True)
    sys.exit(code)
