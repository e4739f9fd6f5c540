"""Fixtures shared by every suite: generated sample projects and helpers to run things."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from djdesk_runtime.contract import DESKTOP_OVERRIDES
from djdesk_runtime.overrides import environment

# The run fails if it leaves a process; it ends on the list of what it skipped and why.
pytest_plugins = ["tests.leftover_processes", "tests.skip_summary"]

REPO = Path(__file__).resolve().parent.parent
APP_DIR = REPO / "app"


def load_script(name: str):  # type: ignore[no-untyped-def]
    """Import a file from scripts/ as a module (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    load_script("fetch_samples").generate_samples(root, apps=3, models=4)
    return root


DJANGO_FIXTURES = {"settings", "db", "transactional_db", "client", "admin_client", "rf"}


@pytest.fixture(autouse=True)
def _samples_in_settings(
    request: pytest.FixtureRequest, sample_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Point the inspector at the generated samples in every Django test, and at no
    offline docs: what `just demo` leaves in the repo's var/ must not change a test."""
    uses_django = DJANGO_FIXTURES & set(request.fixturenames)
    if uses_django or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.INSPECTOR_SAMPLE_ROOT = sample_root
        settings.INSPECTOR_DOCS_BUNDLE_DIR = tmp_path_factory.getbasetemp() / "no-docs-bundle"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The test database is a file in this run's temporary folder (see the test settings for
    why not in memory): a file of its own per run, removed with pytest's old folders."""
    from django.conf import settings

    folder = tmp_path_factory.mktemp("database")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


@pytest.fixture
def inspector_server(tmp_path: Path, sample_root: Path) -> Iterator[str]:
    """A real Django process (desktop settings, fresh data dir) on 127.0.0.1."""
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        # The desktop settings as the payload's launcher loads them (runtime overrides on).
        **environment("djdesk.settings.desktop", data_dir, REPO, DESKTOP_OVERRIDES),
        "DJDESK_SAMPLE_ROOT": str(sample_root),
        "DJDESK_FLAG_DATA_LAB": "1",
        # runserver starts no worker: run tasks in the request (the payload tests cover the
        # database backend with the launcher's worker).
        "DJDESK_TASKS_BACKEND": "immediate",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=APP_DIR, env=env, check=True)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=APP_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
