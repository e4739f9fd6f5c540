"""The project's background worker (e.g. django-tasks-db's ``db_worker``), a child process
that never outlives the server: it exits when the pipe from its parent closes, however
the parent ended (even ``kill -9``).

It starts once the server has answered its first request (or after ``START_DELAY``
seconds without one): a second interpreter setting Django up at the same moment as the
first page would compete with it for the CPU (which the shell's own start-up already
shares). Tasks queued before then wait in the database, as for any busy worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .contract import ENV, LAUNCHER_OPTIONS, PYTHON_FLAGS
from .errors import LaunchError
from .locking import SHARED, DataDirLock


def start_worker(launcher: Path, worker_argv: tuple[str, ...]) -> subprocess.Popen[bytes] | None:
    if not worker_argv:
        return None
    return subprocess.Popen(
        [sys.executable, *PYTHON_FLAGS, str(launcher), LAUNCHER_OPTIONS["worker"]],
        stdin=subprocess.PIPE,
        env={**os.environ, ENV["worker_pipe"]: "1"},
    )


START_DELAY = 2.0  # seconds: the worker starts then even if nobody asked for a page

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DeferredWorker:
    """The worker, started by a thread once ``wrap``'s application has answered (or after
    ``delay``); never started after ``stop``."""

    def __init__(
        self, start: Callable[[], subprocess.Popen[bytes] | None], delay: float = START_DELAY
    ) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._start, self._delay = start, delay
        self._served = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="worker-start", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._served.wait(self._delay)
        with self._lock:
            if not self._stopped:
                self.process = self._start()

    def wrap(self, application: WSGIApp) -> WSGIApp:
        def answered_once(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            try:
                return application(environ, start_response)
            finally:
                self._served.set()

        return answered_once

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            stop_worker(self.process)


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def on_stdin_closed(variable: str, then: Callable[[], object]) -> None:
    """When the parent said so (``variable`` set), call ``then`` once stdin, the parent's
    pipe, reaches end of file: the parent closed it, or the parent is gone."""

    def watch(descriptor: int) -> None:
        # os.read, not sys.stdin: a buffered reader's lock held by this daemon thread
        # would abort the interpreter when the worker exits normally.
        try:
            while os.read(descriptor, 1024):
                pass
        except OSError:
            pass
        then()

    if os.environ.get(variable) and sys.stdin is not None:
        descriptor = sys.stdin.fileno()
        threading.Thread(target=watch, args=(descriptor,), name="parent-watch", daemon=True).start()


def exit_with_parent() -> None:
    on_stdin_closed(ENV["worker_pipe"], lambda: os._exit(0))


def run_worker(worker_argv: tuple[str, ...], lock: DataDirLock) -> None:
    """The worker, holding the data dir shared as its server does: an upgrade never runs
    beside it either, even in the moment between its server's end and its own."""
    import django
    from django.core.management import call_command

    exit_with_parent()
    if not lock.try_hold(SHARED):
        raise LaunchError(
            "data_dir_locked", f"another launcher holds {lock.path} alone: the worker stops"
        )
    django.setup()
    call_command(*worker_argv)
