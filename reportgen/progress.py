"""A live progress display for a run (rich), or nothing when output is not a terminal."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from reportgen.engine.runner import NoProgress


class RichProgress:
    """Shows the tasks under way, finished/total and elapsed time, on stderr."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.display = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=False,
        )
        self.task = None

    def __enter__(self):
        self.display.start()
        return self

    def __exit__(self, *exc):
        self.display.stop()

    def start(self, total: int, cached: int) -> None:
        self.task = self.display.add_task("tasks", total=total, completed=cached)
        if cached:
            self.console.print(f"{cached} of {total} tasks unchanged: taken from the cache")

    def running(self, names: list[str]) -> None:
        label = "running " + ", ".join(names) if names else "done"
        self.display.update(self.task, description=label)

    def finished(self, name: str, seconds: float) -> None:
        self.display.advance(self.task)
        self.console.print(f"  [green]✓[/] {name} [dim]{seconds:.1f} s[/]")


def progress_for(quiet: bool):
    """Live display on a terminal; silence when quiet or when stderr is a file or a pipe."""
    if quiet or not sys.stderr.isatty():
        return NoProgress()
    return RichProgress()
