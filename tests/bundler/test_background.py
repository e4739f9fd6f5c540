"""The build's background worker (build/background.py), with a real worker process: a
job's error comes back as the same one-line error and exit code, a failing build kills a
job still running, and a worker that dies is an error, not a hang; none leaves a process
behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from djdesk_bundle.build.background import Background, BackgroundError
from djdesk_bundle.errors import UnsafeSource


def double(value: int) -> int:
    return value * 2


def refuse(message: str) -> None:
    raise UnsafeSource(message)


def wait_for(path: Path) -> None:
    """A job that runs until it is killed, after saying it started (its pid in ``path``)."""
    path.write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def test_results_come_back_in_order_and_the_worker_ends() -> None:
    with Background() as background:
        first, second = background.submit(double, 2), background.submit(double, 21)
        assert second.result() == 42 and first.result() == 4
        process = background._process
    assert process is not None and process.poll() == 0


def test_a_jobs_error_is_the_same_error_where_it_is_joined() -> None:
    with Background() as background:
        job = background.submit(refuse, "1 secret(s) in files that would ship: app/x.py:1")
        later = background.submit(double, 1)
        with pytest.raises(UnsafeSource) as error:
            job.result()
        assert str(error.value) == "1 secret(s) in files that would ship: app/x.py:1"
        assert error.value.exit_code == UnsafeSource.exit_code
        assert later.result() == 2  # the worker goes on


def test_a_failing_build_kills_a_job_still_running(tmp_path: Path) -> None:
    started = tmp_path / "pid"
    with pytest.raises(RuntimeError, match="a stage failed"), Background() as background:
        background.submit(wait_for, started)
        while not started.is_file() or not started.read_text():
            time.sleep(0.05)
        raise RuntimeError("a stage failed")
    assert not psutil.pid_exists(int(started.read_text()))


def test_a_worker_that_dies_is_an_error_not_a_hang(tmp_path: Path) -> None:
    started = tmp_path / "pid"
    with Background() as background:
        job = background.submit(wait_for, started)
        while not started.is_file() or not started.read_text():
            time.sleep(0.05)
        os.kill(int(started.read_text()), signal.SIGKILL)
        with pytest.raises(BackgroundError, match="ended before it answered") as error:
            job.result()
        assert "\n" not in str(error.value)
