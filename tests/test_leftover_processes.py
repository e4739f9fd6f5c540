"""The session-end check: a test run that leaves a process behind fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LEAKY_TEST = """
import subprocess, sys

def test_leaves_a_sleeper(tmp_path):
    (tmp_path / "run_django.py").write_text("import time; time.sleep(600)")
    subprocess.Popen([sys.executable, str(tmp_path / "run_django.py"), "--worker"],
                     start_new_session=True)
"""

TIDY_TEST = """
import subprocess, sys

def test_stops_what_it_starts():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    process.kill()
    process.wait()
"""


def run_pytest(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_it.py").write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.leftover_processes",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "--basetemp",
            str(tmp_path / "base"),
            str(tmp_path / "test_it.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the check reads /proc: Linux only"
)
def test_a_leftover_process_fails_the_run_and_is_killed(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, LEAKY_TEST)
    assert result.returncode == 1, result.stdout
    assert "1 passed" in result.stdout
    assert "1 process(es) started by this test run are still running" in result.stdout
    assert "run_django.py --worker" in result.stdout
    survivors = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "base")], capture_output=True, text=True, check=False
    )
    assert survivors.stdout == ""


def test_a_tidy_run_passes(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, TIDY_TEST)
    assert result.returncode == 0, result.stdout
