"""The project's background worker (e.g. django-tasks-db's ``db_worker --batch``), a
child process started only when there is work, that never outlives the server: it exits
when the pipe from its parent closes, however the parent ended (even ``kill -9``).

The server starts it (#31: a second full Django process beside every server cost 45 MiB
for nothing on most desktops):

- when a task is enqueued (django-tasks' ``task_enqueued`` signal, in the server);
- once after the server's first answer (or ``START_DELAY`` seconds without one) when
  tasks a previous launch queued are waiting (asked of django-tasks-db's table; asked of
  the worker itself, by starting it, when the backend is another one). Not before: a second
  interpreter setting Django up beside the first page would compete with it for the CPU.

The worker runs its command until it returns (``--batch``: nothing left in the queue),
again every ``POLL`` seconds while tasks keep coming, and exits ``DJDESK_WORKER_IDLE``
seconds (default ``IDLE``) after the last one started or finished. An enqueue while it
runs starts another once it has exited, so no task waits for a next launch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .contract import ENV, LAUNCHER_OPTIONS, PYTHON_FLAGS
from .errors import LaunchError
from .locking import SHARED, DataDirLock

START_DELAY = 2.0  # seconds: the first check for queued work, even if nobody asked for a page
IDLE = 30.0  # seconds without a task before the worker exits
POLL = 0.2  # seconds between runs of a batch command while the worker waits for work

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def start_worker(launcher: Path, worker_argv: tuple[str, ...]) -> subprocess.Popen[bytes] | None:
    if not worker_argv:
        return None
    return subprocess.Popen(
        [sys.executable, *PYTHON_FLAGS, str(launcher), LAUNCHER_OPTIONS["worker"]],
        stdin=subprocess.PIPE,
        env={**os.environ, ENV["worker_pipe"]: "1"},
    )


class OnDemandWorker:
    """Starts the worker (``start``) when woken, one at a time, from a supervising thread;
    first after ``wrap``'s application has answered (or after ``delay``) if ``queued()``
    says work is waiting; never after ``stop``."""

    def __init__(
        self,
        start: Callable[[], subprocess.Popen[bytes] | None],
        queued: Callable[[], bool] = lambda: True,
        delay: float = START_DELAY,
    ) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._start, self._queued, self._delay = start, queued, delay
        self._served = threading.Event()
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._supervise, name="worker", daemon=True)
        self._thread.start()

    def wake(self, *args: object, **kwargs: object) -> None:
        """There is work (a signal receiver: any arguments)."""
        self._wanted.set()

    def _supervise(self) -> None:
        self._served.wait(self._delay)
        try:
            waiting = self._queued()
        except Exception:  # the worker itself will say what is wrong with the queue
            waiting = True
        if waiting:
            self._wanted.set()
        while True:
            self._wanted.wait()
            with self._lock:
                if self._stopped:
                    return
                # Cleared before the start: an enqueue from now on starts another run
                # after this one, even one the exiting worker did not see.
                self._wanted.clear()
                self.process = self._start()
                self.starts += 1
            if self.process is None:
                return
            self.process.wait()

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
            self._wanted.set()
            stop_worker(self.process)


def on_task_enqueued(wake: Callable[..., None]) -> None:
    """Call ``wake`` whenever the project enqueues a task (django-tasks, or Django's own
    tasks framework where it has one)."""
    for module in ("django_tasks.signals", "django.tasks.signals"):
        try:
            signals = __import__(module, fromlist=["task_enqueued"])
        except ImportError:
            continue
        signals.task_enqueued.connect(wake, weak=False, dispatch_uid=f"djdesk-worker-{module}")


def tasks_queued() -> bool:
    """Whether a previous launch left tasks to run: asked of django-tasks-db's table when
    the project uses it; True (ask the worker) when it is not known."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return True
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    try:
        return bool(DBTaskResult.objects.ready().exists())
    finally:
        connections.close_all()


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
    run_until_idle(lambda: call_command(*worker_argv), task_activity(), worker_idle(os.environ))


def worker_idle(environ: os._Environ[str] | dict[str, str]) -> float:
    raw = environ.get(ENV["worker_idle"], "")
    try:
        return float(raw) if raw else IDLE
    except ValueError:
        raise LaunchError(
            "usage", f"{ENV['worker_idle']} must be a number of seconds, not {raw!r}"
        ) from None


class Activity:
    """When a task last started or finished in this process (its start until then)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def seen(self, *args: object, **kwargs: object) -> None:
        self.last = time.monotonic()


def task_activity() -> Activity | None:
    """Task activity seen through django-tasks' signals; None without them."""
    try:
        from django_tasks.signals import task_finished, task_started
    except ImportError:
        return None
    activity = Activity()
    for signal in (task_started, task_finished):
        signal.connect(activity.seen, weak=False)
    return activity


def run_until_idle(
    run_once: Callable[[], object], activity: Activity | None, idle: float, poll: float = POLL
) -> None:
    """Run the command; while tasks keep coming, again every ``poll`` seconds, until
    ``idle`` seconds passed without one. Without task signals: once (a command that is not
    a batch runs until the server stops it)."""
    while True:
        run_once()
        if activity is None or time.monotonic() - activity.last >= idle:
            return
        time.sleep(poll)
