"""The project's background worker (e.g. django-tasks-db's ``db_worker``), a child process
that never outlives the server: it exits when the pipe from its parent closes, however
the parent ended (even ``kill -9``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


def exit_with_parent() -> None:
    """Watch stdin (the parent's pipe): end of file means the parent is gone."""

    def watch(descriptor: int) -> None:
        # os.read, not sys.stdin: a buffered reader's lock held by this daemon thread
        # would abort the interpreter when the worker exits normally.
        try:
            while os.read(descriptor, 1024):
                pass
        except OSError:
            pass
        os._exit(0)

    if os.environ.get(ENV["worker_pipe"]) and sys.stdin is not None:
        descriptor = sys.stdin.fileno()
        threading.Thread(target=watch, args=(descriptor,), name="parent-watch", daemon=True).start()


def run_worker(worker_argv: tuple[str, ...]) -> None:
    import django
    from django.core.management import call_command

    exit_with_parent()
    django.setup()
    call_command(*worker_argv)
