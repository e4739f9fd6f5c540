"""The worker on demand: started when a task is enqueued (a real django-tasks signal) or,
once after the server's first answer, when a previous launch left tasks queued; one at a
time; never once the server is stopping. Each start is a real child process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from djdesk_runtime.contract import WORKER_AUTO, WORKER_PROCESS, WORKER_THREAD
from djdesk_runtime.errors import LaunchError
from djdesk_runtime.worker import (
    Activity,
    ChildRun,
    OnDemandWorker,
    ThreadRun,
    on_task_enqueued,
    run_until_idle,
    thread_worker,
    worker_idle,
    worker_mode,
)


class Starts:
    """Counts starts; each is a real child process that runs until it reads a line."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.processes: list[subprocess.Popen[bytes]] = []

    def __call__(self) -> ChildRun:
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE
        )
        self.processes.append(process)
        self.started.release()
        return ChildRun(process)

    def wait_for_start(self) -> bool:
        return self.started.acquire(timeout=60)

    def finish_current(self) -> None:
        process = self.processes[-1]
        process.communicate(b"done\n", timeout=60)


def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [])
    return [b"ok"]


def nothing_queued() -> bool:
    return False


@pytest.fixture
def starts() -> Any:
    made = Starts()
    yield made
    for process in made.processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_no_work_no_worker_however_many_answers(starts: Starts) -> None:
    """It used to start after the first answer on every launch: 45 MiB for nothing (#31)."""
    checked = threading.Event()

    def queued() -> bool:
        checked.set()
        return False

    worker = OnDemandWorker(starts, queued, delay=3600)
    application = worker.wrap(answer)
    for _ in range(200):
        assert application({}, lambda *args: None) == [b"ok"]
    assert checked.wait(60)  # the queue was asked once the first answer went out
    worker.stop()
    worker._thread.join(60)
    assert starts.processes == [] and worker.starts == 0


def test_a_previous_launch_s_queue_starts_it_after_the_first_answer(starts: Starts) -> None:
    worker = OnDemandWorker(starts, lambda: True, delay=3600)
    assert worker.starts == 0  # nothing answered yet: the first page has the CPU
    worker.wrap(answer)({}, lambda *args: None)
    assert starts.wait_for_start()
    worker.stop()
    assert len(starts.processes) == 1 and starts.processes[0].poll() is not None


def test_an_enqueued_task_starts_it_through_the_real_signal(starts: Starts) -> None:
    from django_tasks.signals import task_enqueued

    worker = OnDemandWorker(starts, nothing_queued, delay=0)
    on_task_enqueued(worker.wake)
    try:
        task_enqueued.send_robust(sender=object, task_result=None)
        assert starts.wait_for_start()
        # Enqueued while it runs: one more run once it has exited (it may have missed it).
        task_enqueued.send_robust(sender=object, task_result=None)
        task_enqueued.send_robust(sender=object, task_result=None)
        starts.finish_current()
        assert starts.wait_for_start()
        starts.finish_current()
        assert not starts.started.acquire(timeout=0.5)  # two wakes while busy: one more run
        assert len(starts.processes) == 2
    finally:
        worker.stop()
        task_enqueued.disconnect(dispatch_uid="djdesk-worker-django_tasks.signals")


def test_never_starts_once_stopped(starts: Starts) -> None:
    worker = OnDemandWorker(starts, lambda: True, delay=3600)
    worker.stop()
    worker.wake()
    worker.wrap(answer)({}, lambda *args: None)
    worker._thread.join(60)
    assert starts.processes == []


def test_a_broken_queue_check_still_lets_the_worker_say_why(starts: Starts) -> None:
    def broken() -> bool:
        raise RuntimeError("no such table")

    worker = OnDemandWorker(starts, broken, delay=0)
    assert starts.wait_for_start()
    worker.stop()


def test_the_worker_runs_its_batch_until_idle() -> None:
    """A batch command returns when the queue is empty: it runs again while tasks keep
    coming and the worker exits once none started or finished for the idle time."""
    activity = Activity()
    runs: list[float] = []

    def run_once() -> None:
        runs.append(time.monotonic())
        if len(runs) <= 3:
            activity.seen()  # a task ran in this batch

    run_until_idle(run_once, activity, idle=0.3, poll=0.01)
    assert len(runs) >= 4
    assert runs[-1] - runs[2] >= 0.3  # idle counted from the last task


def test_without_task_signals_the_command_runs_once() -> None:
    runs: list[int] = []
    run_until_idle(lambda: runs.append(1), None, idle=60)
    assert runs == [1]


def test_the_idle_time_is_a_number_of_seconds() -> None:
    assert worker_idle({}) == 30.0 and worker_idle({"DJDESK_WORKER_IDLE": "0.5"}) == 0.5
    with pytest.raises(LaunchError, match="DJDESK_WORKER_IDLE must be a number of seconds"):
        worker_idle({"DJDESK_WORKER_IDLE": "soon"})


def test_the_worker_mode_comes_from_the_payload_unless_the_environment_says() -> None:
    assert worker_mode({}, WORKER_AUTO) == WORKER_AUTO
    assert worker_mode({"DJDESK_WORKER_MODE": WORKER_PROCESS}, WORKER_AUTO) == WORKER_PROCESS
    with pytest.raises(LaunchError, match="DJDESK_WORKER_MODE must be one of auto, thread"):
        worker_mode({"DJDESK_WORKER_MODE": "fork"}, WORKER_AUTO)


@pytest.mark.parametrize(
    "argv",
    [
        ("clearsessions",),  # not django-tasks-db's worker: only a child can run it
        ("db_worker", "--batch"),  # the test settings' backend is not a database backend
        ("db_worker", "--no-such-option"),
    ],
)
def test_a_worker_no_thread_can_run_is_a_child_said_only_when_asked_for(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert thread_worker(argv, WORKER_AUTO) is None
    assert capsys.readouterr().err == ""
    assert thread_worker(argv, WORKER_THREAD) is None
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("run_django: the task worker runs as a process: ")


class Batches:
    """Stands for django-tasks-db's Worker: each ``run`` is a batch; one task ran in each
    of the first ``busy``; ``fail`` raises in the next."""

    def __init__(self, activity: Activity, busy: int, fail: bool = False) -> None:
        self.activity, self.busy, self.fail = activity, busy, fail
        self.running, self.batches = True, 0

    def run(self) -> None:
        self.batches += 1
        if self.batches <= self.busy:
            self.activity.seen()
        elif self.fail:
            raise RuntimeError("database is locked")


def test_a_thread_run_batches_until_idle_then_ends() -> None:
    activity = Activity()
    batches = Batches(activity, busy=3)
    ThreadRun(batches, activity, idle=0.3).wait()
    assert batches.batches >= 4  # the busy ones, then polls until idle


def test_ending_a_thread_run_stops_it_after_its_batch() -> None:
    activity = Activity()
    batches = Batches(activity, busy=10**9)  # always busy: only the end stops it
    run = ThreadRun(batches, activity, idle=3600)
    thread = threading.Thread(target=run.wait)
    thread.start()
    while batches.batches < 2:
        time.sleep(0.01)
    run.end()  # waits for the run to finish
    assert not thread.is_alive() and batches.running is False
    ended_first = ThreadRun(Batches(activity, busy=1), activity, idle=3600)
    ended_first.end()
    ended_first.wait()  # returns at once, no batch
    assert ended_first._worker.batches == 0


def test_a_failing_thread_run_is_one_line_and_the_server_goes_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    activity = Activity()
    ThreadRun(Batches(activity, busy=1, fail=True), activity, idle=3600).wait()
    assert capsys.readouterr().err == (
        "run_django: the task worker stopped: RuntimeError: database is locked\n"
    )


class Stuck:
    """A Worker in a task that outlasts the server's patience, until ``release``."""

    def __init__(self) -> None:
        self.running, self.entered, self.release = True, threading.Event(), threading.Event()

    def run(self) -> None:
        self.entered.set()
        self.release.wait(60)


def test_a_task_outlasting_the_stop_says_so_and_the_server_keeps_its_lock() -> None:
    """launcher.serve closes the data-dir lock only when stop() says nothing of the worker
    runs any more: else an upgrade could replace the database under the task."""
    stuck = Stuck()
    run = ThreadRun(stuck, Activity(), idle=3600, patience=0.1)
    worker = OnDemandWorker(lambda: run, lambda: True, delay=0)
    try:
        assert stuck.entered.wait(60)
        assert worker.stop() is False and stuck.running is False
    finally:
        stuck.release.set()
        worker._thread.join(60)
    assert run.end() is True  # its task over: nothing of it runs
    idle = OnDemandWorker(lambda: None, lambda: False, delay=3600)
    assert idle.stop() is True  # never started
