"""The payload's launcher (djdesk_runtime) run for real from a built inspector payload:
its one-line failures, the token it always requires, a worker that dies with it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import psutil
import pytest

from djdesk_runtime.contract import (
    ENV,
    EXIT_CODES,
    LOGIN_PREFIX,
    SITE_PACKAGES_DIR,
    WORKER_MODES,
    WORKER_PROCESS,
)
from tests.bundler.conftest import needs_local_python
from tests.bundler.test_build_e2e import launch, read_ready
from tests.bundler.test_upgrade import outcome, rows, version_1_data
from tests.processes import alive, children, minimal_env, payload_python, stop_process_tree
from tests.runtime.test_database import fill, small_tmpfs

pytestmark = [pytest.mark.e2e, needs_local_python]


def the_worker(pid: int) -> int:
    """The server's worker child, once there is work for it."""
    deadline = time.monotonic() + 60
    while not (found := children(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (worker,) = found
    return worker


STATUS = "api/workspaces/atlas-telemetry/status/"  # a poll: never starts scans
# The worker as a child process (the default runs it in a thread of the server).
AS_A_CHILD = {ENV["worker_mode"]: WORKER_PROCESS}


def get(url: str, path: str = "") -> bytes:
    request = urllib.request.Request(url + path, headers={"X-DJDesk-Token": "t"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


def give_work(url: str) -> None:
    """The first view of a never-scanned workspace enqueues its scans."""
    get(url, "workspaces/atlas-telemetry/")


def scans_completed(url: str) -> bool:
    scans = json.loads(get(url, STATUS))["scans"]
    return bool(scans) and all(scan["status"] == "completed" for scan in scans)


def scans_done(url: str) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if scans_completed(url):
            return True
        time.sleep(0.2)
    return False


def test_the_worker_starts_when_there_is_work_and_exits_when_idle(built, tmp_path: Path) -> None:
    """It used to start after the first answer of every launch: a second full Django
    process (45 MiB) for nothing on most desktops (#31)."""
    process = launch(
        built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="t", DJDESK_WORKER_IDLE="1",
        **AS_A_CHILD,
    )  # fmt: skip
    try:
        url = read_ready(process)
        for _ in range(200):
            get(url, STATUS)
        assert children(process.pid) == []  # 200 answers, no work: the server alone
        serving_rss = psutil.Process(process.pid).memory_info().rss
        print(f"serving RSS after 200 requests: {serving_rss / 2**20:.1f} MiB")
        give_work(url)
        worker = the_worker(process.pid)
        assert scans_done(url)  # the worker ran them
        deadline = time.monotonic() + 60
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)  # idle for DJDESK_WORKER_IDLE seconds: it exited
        # An enqueue the exiting worker may not have seen starts one more run, which finds
        # nothing and exits idle too: in the end the server is alone, still serving.
        while children(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None and children(process.pid) == []
    finally:
        stop_process_tree(process)


def test_by_default_the_tasks_run_in_a_thread_of_the_server(built, tmp_path: Path) -> None:
    """The worker was a second Django process (37 MiB of PSS beside a 44 MiB server, while
    the bench's dashboards had scans to run): django-tasks-db's worker now runs in the
    server's own process, woken by the enqueue as the child was (#31)."""
    process = launch(
        built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="t", DJDESK_WORKER_IDLE="600"
    )
    try:
        url = read_ready(process)
        give_work(url)
        deadline = time.monotonic() + 120
        while not scans_completed(url):
            assert children(process.pid) == []  # never a second process
            assert time.monotonic() < deadline, "the scans never ran"
            time.sleep(0.2)
        assert children(process.pid) == [] and process.poll() is None
        get(url, "workspaces/new/")  # still serving beside its worker
    finally:
        stop_process_tree(process)


def test_a_server_stopped_beside_its_worker_thread_leaves_nothing(built, tmp_path: Path) -> None:
    """SIGTERM (or the shell's closed stdin) while the worker thread waits for more work:
    the server's own clean stop, exit 0, nothing left running or said."""
    for trial, how in enumerate(("terminate", "stdin")):
        process = launch(
            built["out"], tmp_path / f"data-{trial}", stdin=subprocess.PIPE,
            DJDESK_SESSION_TOKEN="t", DJDESK_STOP_PIPE="1", DJDESK_WORKER_IDLE="600",
        )  # fmt: skip
        try:
            url = read_ready(process)
            give_work(url)
            assert scans_done(url)
            assert process.stdin is not None
            if how == "terminate":
                process.terminate()
            else:
                process.stdin.close()
            assert process.wait(timeout=30) == 0
            assert process.stderr is not None and process.stderr.read() == ""
        finally:
            stop_process_tree(process)


@pytest.mark.parametrize("mode", WORKER_MODES)
def test_tasks_a_previous_launch_queued_still_run(built, tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    enqueue = subprocess.run(
        [str(payload_python(built["out"])), "-I", str(built["out"] / "run_django.py"),
         "--manage", "shell", "-c",
         "from inspector.tasks import run_scan; print(run_scan.enqueue(0).id)"],
        env=minimal_env(DJDESK_DATA_DIR=str(data)), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert enqueue.returncode == 0, enqueue.stderr
    task_id = enqueue.stdout.split()[-1].replace("-", "")
    assert queued_status(data, task_id) == "READY"  # nothing ran it: no server, no worker
    process = launch(
        built["out"], data, DJDESK_SESSION_TOKEN="t", DJDESK_WORKER_IDLE="1",
        **{ENV["worker_mode"]: mode},
    )  # fmt: skip
    try:
        url = read_ready(process)
        get(url, STATUS)
        deadline = time.monotonic() + 120
        while queued_status(data, task_id) in ("READY", "RUNNING"):
            assert time.monotonic() < deadline, "the queued task never ran"
            time.sleep(0.2)
        assert queued_status(data, task_id) == "FAILED"  # ScanJob 0 does not exist: it ran
    finally:
        stop_process_tree(process)


def queued_status(data: Path, task_id: str) -> str:
    with closing(sqlite3.connect(f"{(data / 'db.sqlite3').as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE replace(id, '-', '') = ?",
            [task_id],
        ).fetchall()
    return str(rows[0][0]) if rows else "missing"


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
        stop_process_tree(process)


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
    process = launch(
        built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="t", DJDESK_WORKER_IDLE="600",
        **AS_A_CHILD,
    )  # fmt: skip
    give_work(read_ready(process))
    worker = the_worker(process.pid)
    assert alive(worker)
    process.kill()  # SIGKILL; TerminateProcess on Windows: no Python code runs either way
    process.wait(timeout=15)
    deadline = time.monotonic() + 30
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker)


def test_closing_its_stdin_stops_it_gracefully_with_its_worker(built, tmp_path: Path) -> None:
    """The shell's graceful stop where it has no signal to send (Windows: Node cannot send
    Ctrl+Break, and taskkill without /F cannot close a windowless console process): it
    sets DJDESK_STOP_PIPE and closes the launcher's stdin."""
    process = launch(
        built["out"], tmp_path / "data", stdin=subprocess.PIPE, DJDESK_SESSION_TOKEN="t",
        DJDESK_STOP_PIPE="1", DJDESK_WORKER_IDLE="600", **AS_A_CHILD,
    )  # fmt: skip
    try:
        give_work(read_ready(process))
        worker = the_worker(process.pid)
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=30) == 0  # its own stop: server closed, worker stopped
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
        assert not alive(worker)
    finally:
        stop_process_tree(process)


def test_without_the_stop_pipe_variable_stdin_is_not_watched(built, tmp_path: Path) -> None:
    """A launcher started from a terminal or a service manager, stdin at end of file."""
    process = launch(
        built["out"], tmp_path / "data", stdin=subprocess.DEVNULL, DJDESK_SESSION_TOKEN="t"
    )
    try:
        url = read_ready(process)
        request = urllib.request.Request(url, headers={"X-DJDesk-Token": "t"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        assert process.poll() is None
    finally:
        stop_process_tree(process)


def test_a_bad_option_is_a_usage_error(built, tmp_path: Path) -> None:
    process = launch(built["out"], tmp_path / "data", DJDESK_FORCE_PORT="eighty")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_CODES["usage"]
    assert stderr == "run_django: DJDESK_FORCE_PORT must be a port number, not 'eighty'\n"
    for variable, value, message in [
        ("DJDESK_WORKER_MODE", "fork", "must be one of auto, thread, process, not 'fork'"),
        # Read by the worker thread only once there is work: checked at start-up (#31).
        ("DJDESK_WORKER_IDLE", "soon", "must be a number of seconds, not 'soon'"),
    ]:
        process = launch(built["out"], tmp_path / "data", **{variable: value})
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == EXIT_CODES["usage"]
        assert stderr == f"run_django: {variable} {message}\n"


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="POSIX signals: Windows has no SIGTERM to deliver to Python code (terminate is "
    "TerminateProcess, which runs no interpreter shutdown that could abort)",
)
def test_a_worker_and_server_stopped_together_exit_cleanly(built, tmp_path: Path) -> None:
    """SIGTERM to both at once (as `pkill -f run_django.py` or a session logout sends): the
    worker stops without aborting the interpreter (its parent watch must not hold stdin's
    buffered lock at shutdown: that printed "Fatal Python error")."""
    for trial in range(3):
        process = launch(
            built["out"], tmp_path / f"data-{trial}", DJDESK_SESSION_TOKEN="t",
            DJDESK_WORKER_IDLE="600", **AS_A_CHILD,
        )  # fmt: skip
        give_work(read_ready(process))
        worker = the_worker(process.pid)
        os.kill(worker, signal.SIGTERM)
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        deadline = time.monotonic() + 30
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)
        assert "Fatal Python error" not in stderr, stderr[-2000:]


# The data dir, with the real launcher of a real build (Notes Desk, whose database is
# <data>/notes.sqlite3): private, and every unusable state one line and a documented code.


@pytest.mark.skipif(os.name != "posix", reason="modes are POSIX")
def test_the_data_dir_is_private_to_its_user(notes_versions, tmp_path: Path) -> None:
    """It was made 0755 and the database 0644: every local user could read it (#27)."""
    data = tmp_path / "profile" / "data"
    code, _, stderr = outcome(notes_versions["1.2.3"], data)
    assert code is None, stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [data, *data.iterdir()]}
    assert modes["data"] == 0o700 and modes["logs"] == 0o700
    assert modes["notes.sqlite3"] == modes["secret_key"] == 0o600


def test_an_empty_database_is_said_then_started_afresh(notes_versions, tmp_path: Path) -> None:
    """A 0-byte database used to be migrated as a new one without a word (#27)."""
    data = tmp_path / "data"
    database = version_1_data(notes_versions, data)
    database.write_bytes(b"")
    code, _, stderr = outcome(notes_versions["1.2.3"], data)
    assert code is None, stderr
    assert (
        f"run_django: warning: the database {database} was empty (0 bytes; backups taken "
        f"before upgrades are in {data / 'backups'}): starting with a new database\n"
    ) in stderr
    assert rows(database, "SELECT count(*) FROM notes_note") == [(0,)]


def test_a_truncated_database_is_one_line_naming_the_backups(
    notes_versions, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database = version_1_data(notes_versions, data)
    assert outcome(notes_versions["1.3.0"], data)[0] is None  # the upgrade takes a backup
    (backup,) = (data / "backups").iterdir()
    with database.open("r+b") as handle:
        handle.truncate(database.stat().st_size // 2)
    before = database.read_bytes()
    code, stdout, stderr = outcome(notes_versions["1.3.0"], data)
    assert code == EXIT_CODES["database_damaged"] and "DJDESK_READY" not in stdout
    (line,) = stderr.splitlines()
    assert line.startswith(f"run_django: the database {database} is damaged (truncated: ")
    assert f"the newest backup is {backup}" in line
    assert database.read_bytes() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a tmpfs is a Linux mount")
def test_a_full_disk_at_start_is_one_line_and_leaves_nothing(
    notes_versions, tmp_path: Path
) -> None:
    """Each start on a full disk used to leave a 0-byte secret_key.partial-PID (#27)."""
    with small_tmpfs(tmp_path / "data", "64k") as data:
        fill(data)
        for _ in range(2):
            code, _, stderr = outcome(notes_versions["1.2.3"], data)
            assert sorted(p.name for p in data.iterdir() if p.is_file()) == ["filler"]
            assert code == EXIT_CODES["disk_full"], stderr
            (line,) = stderr.splitlines()
            assert line.startswith(f"run_django: disk full: no room in {data}")
