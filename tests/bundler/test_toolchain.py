"""The toolchain (tools/toolchain.py): uv, its version, git and the host, found once by
resolve and carried to every stage; nothing about them is cached per process."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.tools import toolchain as toolchain_module
from djdesk_bundle.tools.git import find_git
from djdesk_bundle.tools.toolchain import Toolchain, host_triple
from djdesk_bundle.tools.uv import ask_uv_version, find_uv
from tests.bundler.conftest import build_argv, build_env
from tests.conftest import REPO


def test_the_toolchain_is_what_the_wrappers_find(tmp_path: Path) -> None:
    found = Toolchain.find()
    assert found.uv == find_uv() and found.uv.is_file()
    version = subprocess.run([found.uv, "--version"], capture_output=True, text=True).stdout
    assert found.uv_version == version.strip().removeprefix("uv ") == ask_uv_version(found.uv)
    assert found.git == find_git() == Path(shutil.which("git") or "")
    assert found.host_triple == host_triple()
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.uv_version = "0"  # type: ignore[misc]


def test_each_toolchain_looks_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No process-wide cache: a git put on PATH after a first lookup is the next one's, and
    one taken away is None (resolve then refuses a checkout: require_git)."""
    first = Toolchain.find()
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert Toolchain.find().git == fake != first.git
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert Toolchain.find().git is None
    assert find_git(lambda name: None) is None


@pytest.mark.parametrize(
    ("machine", "platform", "triple"),
    [
        ("x86_64", "linux", "x86_64-unknown-linux-gnu"),
        ("aarch64", "linux", "aarch64-unknown-linux-gnu"),
        ("arm64", "darwin", "aarch64-apple-darwin"),
        ("AMD64", "win32", "x86_64-pc-windows-msvc"),
    ],
)
def test_the_host_triple(
    monkeypatch: pytest.MonkeyPatch, machine: str, platform: str, triple: str
) -> None:
    monkeypatch.setattr(toolchain_module.platform, "machine", lambda: machine)
    monkeypatch.setattr(toolchain_module.sys, "platform", platform)
    assert host_triple() == triple


@pytest.mark.skipif(sys.platform == "win32", reason="the counting uv is a shell script")
def test_a_build_asks_uv_its_version_once(
    built: dict[str, Path], tmp_path: Path, local_interpreter: Path, sample_root: Path
) -> None:
    """A real build (warm, from the session's cache) with a uv on PATH that counts its
    ``--version`` calls: the bundler's pinned uv is hidden by an empty ``uv`` module, so
    PATH's is the toolchain's, and every stage takes the version from the toolchain."""
    real = find_uv()
    calls = tmp_path / "version-calls"
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && echo asked >> "{calls}"\nexec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    hide = tmp_path / "hide"
    (hide / "uv").mkdir(parents=True)
    (hide / "uv" / "__init__.py").write_text("")  # no find_uv_bin: the PATH fallback
    env = build_env(sample_root)
    env["PATH"] = f"{wrapper.parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(hide)
    output = tmp_path / "out"
    argv = build_argv(output, local_interpreter, built["cache"])
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == ["asked"]  # through the wrapper, once
    info = json.loads((output / "build-info.json").read_text())
    assert info["tools"]["uv"] == ask_uv_version(real)
