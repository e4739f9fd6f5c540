"""The data dir's ``launcher.lock``: shared while a launcher serves, exclusive for a change.

A serving launcher holds it shared for as long as it serves, so that nothing replaces the
database under it: an upgrade (backup, migrate a copy, swap) and ``--manage`` need it
exclusive. Two servers of one version share it (and the database, as SQLite allows); a
launcher that needs it exclusive while a server holds it refuses at once (the other copy
must be closed first), and waits, saying so, only for another exclusive holder (an
upgrade in progress), up to ``DJDESK_LOCK_WAIT`` seconds.

An OS lock on an open file: it goes with the process however it ends (even ``kill -9``),
and children do not inherit it (Python's descriptors are not inheritable).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import LaunchError

if sys.platform == "win32":
    import ctypes
    import msvcrt
    from ctypes import wintypes

    class _Overlapped(ctypes.Structure):
        _fields_ = [
            ("internal", ctypes.c_void_p),
            ("internal_high", ctypes.c_void_p),
            ("offset", wintypes.DWORD),
            ("offset_high", wintypes.DWORD),
            ("event", wintypes.HANDLE),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _LockFileEx = _kernel32.LockFileEx
    _LockFileEx.argtypes = [
        wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
        ctypes.POINTER(_Overlapped),
    ]  # fmt: skip
    _LockFileEx.restype = wintypes.BOOL
    _UnlockFileEx = _kernel32.UnlockFileEx
    _UnlockFileEx.argtypes = [
        wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
        ctypes.POINTER(_Overlapped),
    ]  # fmt: skip
    _UnlockFileEx.restype = wintypes.BOOL
    _FAIL_IMMEDIATELY, _EXCLUSIVE = 0x1, 0x2

    def _try_lock(fd: int, exclusive: bool) -> bool:
        # LockFileEx, not msvcrt.locking: only it has shared locks (one byte, offset 0).
        flags = _FAIL_IMMEDIATELY | (_EXCLUSIVE if exclusive else 0)
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        return bool(_LockFileEx(handle, flags, 0, 1, 0, ctypes.byref(_Overlapped())))

    def _unlock(fd: int) -> None:
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        _UnlockFileEx(handle, 0, 1, 0, ctypes.byref(_Overlapped()))

else:
    import fcntl

    def _try_lock(fd: int, exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


EXCLUSIVE, SHARED = "exclusive", "shared"


class DataDirLock:
    """One open ``launcher.lock``; ``held`` says how it is held now (or None)."""

    def __init__(self, path: Path, wait_seconds: float, announce: Callable[[str], None]) -> None:
        self.path, self.wait_seconds, self.announce = path, wait_seconds, announce
        self.held: str | None = None
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> DataDirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.release()
        os.close(self._fd)

    def release(self) -> None:
        if self.held:
            _unlock(self._fd)
            self.held = None

    def try_hold(self, how: str) -> bool:
        """Hold it ``how`` (EXCLUSIVE or SHARED) if that can be done at once. A lock held
        is released first: converting one in place is not atomic (flock(2)), and a failed
        conversion would leave it neither held nor said to be lost."""
        self.release()
        if _try_lock(self._fd, how == EXCLUSIVE):
            self.held = how
            return True
        return False

    def exclusive_or_shared(self) -> str:
        """Exclusive when nobody holds it, else shared when only servers do (waiting while
        another launcher holds it exclusively). Returns how it is held."""
        self._wait_for(lambda: self.try_hold(EXCLUSIVE) or self.try_hold(SHARED))
        assert self.held
        return self.held

    def shared(self) -> None:
        self._wait_for(lambda: self.try_hold(SHARED))

    def exclusive(self, serving_refusal: str) -> None:
        """Exclusive, or LaunchError("data_dir_in_use", ``serving_refusal``) at once when a
        server holds it shared."""

        def attempt() -> bool:
            if self.try_hold(EXCLUSIVE):
                return True
            if self.try_hold(SHARED):  # only shared holders: another copy is serving
                self.release()
                raise LaunchError("data_dir_in_use", serving_refusal)
            return False

        self._wait_for(attempt)

    def _wait_for(self, attempt: Callable[[], bool], poll: float = 0.1) -> None:
        deadline = time.monotonic() + self.wait_seconds
        announced = False
        while not attempt():
            if time.monotonic() >= deadline:
                raise LaunchError(
                    "data_dir_locked",
                    f"another launcher still holds {self.path} after {self.wait_seconds:g} s "
                    "(an upgrade migration may be running): try again when it has finished",
                )
            if not announced:
                self.announce(f"waiting for another launcher that holds {self.path}…")
                announced = True
            time.sleep(poll)
