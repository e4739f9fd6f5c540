"""resolve compares the Python the project and its lock ask for with the pinned
interpreter's, in one line, before anything is downloaded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from djdesk_bundle.build.install import LockedRequirements
from djdesk_bundle.build.resolve import check_lock_python
from djdesk_bundle.errors import LockError
from djdesk_bundle.options import AppProject
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.tools.toolchain import host_triple

PIN = dataclasses.replace(
    load_manifest(DEFAULT_MANIFEST).pin_for(host_triple()), python_version="3.11.2"
)


def project(tmp_path: Path, requires: str, lock: str) -> tuple[AppProject, LockedRequirements]:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\nversion = "1"\n{requires}\n')
    uv_lock = tmp_path / "uv.lock"
    uv_lock.write_text(f"version = 1\n{lock}\n")
    return AppProject(pyproject, "x", "1", ()), LockedRequirements("uv.lock", uv_lock, "")


def test_a_project_for_python_312_is_refused_naming_both_versions(tmp_path: Path) -> None:
    app, locked = project(tmp_path, 'requires-python = ">=3.12"', 'requires-python = ">=3.12"')
    with pytest.raises(LockError) as error:
        check_lock_python(app, locked, PIN)
    message = str(error.value)
    assert ">=3.12" in message and "3.11.2" in message and "\n" not in message


def test_a_lock_for_python_312_is_refused_when_the_project_says_nothing(tmp_path: Path) -> None:
    app, locked = project(tmp_path, "", 'requires-python = ">=3.12"')
    with pytest.raises(LockError, match=r"uv\.lock asks for Python >=3\.12"):
        check_lock_python(app, locked, PIN)


def test_a_workspace_lock_counts_only_the_apps_constraint(tmp_path: Path) -> None:
    workspace = 'requires-python = ">=3.11.4"\n[manifest]\nmembers = ["x", "tool"]'
    app, locked = project(tmp_path, 'requires-python = ">=3.11"', workspace)
    check_lock_python(app, locked, PIN)  # the tool's >=3.11.4 is not the payload's
