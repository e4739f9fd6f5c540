"""`just release-rehearsal`: the publishing side of a release, offline, here; it passes on
this code and fails on each of the release bugs of issue 17 it can see."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.bundler.conftest import bundle_exe, needs_debian_python
from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "release_rehearsal.py"
FIXTURES = REPO / "tests" / "fixtures" / "sigstore"
pytestmark = [
    pytest.mark.e2e,
    needs_debian_python,
    pytest.mark.skipif(
        not (REPO / "electron" / "node_modules" / "electron-builder").is_dir(),
        reason="needs `npm ci` in electron/ (electron-builder)",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _needs_7zip() -> None:
    """Asked when the tests run, not at collection: 7zip installed meanwhile counts."""
    if not any(shutil.which(n) for n in ("7za", "7z", "7zz")):
        pytest.skip("electron-builder's tar.gz needs 7-Zip offline (Debian package 7zip)")


def rehearse(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--work", str(work), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("rehearsal")
    result = rehearse(work)
    assert result.returncode == 0, result.stdout + result.stderr
    return work


def test_the_rehearsal_publishes_every_target_under_names_that_survive_upload(
    rehearsal: Path,
) -> None:
    release = rehearsal / "release"
    names = {p.name for p in release.iterdir()}
    for arch in ("x64", "arm64"):
        assert {
            f"DJDesk-Setup-0.1.0-{arch}.exe",
            f"DJDesk-Setup-0.1.0-{arch}.exe.blockmap",
            f"DJDesk-0.1.0-mac-{arch}.zip.blockmap",
            f"DJDesk-0.1.0-mac-{arch}.dmg",
        } <= names
    assert "DJDesk-0.1.0-linux-x64.tar.gz" in names  # built here by electron-builder
    assert all(" " not in name for name in names)
    windows = yaml.safe_load((release / "latest.yml").read_text())
    assert [f["url"] for f in windows["files"]] == [
        "DJDesk-Setup-0.1.0-arm64.exe",
        "DJDesk-Setup-0.1.0-x64.exe",
    ]
    payloads = [n for n in names if re.fullmatch(r"djdesk-payload-0\.1\.0-.+\.tar\.gz", n)]
    assert len(payloads) == 6


def test_the_verify_a_release_commands_work_on_the_rehearsal(rehearsal: Path) -> None:
    """docs/verify-a-release.md, run as written (the signature step with the signed test
    fixture, as nothing can be signed here)."""
    docs = (REPO / "docs" / "verify-a-release.md").read_text()
    release = rehearsal / "release"
    assert "sha256sum --check SHA256SUMS" in docs
    subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=release, check=True)
    one = "grep ' DJDesk-Setup-0.1.0-x64.exe$' SHA256SUMS | sha256sum --check"
    assert "grep ' ASSET$' SHA256SUMS | sha256sum --check" in docs
    subprocess.run(["bash", "-o", "pipefail", "-c", one], cwd=release, check=True)
    missing = one.replace("x64.exe", "x64 renamed.exe")  # an asset SHA256SUMS does not list
    assert subprocess.run(["bash", "-o", "pipefail", "-c", missing], cwd=release).returncode != 0
    assert "djdesk-bundle verify djdesk-payload-X.Y.Z-x86_64-unknown-linux-gnu.tar.gz" in docs
    payload = release / "djdesk-payload-0.1.0-x86_64-unknown-linux-gnu.tar.gz"
    assert subprocess.run([bundle_exe(), "verify", str(payload)]).returncode == 0
    assert "djdesk-bundle verify SHA256SUMS --bundle SHA256SUMS.sigstore.json" in docs
    signed = subprocess.run(
        [
            bundle_exe(),
            "verify",
            str(FIXTURES / "signed-artifact.whl"),
            "--bundle",
            str(FIXTURES / "signed-artifact.whl.sigstore.json"),
            "--github-repository",
            "trailofbits/rfc8785.py",
            "--github-ref",
            "v0.1.2",
        ],
        capture_output=True,
        text=True,
    )
    assert signed.returncode == 0, signed.stderr


@pytest.mark.parametrize(
    ("removed", "error"),
    [
        # electron-builder's default names: both Windows installers are DJDesk Setup 0.1.0.exe.
        (r"\s*artifactName:", "two different files are both called DJDesk Setup 0.1.0.exe"),
        (r"afterPack:", "RunAsNode, NODE_OPTIONS, --inspect must be off"),  # no fuses
    ],
    ids=["default-names", "no-fuses"],
)
def test_it_fails_on_the_old_builder_config(
    rehearsal: Path, tmp_path: Path, removed: str, error: str
) -> None:
    lines = (REPO / "electron" / "electron-builder.yml").read_text().splitlines(keepends=True)
    config = tmp_path / "electron-builder.yml"
    config.write_text("".join(line for line in lines if not re.match(removed, line)))
    result = rehearse(
        tmp_path / "work", "--builder-config", str(config), "--payload-from", str(rehearsal)
    )
    assert result.returncode == 1
    assert error in result.stderr
