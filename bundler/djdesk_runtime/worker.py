"""The project's background worker (e.g. django-tasks-db's ``db_worker``), a child process
that never outlives the server: it exits when the pipe from its parent closes, however
the parent ended (even ``kill -9``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .contract import ENV, LAUNCHER_OPTIONS, PYTHON_FLAGS


def start_worker(launcher: Path, worker_argv: tuple[str, ...]) -> subprocess.Popen[bytes] | None:
    if not worker_argv:
        return None
    return subprocess.Popen(
        [sys.executable, *PYTHON_FLAGS, str(launcher), LAUNCHER_OPTIONS["worker"]],
        stdin=subprocess.PIPE,
        env={**os.environ, ENV["worker_pipe"]: "1"},
    )


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


def run_worker(worker_argv: tuple[str, ...]) -> None:
    import django
    from django.core.management import call_command

    exit_with_parent()
    django.setup()
    call_command(*worker_argv)
