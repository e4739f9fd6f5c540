"""scripts/shell_node.py: the Node the shell's tooling needs (engines.node), the system's
when new enough, else npm's Node package, installed once (from the npm registry)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "shell_node.py"
pytestmark = pytest.mark.skipif(
    shutil.which("npm") is None or shutil.which("node") is None or sys.platform != "linux",
    reason="needs node and npm (npm installs its Node package) on Linux",
)


def shell_node(tmp_path: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "SHELL_NODE_DIR": str(tmp_path / "node")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_an_old_system_node_is_replaced_by_npms(tmp_path: Path) -> None:
    old = tmp_path / "bin"
    old.mkdir()
    real = shutil.which("node") or "/usr/bin/node"  # npm itself runs on the system's node
    (old / "node").write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && echo v20.19.0 && exit 0\nexec {real} "$@"\n'
    )
    (old / "node").chmod(0o755)
    npm_dir = Path(shutil.which("npm") or "").parent
    path = os.pathsep.join([str(old), str(npm_dir), "/usr/bin", "/bin"])
    result = shell_node(tmp_path, path, "-p", "process.versions.node + ' ' + process.env.PATH")
    assert result.returncode == 0, result.stderr
    version, child_path = result.stdout.split(" ", 1)
    assert tuple(map(int, version.split("."))) >= (22, 12), version
    assert "node 20.19.0 on PATH, the shell needs >= 22.12.0" in result.stderr
    # What the suite starts by name gets that Node too.
    assert child_path.startswith(str(tmp_path / "node"))
    again = shell_node(tmp_path, path, "--which")  # installed once: no npm the second time
    assert again.returncode == 0 and again.stdout.strip().startswith(str(tmp_path / "node"))


def test_without_npm_or_node_one_line(tmp_path: Path) -> None:
    result = shell_node(tmp_path, str(tmp_path / "empty"), "--version")
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "error: npm is not on PATH (it installs the Node the shell needs)"
    )
