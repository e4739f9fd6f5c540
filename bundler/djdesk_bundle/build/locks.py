"""One build at a time per output dir and per dist dir.

A build holds an exclusive lock (``fcntl``/``msvcrt`` through ``filelock``) on a file
beside its output dir (``OUT.lock``) and one in its dist dir (``.djdesk-bundle.lock``),
from before the up-to-date check and the repair of an interrupted swap until its archive
and sidecar are in place. A second build of the same output (or into the same dist) says
that it waits, and waits: once the first is done it finds the payload up to date, or
builds on top of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from djdesk_bundle.ui import Reporter


def output_lock_path(output: Path) -> Path:
    """Beside the output dir (which a build replaces wholesale): ``OUT.lock``."""
    return output.with_name(f"{output.name}.lock")


def dist_lock_path(dist: Path) -> Path:
    """Inside the dist dir (which a build only adds files to)."""
    return dist / ".djdesk-bundle.lock"


@contextmanager
def build_locks(output: Path, dist: Path, reporter: Reporter) -> Iterator[None]:
    """Hold the output's lock, then the dist's (always in that order: no deadlock)."""
    with ExitStack() as held:
        for path, what in ((output_lock_path(output), output), (dist_lock_path(dist), dist)):
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(path, is_singleton=False)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                reporter.warn(f"another build is using {what}; waiting for it to finish")
                lock.acquire()
            held.callback(lock.release)
        yield
