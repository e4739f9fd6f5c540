"""Console output: rich progress bars for downloads and stages, quiet and verbose modes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


@dataclass
class Reporter:
    # soft_wrap: long messages (paths, digests) stay on one line for logs and greps.
    console: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self.console.print(message)

    def detail(self, message: str) -> None:
        if self.verbosity > 0:
            self.console.print(f"[dim]{escape(message)}[/dim]")

    def warn(self, message: str) -> None:
        if self.verbosity >= 0:  # -q is errors only
            self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")

    @contextlib.contextmanager
    def download(self, label: str, total: int | None) -> Iterator[Progress | None]:
        """A byte progress bar; yields None in quiet mode."""
        if self.verbosity < 0:
            yield None
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as progress:
            progress.add_task(label, total=total)
            yield progress


def advance(progress: Progress | None, amount: int, completed: int | None = None) -> None:
    if progress is None:
        return
    task_id = progress.task_ids[0]
    if completed is not None:
        progress.update(task_id, completed=completed)
    else:
        progress.advance(task_id, amount)
