"""The payload's launcher (djdesk_runtime) run for real from a built inspector payload:
its one-line failures, the token it always requires, a worker that dies with it."""

from __future__ import annotations

import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from djdesk_runtime.contract import EXIT_CODES, LOGIN_PREFIX, SITE_PACKAGES_DIR
from tests.bundler.conftest import needs_local_python
from tests.bundler.test_build_e2e import launch, read_ready

pytestmark = [pytest.mark.e2e, needs_local_python]


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def the_worker(pid: int) -> int:
    """The server's worker child: it starts after the first answer (or a short delay)."""
    deadline = time.monotonic() + 60
    while not (found := children(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (worker,) = found
    return worker


def test_the_worker_starts_after_the_first_answer(built, tmp_path: Path) -> None:
    """Not beside the first page's request, competing with it for the CPU."""
    process = launch(built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="t")
    try:
        url = read_ready(process)
        assert children(process.pid) == []
        with pytest.raises(urllib.error.HTTPError):  # no token: refused, but answered
            urllib.request.urlopen(url, timeout=10)
        assert alive(the_worker(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_without_a_token_it_makes_one_and_prints_a_login_url(built, tmp_path: Path) -> None:
    """No token used to mean: answer everyone on the machine (#16)."""
    process = launch(built["out"], tmp_path / "data")
    try:
        url = read_ready(process)
        login = process.stdout.readline().strip()  # type: ignore[union-attr]
        assert login.startswith(f"{LOGIN_PREFIX}{url}?djdesk_token=")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(login.split()[1], timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_missing_runtime_dependency_is_one_line_and_exit_8(built, tmp_path: Path) -> None:
    payload = shutil.copytree(built["out"], tmp_path / "payload", symlinks=True)
    shutil.rmtree(payload / SITE_PACKAGES_DIR / "waitress")
    process = launch(payload, tmp_path / "data", DJDESK_SESSION_TOKEN="t")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_CODES["missing_dependency"] == 8
    (line,) = stderr.strip().splitlines()
    assert line.startswith("run_django: waitress is not installed in the payload")


def test_the_worker_dies_with_a_killed_server(built, tmp_path: Path) -> None:
    """kill -9 of the server used to leave `run_django.py --worker` running (#16)."""
    process = launch(built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="t")
    read_ready(process)
    worker = the_worker(process.pid)
    assert alive(worker)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=15)
    deadline = time.monotonic() + 30
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker)


def test_a_bad_option_is_a_usage_error(built, tmp_path: Path) -> None:
    process = launch(built["out"], tmp_path / "data", DJDESK_FORCE_PORT="eighty")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_CODES["usage"]
    assert stderr == "run_django: DJDESK_FORCE_PORT must be a port number, not 'eighty'\n"


def test_a_worker_and_server_stopped_together_exit_cleanly(built, tmp_path: Path) -> None:
    """SIGTERM to both at once (as `pkill -f run_django.py` or a session logout sends): the
    worker stops without aborting the interpreter (its parent watch must not hold stdin's
    buffered lock at shutdown: that printed "Fatal Python error")."""
    for trial in range(3):
        process = launch(built["out"], tmp_path / f"data-{trial}", DJDESK_SESSION_TOKEN="t")
        read_ready(process)
        worker = the_worker(process.pid)
        os.kill(worker, signal.SIGTERM)
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        deadline = time.monotonic() + 30
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)
        assert "Fatal Python error" not in stderr, stderr[-2000:]
