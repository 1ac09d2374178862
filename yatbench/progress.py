"""A one-line progress display for commands that take more than a moment: a spinner, what is being
done now and the elapsed time, on stderr, and only on a terminal (quiet when piped or redirected).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
