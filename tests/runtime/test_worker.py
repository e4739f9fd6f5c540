"""The worker's deferred start: after the server's first answer, or after a delay, and
never once the server is stopping."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from djdesk_runtime.worker import DeferredWorker


class Starts:
    """Counts starts; each start is a real child process (a sleeping interpreter)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.processes: list[subprocess.Popen[bytes]] = []

    def __call__(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        self.processes.append(process)
        self.started.set()
        return process


def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [])
    return [b"ok"]


def test_starts_once_the_first_request_is_answered() -> None:
    starts = Starts()
    worker = DeferredWorker(starts, delay=3600)
    application = worker.wrap(answer)
    assert not starts.started.wait(0.2)  # nothing answered yet: no worker
    assert application({}, lambda *args: None) == [b"ok"]
    assert starts.started.wait(60)
    application({}, lambda *args: None)
    worker.stop()
    assert len(starts.processes) == 1 and starts.processes[0].poll() is not None


def test_starts_after_the_delay_without_any_request() -> None:
    starts = Starts()
    worker = DeferredWorker(starts, delay=0.05)
    assert starts.started.wait(60)
    worker.stop()
    assert starts.processes[0].poll() is not None


def test_a_failing_request_counts_as_answered() -> None:
    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("boom")

    starts = Starts()
    worker = DeferredWorker(starts, delay=3600)
    with pytest.raises(RuntimeError):
        worker.wrap(broken)({}, lambda *args: None)
    assert starts.started.wait(60)
    worker.stop()


def test_never_starts_once_stopped() -> None:
    starts = Starts()
    worker = DeferredWorker(starts, delay=3600)
    worker.stop()
    worker.wrap(answer)({}, lambda *args: None)
    worker._thread.join(60)
    assert starts.processes == []
