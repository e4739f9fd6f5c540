"""The project's background worker (e.g. django-tasks-db's ``db_worker --batch``), run
only when there is work, never outliving the server: a thread of the server where the
backend allows it, else a child process that exits when the pipe from its parent closes,
however the parent ended (even ``kill -9``).

The server starts a run of it (#31: a second full Django process beside every server cost
45 MiB for nothing on most desktops):

- when a task is enqueued (django-tasks' ``task_enqueued`` signal, in the server);
- once after the server's first answer (or ``START_DELAY`` seconds without one) when
  tasks a previous launch queued are waiting (asked of django-tasks-db's table; asked of
  the worker itself, by starting it, when the backend is another one). Not before: the
  worker would compete with the first page for the CPU.

A run executes the command until it returns (``--batch``: nothing left in the queue),
again every ``POLL`` seconds while tasks keep coming, and ends ``DJDESK_WORKER_IDLE``
seconds (default ``IDLE``) after the last one started or finished. An enqueue during a
run starts another once it has ended, so no task waits for a next launch.

Where it runs (``worker-mode``, ``DJDESK_WORKER_MODE``): by default (``auto``) in the
server's supervising thread when the command is django-tasks-db's ``db_worker``: its
``Worker`` (the loop behind the command) with the command's own options, under the
server's data-dir lock, costing the server a few MiB instead of a second interpreter
(~40 MiB). The command itself cannot run there: it installs signal handlers, which only
the main thread may. Any other command, or ``process``, runs as ``run_django.py
--worker``, a child holding the data-dir lock shared as its server does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from .contract import (
    ENV,
    LAUNCHER,
    LAUNCHER_OPTIONS,
    PYTHON_FLAGS,
    WORKER_MODES,
    WORKER_PROCESS,
    WORKER_THREAD,
)
from .errors import LaunchError, describe, say
from .locking import SHARED, DataDirLock

START_DELAY = 2.0  # seconds: the first check for queued work, even if nobody asked for a page
IDLE = 30.0  # seconds without a task before the worker exits
POLL = 0.2  # seconds between runs of a batch command while the worker waits for work
STOP_SECONDS = 10.0  # how long a stopping server waits for the worker's task to finish
# The command a thread of the server can run: its Worker is driven directly.
THREAD_WORKER_COMMAND, THREAD_WORKER_APP = "db_worker", "django_tasks_db"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Run(Protocol):
    """One run of the worker, from its start until it has nothing left to do."""

    def wait(self) -> object:
        """Until the run has ended."""

    def end(self) -> bool:
        """End it now: the task it is running may finish first, for a while. True once
        nothing of it runs in this process (a thread still in its task: False)."""


class ChildRun:
    """A run of the worker as a child process (``--worker``)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def wait(self) -> object:
        return self.process.wait()

    def end(self) -> bool:
        stop_worker(self.process)
        return True


def start_worker(launcher: Path, worker_argv: tuple[str, ...]) -> ChildRun | None:
    if not worker_argv:
        return None
    return ChildRun(
        subprocess.Popen(
            [sys.executable, *PYTHON_FLAGS, str(launcher), LAUNCHER_OPTIONS["worker"]],
            stdin=subprocess.PIPE,
            env={**os.environ, ENV["worker_pipe"]: "1"},
        )
    )


class OnDemandWorker:
    """Starts the worker (``start``) when woken, one run at a time, from a supervising
    thread; first after ``wrap``'s application has answered (or after ``delay``) if
    ``queued()`` says work is waiting; never after ``stop``."""

    def __init__(
        self,
        start: Callable[[], Run | None],
        queued: Callable[[], bool] = lambda: True,
        delay: float = START_DELAY,
    ) -> None:
        self.current: Run | None = None
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
                self.current = self._start()
                self.starts += 1
            if self.current is None:
                return
            self.current.wait()

    def wrap(self, application: WSGIApp) -> WSGIApp:
        def answered_once(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            try:
                return application(environ, start_response)
            finally:
                self._served.set()

        return answered_once

    def stop(self) -> bool:
        """Never start again and end the current run; True once nothing of the worker
        runs in this process (Run.end)."""
        with self._lock:
            self._stopped = True
            self._wanted.set()
            return self.current is None or self.current.end()


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
        worker.wait(timeout=STOP_SECONDS)
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
    run_once: Callable[[], object],
    activity: Activity | None,
    idle: float,
    poll: float = POLL,
    ended: threading.Event | None = None,
) -> None:
    """Run the command; while tasks keep coming, again every ``poll`` seconds, until
    ``idle`` seconds passed without one (or ``ended`` is set). Without task signals: once
    (a command that is not a batch runs until the server stops it)."""
    ended = ended or threading.Event()
    while True:
        run_once()
        if activity is None or time.monotonic() - activity.last >= idle or ended.wait(poll):
            return


def worker_mode(environ: os._Environ[str] | dict[str, str], configured: str) -> str:
    """``DJDESK_WORKER_MODE`` if set, else the payload's ``worker-mode``."""
    mode = environ.get(ENV["worker_mode"], "") or configured
    if mode not in WORKER_MODES:
        raise LaunchError(
            "usage", f"{ENV['worker_mode']} must be one of {', '.join(WORKER_MODES)}, not {mode!r}"
        )
    return mode


def worker_starter(
    launcher: Path, worker_argv: tuple[str, ...], mode: str
) -> Callable[[], Run | None]:
    """How the server starts a run of the worker: in a thread of its own when ``mode``
    allows and the command is django-tasks-db's ``db_worker`` (decided at the first run,
    off the start-up path); else a child process."""
    chosen: list[Callable[[], Run | None]] = []

    def start() -> Run | None:
        if not chosen:
            in_thread = thread_worker(worker_argv, mode) if mode != WORKER_PROCESS else None
            chosen.append(in_thread or (lambda: start_worker(launcher, worker_argv)))
        return chosen[0]()

    return start


def thread_worker(worker_argv: tuple[str, ...], mode: str) -> Callable[[], Run] | None:
    """Runs of django-tasks-db's ``Worker`` with the command's own options (parsed by its
    own parser), always as a batch; None when the command is another one (then, in mode
    ``thread``, one line says why the worker is a process after all)."""
    try:
        make = db_worker_factory(worker_argv)
    except Exception as exc:  # not db_worker, or its options refused (e.g. no database backend)
        if mode == WORKER_THREAD:
            say(f"the task worker runs as a process: {describe(exc)}")
        return None
    activity = task_activity()
    idle = worker_idle(os.environ)
    return lambda: ThreadRun(make(), activity, idle)


def db_worker_factory(worker_argv: tuple[str, ...]) -> Callable[[], Any]:
    """Makes the ``Worker`` that ``db_worker`` with these arguments would run."""
    from django.apps import apps
    from django.core.management import get_commands, load_command_class

    name, *arguments = worker_argv or ("",)
    # A frozen app (the bench's PyInstaller build) has no command files to list.
    installed = THREAD_WORKER_APP if apps.is_installed(THREAD_WORKER_APP) else None
    app = get_commands().get(name, installed)
    if (name, app) != (THREAD_WORKER_COMMAND, THREAD_WORKER_APP):
        raise LaunchError(
            "startup_failed", f"{' '.join(worker_argv)!r} is not django-tasks-db's db_worker"
        )
    command = load_command_class(app, name)
    options = command.create_parser(LAUNCHER, name).parse_args(arguments)
    worker_class = sys.modules[type(command).__module__].Worker
    queues = options.queue_name.split(",")
    excluded = options.exclude_queues.split(",") if options.exclude_queues else []

    def make() -> Any:
        return worker_class(
            queue_names=queues,
            interval=options.interval,
            batch=True,  # returns once the queue is empty: idle and stop are handled here
            backend_name=options.backend_name,
            startup_delay=options.startup_delay,
            max_tasks=options.max_tasks,
            worker_id=options.worker_id,
            excluded_queue_names=excluded,
        )

    make()  # a Worker of another version of django-tasks-db is refused now, not later
    return make


class ThreadRun:
    """A run of django-tasks-db's ``Worker`` in the thread that ``wait``s (the server's
    supervising thread): batches until idle, as a child worker does; ``end`` stops it
    after the task it is running, waiting for that as long as a child is given."""

    def __init__(
        self, worker: Any, activity: Activity | None, idle: float, patience: float = STOP_SECONDS
    ) -> None:
        self._worker, self._activity, self._idle = worker, activity, idle
        self._patience = patience
        self._begun, self._ended, self._done = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

    def wait(self) -> object:
        from django.db import connections

        self._begun.set()
        try:
            if self._activity is not None:
                self._activity.seen()  # idle is counted from this run's start, as a child's
            if not self._ended.is_set():
                run_until_idle(self._worker.run, self._activity, self._idle, ended=self._ended)
        except Exception as exc:  # the server keeps serving; the next enqueue tries again
            say(f"the task worker stopped: {describe(exc)}")
        finally:
            connections.close_all()  # this thread's: nothing holds the database between runs
            self._done.set()
        return None

    def end(self) -> bool:
        self._ended.set()
        self._worker.running = False  # Worker.run's loop: no next task
        # Not begun: it never runs a batch (wait returns at once).
        return not self._begun.is_set() or self._done.wait(self._patience)
