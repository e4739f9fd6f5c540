"""The bundler's side of the launcher: the runtime package, launcher.json, run_django.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.build.launcher_files import write_launcher
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import load_options
from djdesk_runtime.contract import (
    DESKTOP_OVERRIDES,
    EXIT_CODES,
    LAUNCHER,
    LAUNCHER_CONFIG,
    RUNTIME_DIR,
    WORKER_AUTO,
    WORKER_PROCESS,
)
from tests.conftest import REPO


def test_the_payload_gets_the_runtime_its_config_and_a_short_entry_point(tmp_path: Path) -> None:
    options = load_options(REPO, {})
    runtime = write_launcher(options, tmp_path, "9.9.9", precompiled=True)
    assert runtime == tmp_path / RUNTIME_DIR
    assert (runtime / "djdesk_runtime" / "launcher.py").is_file()
    assert (runtime / "djdesk_runtime" / "contract.json").is_file()
    assert not list(runtime.rglob("__pycache__"))
    config = json.loads((tmp_path / LAUNCHER_CONFIG).read_text())
    assert config == {
        "app_version": "9.9.9",
        "desktop_overrides": list(DESKTOP_OVERRIDES),
        "precompiled": True,
        "public_paths": [],
        "settings_module": "djdesk.settings.desktop",
        "worker_argv": [
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "--no-reload",
        ],
        "wsgi_application": "djdesk.wsgi:application",
        "worker_mode": WORKER_AUTO,
    }
    assert len((tmp_path / LAUNCHER).read_text().splitlines()) < 15
    # Run for real: without a data dir it refuses with one line and the usage code.
    env = {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "-I", str(tmp_path / LAUNCHER)], env=env, capture_output=True, text=True
    )
    assert result.returncode == EXIT_CODES["usage"]
    assert result.stderr == (
        "run_django: DJDESK_DATA_DIR is not set (the shell passes its user data folder)\n"
    )


def test_public_paths_are_carried_into_launcher_json_and_checked(tmp_path: Path) -> None:
    options = load_options(REPO, {"DJDESK_BUNDLE_PUBLIC_PATHS": "/hooks/ping, /health"})
    write_launcher(options, tmp_path, "9.9.9", precompiled=True)
    config = json.loads((tmp_path / LAUNCHER_CONFIG).read_text())
    assert config["public_paths"] == ["/hooks/ping", "/health"]
    for refused, why in [("/", "below the root"), ("/admin/login/", "overlaps the admin")]:
        options = load_options(REPO, {"DJDESK_BUNDLE_PUBLIC_PATHS": refused})
        with pytest.raises(ConfigError, match=f"public-paths: .*{why}") as raised:
            write_launcher(options, tmp_path / "refused", "9.9.9", precompiled=True)
        assert raised.value.exit_code == ConfigError.exit_code


def test_the_worker_mode_is_carried_into_launcher_json_and_checked(tmp_path: Path) -> None:
    """#31: where the task worker runs is the payload's choice (DJDESK_WORKER_MODE at launch)."""
    options = load_options(REPO, {"DJDESK_BUNDLE_WORKER_MODE": WORKER_PROCESS})
    write_launcher(options, tmp_path, "9.9.9", precompiled=True)
    assert json.loads((tmp_path / LAUNCHER_CONFIG).read_text())["worker_mode"] == WORKER_PROCESS
    with pytest.raises(ConfigError, match="worker-mode = 'fork': it must be one of auto, thread"):
        load_options(REPO, {"DJDESK_BUNDLE_WORKER_MODE": "fork"})
    with pytest.raises(ConfigError, match="runs django-tasks-db's db_worker only, not"):
        load_options(
            REPO,
            {"DJDESK_BUNDLE_WORKER_MODE": "thread", "DJDESK_BUNDLE_WORKER_COMMAND": "rqworker"},
        )
