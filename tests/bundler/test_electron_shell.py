"""The Electron shell: its Node suite against a real built payload, and a packaging check
with electron-builder (offline, with a stand-in for the Electron binary)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.scaffold.shell import shell_files
from tests.bundler.conftest import bundle, needs_local_python, pack_linux_dir
from tests.conftest import REPO

ELECTRON = REPO / "electron"
pytestmark = [
    pytest.mark.e2e,
    needs_local_python,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js"),
    pytest.mark.skipif(
        not (ELECTRON / "node_modules").is_dir(),
        reason="run `just install` (npm ci in electron/) first",
    ),
]


def test_node_suite_against_the_built_payload(built) -> None:
    env = {**os.environ, "DJDESK_TEST_PAYLOAD": str(built["out"]), "PYTHON": sys.executable}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        # On the Node the shell's tooling needs (engines.node), npm's when the system's is older.
        [sys.executable, str(REPO / "scripts" / "shell_node.py"), "--test", "test/*.test.js"],
        cwd=ELECTRON,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = "\n".join(result.stdout.splitlines()[-12:])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in summary and "# skipped 0" in summary, summary


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="packs electron-builder's Linux `dir` target around a Linux stand-in Electron; "
    "on macOS and Windows the release workflow packs the real installers",
)
def test_electron_builder_packs_the_payload_as_a_resource(built, tmp_path: Path) -> None:
    shell = tmp_path / "shell"
    for relative in shell_files(ELECTRON):  # what `init` gives a project, the afterPack hook too
        (shell / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ELECTRON / relative, shell / relative)
    (shell / "node_modules").symlink_to(ELECTRON / "node_modules")
    shutil.copytree(built["out"], shell / "django-bundle", symlinks=True)
    resources = pack_linux_dir(shell, tmp_path)
    payload = resources / "django-bundle"
    assert (payload / "SHA256SUMS").is_file()
    verified = bundle("verify", str(payload), cwd=REPO)
    assert verified.returncode == 0, verified.stderr
    listing = subprocess.run(
        [
            "node",
            "-e",
            "const a=require('@electron/asar');"
            "console.log(JSON.stringify(a.listPackage(process.argv[1])))",
            str(resources / "app.asar"),
        ],
        cwd=ELECTRON,
        capture_output=True,
        text=True,
        check=True,
    )
    files = json.loads(listing.stdout)
    assert "/main.js" in files and "/preload.cjs" in files
    assert "/contract.json" in files and "/lib/contract.js" in files  # read at start-up
    # The update trust ships inside the app, with the updater and the verifier.
    assert "/trust/release-trust.json" in files and "/trust/sigstore-trusted-root.json" in files
    assert "/node_modules/@sigstore/verify/package.json" in files
    assert "/node_modules/electron-updater/package.json" in files
    assert (resources / "app-update.yml").is_file()  # the release's update settings
    assert not [f for f in files if "django-bundle" in f or f.startswith("/test")]
