"""Work off the build's critical path: one worker process, started early, on the second
core while extract, install and the app stage run; a stage joins the job whose result it
needs.

The worker is a fresh interpreter (``python -m djdesk_bundle.build.background``: nothing
of the build's threads or locks is copied into it) that runs the jobs it is sent, in
order, over its stdin and stdout: a job is a module-level function and picklable
arguments. A job's error comes back as the same exception (a ``BundleError`` keeps its
class, message and exit code) and is raised where the result is joined. Leaving the
``with`` block ends the worker: it is told to stop once every result was taken, and
killed when the build failed or a job is still running (a failing build neither waits
for nor leaves behind a worker); a worker that dies is a one-line ``BackgroundError``,
never a hang.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

from djdesk_bundle.errors import BundleError

T = TypeVar("T")
STOP_SECONDS = 5  # what a worker with nothing left to do gets to exit by itself


class BackgroundError(BundleError):
    """The worker process ended before it answered (killed, or out of memory)."""


@dataclass
class Job(Generic[T]):
    """One job sent to the worker; ``result()`` waits for it (the worker's answers come in
    the order the jobs were sent)."""

    worker: Background
    index: int

    def result(self) -> T:
        return self.worker.result_of(self.index)  # type: ignore[no-any-return]


@dataclass
class Background:
    _process: subprocess.Popen[bytes] | None = None
    _sent: int = 0
    _answers: list[tuple[bool, Any]] = field(default_factory=list)

    def __enter__(self) -> Background:
        # The worker imports what the build imports, from the same places.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "djdesk_bundle.build.background"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        if kind is not None or len(self._answers) < self._sent:
            process.kill()
        with contextlib.suppress(OSError):  # a killed worker's pipe may be broken
            process.stdin.close()  # the worker's next read ends it
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    def submit(self, function: Callable[..., T], *args: Any) -> Job[T]:
        assert self._process is not None and self._process.stdin is not None
        try:
            pickle.dump((function, args), self._process.stdin)
            self._process.stdin.flush()
        except OSError:
            pass  # the worker is gone: result() says so
        self._sent += 1
        return Job(self, self._sent - 1)

    def result_of(self, index: int) -> Any:
        process = self._process
        assert process is not None and process.stdout is not None
        while len(self._answers) <= index:
            try:
                self._answers.append(pickle.load(process.stdout))
            except (EOFError, OSError, pickle.UnpicklingError):
                raise BackgroundError(
                    "the build's background worker ended before it answered "
                    f"(exit code {process.wait()}); run the build again"
                ) from None
        ok, value = self._answers[index]
        if not ok:
            raise value
        return value


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker: run each job it is sent, answer (True, result) or (False, error)."""
    while True:
        try:
            function, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, function(*args))
        except BaseException as error:  # every failure goes back to the build
            answer = (False, error)
        try:
            data = pickle.dumps(answer)
        except Exception as error:  # a result or an error that does not pickle
            data = pickle.dumps((False, BundleError(f"{type(error).__name__}: {error}")))
        answers.write(data)
        answers.flush()


if __name__ == "__main__":
    # The answers go to the original stdout; anything a job prints goes to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, channel)
