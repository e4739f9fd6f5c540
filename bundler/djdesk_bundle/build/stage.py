"""What every stage after resolve is given, and the clock that times and announces them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.fs.deleter import Deleter
from djdesk_bundle.options import Options
from djdesk_bundle.tools.toolchain import Toolchain
from djdesk_bundle.ui import Reporter

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class StageContext:
    options: Options
    reporter: Reporter
    toolchain: Toolchain  # resolve's: uv, its version, git and the host, found once
    staging: Path  # the payload being built (swapped into place at the end)
    work: Path  # scratch space, deleted after the build
    previous: Path | None = None  # the payload this build replaces (read, never changed)
    digests: Digests = field(default_factory=Digests)  # the build's remembered file digests
    deleter: Deleter = field(default_factory=Deleter)  # what stages prune (fs/deleter.py)

    @property
    def cache_root(self) -> Path:
        return self.options.cache_root

    def in_previous(self, staged: Path) -> Path | None:
        """The same path in the payload this build replaces, if there is one."""
        return self.previous / staged.relative_to(self.staging) if self.previous else None


@dataclass
class StageClock:
    """Times each stage, prints a line when it ends (noting a cache hit), runs the hook a
    test registered for it (e.g. to interrupt a build right after that stage)."""

    reporter: Reporter
    hooks: Mapping[str, Callable[[], None]] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[list[str]]:
        """A timed block; append to the yielded list to note something on its line."""
        notes: list[str] = []
        start = time.perf_counter()
        status = (
            self.reporter.console.status(f"[bold]{name}[/bold]…")
            if self.reporter.verbosity >= 0
            else nullcontext()
        )
        with status:
            yield notes
        elapsed = time.perf_counter() - start
        self.timings.append((name, elapsed))
        extra = f" ({', '.join(notes)})" if notes else ""
        self.reporter.info(f"[green]✓[/green] {name}{extra} [dim]{elapsed:.1f} s[/dim]")
        if name in self.hooks:
            self.hooks[name]()

    def run(self, name: str, entry: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one stage's entry function; a result with ``cached`` true is noted."""
        with self.stage(name) as notes:
            result = entry(*args, **kwargs)
            if getattr(result, "cached", False):
                notes.append("cached")
        return result
