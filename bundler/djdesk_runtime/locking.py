"""An exclusive lock on the data dir, held from the migration check to the swap.

Two launchers on one data dir (two app instances, an app and a management command)
must never migrate the same database at once: the second waits for the first, then
finds the schema current.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LaunchError

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def exclusive_lock(
    path: Path, wait_seconds: float, announce: Callable[[str], None], poll: float = 0.1
) -> Iterator[None]:
    """Hold ``path`` locked; wait up to ``wait_seconds`` for another holder (saying so once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise LaunchError(
                    "data_dir_locked",
                    f"another launcher still holds {path} after {wait_seconds:g} s "
                    "(an upgrade migration may be running): try again when it has finished",
                )
            if not announced:
                announce(f"waiting for another launcher that holds {path}…")
                announced = True
            time.sleep(poll)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
