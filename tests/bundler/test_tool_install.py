"""djdesk-bundle is a tool a Django developer installs once (``uv tool install``), from a
checkout or from the wheel, and that works outside this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from djdesk_bundle import __version__
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.release.dists import check_dists
from djdesk_bundle.tools.uv import find_uv
from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def install_tool(source: str, root: Path) -> Path:
    """``uv tool install SOURCE`` into a private tool dir; the installed command's path."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_TOOL"))},
        "UV_TOOL_DIR": str(root / "tools"),
        "UV_TOOL_BIN_DIR": str(root / "bin"),
    }
    result = subprocess.run(
        [find_uv(), "tool", "install", "--quiet", source],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return root / "bin" / "djdesk-bundle"


def run_tool(exe: Path, *args: str, cwd: Path) -> str:
    result = subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_installed(exe: Path, outside: Path) -> None:
    assert run_tool(exe, "--version", cwd=outside).strip() == f"djdesk-bundle {__version__}"
    pinned = sorted(load_manifest(DEFAULT_MANIFEST).pins)
    assert run_tool(exe, "targets", cwd=outside).split() == pinned


def test_the_wheel_installs_as_a_tool_with_its_pins(tmp_path: Path) -> None:
    """The release's `tool` job: sdist and wheel as it builds them, checked as it checks
    them (metadata, RECORD, the shell inside), then installed from the built wheel."""
    dist = tmp_path / "dist"
    build = [find_uv(), "build", "--quiet", "--sdist", "--wheel", "--out-dir", str(dist)]
    subprocess.run([*build, "bundler/"], cwd=REPO, check=True, capture_output=True)
    (wheel,) = dist.glob("djdesk_bundle-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    pins = {f"djdesk_bundle/manifests/{p.name}" for p in (REPO / "manifests").iterdir()}
    assert pins <= set(names)
    assert "djdesk_runtime/launcher.py" in names and "djdesk_runtime/contract.json" in names
    for shell_file in ("main.js", "preload.cjs", "package-lock.json", "electron-builder.yml"):
        assert f"djdesk_bundle/shell/{shell_file}" in names
    assert check_dists(dist) == []
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    check_installed(install_tool(str(wheel), tmp_path), outside)
    # The check has teeth: a wheel without the shell's main.js is refused.
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(next(dist.glob("*.tar.gz")), broken)
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(broken / wheel.name, "w") as copy:
        for item in source.infolist():
            if item.filename != "djdesk_bundle/shell/main.js":
                copy.writestr(item, source.read(item))
    assert "wheel: the shell's main.js is missing" in check_dists(broken)


def test_a_checkout_installs_as_a_tool(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    check_installed(install_tool(str(REPO / "bundler"), tmp_path), outside)


def test_the_pins_live_in_manifests_and_a_checkout_reads_them_there() -> None:
    assert DEFAULT_MANIFEST == REPO / "manifests" / "python-build-standalone.toml"
    assert not (REPO / "bundler" / "djdesk_bundle" / "manifests").exists()  # built, not kept
    assert "interpreter-manifest" not in (REPO / "pyproject.toml").read_text()
