"""One build at a time per output dir and per dist dir.

A build holds an exclusive lock (``fcntl``/``msvcrt`` through ``filelock``) on a file
beside its output dir and one beside its dist dir, from before the up-to-date check and
the repair of an interrupted swap until its archive and sidecar are in place. A second
build of the same output (or into the same dist) says that it waits, and waits: once the
first is done it finds the payload up to date, or builds on top of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .ui import Reporter


def lock_path(directory: Path) -> Path:
    """The lock file of a directory: beside it, so that replacing the directory keeps it."""
    return directory.with_name(f".{directory.name}.djdesk-bundle.lock")


@contextmanager
def build_locks(output: Path, dist: Path, reporter: Reporter) -> Iterator[None]:
    """Hold the output's lock, then the dist's (always in that order: no deadlock)."""
    with ExitStack() as held:
        paths = dict.fromkeys([lock_path(output), lock_path(dist)])  # once if the same
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(path, is_singleton=False)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                what = output if path == lock_path(output) else dist
                reporter.warn(f"another build is using {what}; waiting for it to finish")
                lock.acquire()
            held.callback(lock.release)
        yield
