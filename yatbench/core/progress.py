"""Progress displays on stderr, only on a terminal (quiet when piped or redirected): a one-line spinner
for commands that take more than a moment (what is being done now, the elapsed time) and the training
loop's bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_line(first: str = "starting", enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield ``say(text)``, which replaces the line's text; the line disappears when the block ends."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                        transient=True, disable=not (enabled and console.is_terminal))
    with progress:
        task = progress.add_task(first, total=None)
        yield lambda text: progress.update(task, description=text)


def note(text: str, enabled: bool = True) -> None:
    """A yellow 'note:' line on stderr, at once (a terminal only), e.g. which data a run is about to use."""
    from rich.console import Console

    console = Console(stderr=True)
    if enabled and console.is_terminal:
        console.print(f"[yellow]note:[/] {text}")


def warn(text: str) -> None:
    """A 'warning:' line on stderr, terminal or not: something the user must know happened (a damaged run folder)."""
    import sys

    sys.stderr.write(f"warning: {text}\n")
    sys.stderr.flush()


@contextmanager
def progress_bar(enabled: bool, total: int, label: str) -> Iterator[Any]:
    """A rich progress bar when output is a terminal; a no-op callable otherwise."""
    from rich.console import Console

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield lambda completed, **_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(label, total=total, info="")
        yield lambda completed, info="": progress.update(task, completed=completed, info=info)
