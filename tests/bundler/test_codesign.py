"""Payload code signing: before SHA256SUMS and the SBOM, failures fail, no identity -> notice.

The signing tools are stand-ins (an executable named ``codesign`` on PATH that records its
arguments and appends a "signature" to each file), since neither macOS's codesign nor a
certificate exists here; the build, the payload and ``verify`` are real.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from djdesk_bundle.errors import CodesignFailed
from djdesk_bundle.sign.codesign import (
    ENTITLEMENTS,
    IDENTITY_ENV,
    WINDOWS_CERTIFICATE_ENV,
    is_macho,
    native_files,
    sign_payload,
)
from djdesk_bundle.ui import Reporter
from tests.bundler.conftest import HOST_TRIPLE, build_env, bundle, needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.conftest import REPO
from tests.processes import WINDOWS

# A macOS triple that is not this host's: its stand-in interpreter is never run.
OTHER_MAC = (
    "aarch64-apple-darwin" if HOST_TRIPLE == "x86_64-apple-darwin" else "x86_64-apple-darwin"
)

MACHO = bytes.fromhex("cffaedfe") + b"\x07\x00\x00\x01" + b"\0" * 64
STAND_IN = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_CODESIGN_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if os.environ.get("FAKE_CODESIGN_FAIL"):
    print("errSecInternalComponent", file=sys.stderr)
    sys.exit(1)
if "--sign" in args:
    for path in args[args.index("--") + 1:]:
        with open(path, "ab") as handle:
            handle.write(b"SIGNED")
"""


@pytest.fixture
def fake_codesign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if WINDOWS:
        pytest.skip(
            "the signing stand-in is a #! script, which Windows does not run (signtool and "
            "a certificate are not on the runner either)"
        )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "codesign"
    tool.write_text(STAND_IN.format(python=sys.executable))
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "codesign.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CODESIGN_LOG", str(log))
    return log


def payload(root: Path) -> Path:
    (root / "python" / "bin").mkdir(parents=True)
    (root / "python" / "lib" / "lib-dynload").mkdir(parents=True)
    (root / "python" / "bin" / "python3").write_bytes(MACHO)
    (root / "python" / "lib" / "lib-dynload" / "_ctypes.so").write_bytes(MACHO)
    (root / "python" / "lib" / "os.py").write_text("print('not native')\n")
    (root / "Example.class").write_bytes(bytes.fromhex("cafebabe") + b"\x00\x00\x00\x34")
    return root


def test_native_files_are_found_inside_out(tmp_path: Path) -> None:
    root = payload(tmp_path / "p")
    found = [p.relative_to(root).as_posix() for p in native_files(root, is_macho)]
    # The library (deeper) before the executable; Java classes and text are not Mach-O.
    assert found == ["python/lib/lib-dynload/_ctypes.so", "python/bin/python3"]


def test_macos_signing_runs_codesign_with_runtime_entitlements_and_verifies(
    tmp_path: Path, fake_codesign: Path
) -> None:
    root = payload(tmp_path / "p")
    env = {IDENTITY_ENV: "Developer ID Application: DJDesk (TEAM123)"}
    assert sign_payload(root, "aarch64-apple-darwin", env, Reporter(verbosity=-1))
    calls = [line for line in fake_codesign.read_text().splitlines()]
    assert len(calls) == 2
    assert '"--options", "runtime"' in calls[0] and '"--timestamp"' in calls[0]
    assert f'"--entitlements", "{ENTITLEMENTS}"' in calls[0]
    assert '"--verify", "--strict"' in calls[1]
    assert (root / "python" / "bin" / "python3").read_bytes().endswith(b"SIGNED")
    assert not (root / "python" / "lib" / "os.py").read_text().endswith("SIGNED")


def test_a_failing_codesign_fails_the_build(
    tmp_path: Path, fake_codesign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CODESIGN_FAIL", "1")
    root = payload(tmp_path / "p")
    with pytest.raises(CodesignFailed, match=r"codesign failed.*errSecInternalComponent"):
        sign_payload(root, "x86_64-apple-darwin", {IDENTITY_ENV: "X"}, Reporter(verbosity=-1))


@pytest.mark.parametrize("triple", ["x86_64-apple-darwin", "aarch64-pc-windows-msvc"])
def test_no_identity_skips_signing_with_a_visible_notice(
    tmp_path: Path, triple: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = payload(tmp_path / "p")
    before = (root / "python" / "bin" / "python3").read_bytes()
    assert not sign_payload(root, triple, {"GITHUB_ACTIONS": "true"}, Reporter(verbosity=-1))
    out = capsys.readouterr().out
    assert "::notice title=Payload not signed::" in out
    assert (IDENTITY_ENV if "darwin" in triple else WINDOWS_CERTIFICATE_ENV) in out
    assert (root / "python" / "bin" / "python3").read_bytes() == before


def test_linux_payloads_are_not_platform_signed(tmp_path: Path) -> None:
    env = {IDENTITY_ENV: "X", WINDOWS_CERTIFICATE_ENV: "cert.pfx"}
    assert not sign_payload(tmp_path, "x86_64-unknown-linux-gnu", env, Reporter(verbosity=-1))


def test_the_entitlements_allow_what_python_needs_and_no_more() -> None:
    import plistlib

    entitlements = plistlib.loads(ENTITLEMENTS.read_bytes())
    assert entitlements == {
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
        "com.apple.security.cs.disable-library-validation": True,
    }


@pytest.mark.e2e
@needs_local_python
def test_signing_happens_before_checksums_sbom_and_verify(
    tmp_path: Path, local_interpreter: Path, sample_root: Path, fake_codesign: Path
) -> None:
    """A real build for a macOS triple (the local interpreter stands in for the macOS one,
    with a Mach-O file added): SHA256SUMS and verify see the signed bytes."""
    manifest = tomllib.loads((local_interpreter / "manifest.toml").read_text())
    (pin,) = manifest["targets"].values()
    mirror = tmp_path / "mirror"
    shutil.copytree(local_interpreter, mirror)
    (mirror / "manifest.toml").write_text(
        f'release = "{manifest["release"]}"\npython-version = "{manifest["python-version"]}"\n'
        f'[targets.{OTHER_MAC}]\nurl = "{pin["url"]}"\nsha256 = "{pin["sha256"]}"\n'
    )
    samples = tmp_path / "samples"
    shutil.copytree(sample_root, samples)
    (samples / "djdesk" / "libstandin.dylib").write_bytes(MACHO)  # stands in for a Mach-O file
    with serve_mirror(mirror) as (url, _state):
        result = bundle(
            "build",
            "--target",
            OTHER_MAC,
            "--manifest",
            str(mirror / "manifest.toml"),
            "--python-mirror",
            url,
            "--output",
            str(tmp_path / "out"),
            "--dist",
            str(tmp_path / "dist"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-compile",
            cwd=REPO,
            env={**build_env(samples), IDENTITY_ENV: "Developer ID Application: T"},
        )
    assert result.returncode == 0, result.stderr
    (signed,) = (tmp_path / "out").rglob("libstandin.dylib")
    assert signed.read_bytes().endswith(b"SIGNED")
    sums = (tmp_path / "out" / "SHA256SUMS").read_text()
    import hashlib

    name = signed.relative_to(tmp_path / "out").as_posix()
    assert f"{hashlib.sha256(signed.read_bytes()).hexdigest()}  {name}" in sums
    assert bundle("verify", str(tmp_path / "out"), cwd=REPO).returncode == 0


def test_windows_signing_runs_signtool_with_a_timestamp_and_verifies(
    tmp_path: Path, fake_codesign: Path
) -> None:
    root = tmp_path / "p"
    (root / "python" / "DLLs").mkdir(parents=True)
    (root / "python" / "python.exe").write_bytes(b"MZ" + b"\0" * 62)
    (root / "python" / "DLLs" / "_ctypes.pyd").write_bytes(b"MZ" + b"\0" * 62)
    (root / "python" / "Lib").mkdir()
    (root / "python" / "Lib" / "fake.exe").write_bytes(b"#!not a PE file")
    signtool = fake_codesign.parent / "bin" / "codesign"  # the same recording stand-in
    env = {
        "DJDESK_WINDOWS_CERTIFICATE": str(tmp_path / "cert.pfx"),
        "DJDESK_WINDOWS_CERTIFICATE_PASSWORD": "pw",
        "DJDESK_SIGNTOOL": str(signtool),
    }
    assert sign_payload(root, "x86_64-pc-windows-msvc", env, Reporter(verbosity=-1))
    sign, verify = (json.loads(line) for line in fake_codesign.read_text().splitlines())
    assert sign[:9] == [
        "sign",
        "/fd",
        "sha256",
        "/td",
        "sha256",
        "/tr",
        "http://timestamp.digicert.com",
        "/f",
        str(tmp_path / "cert.pfx"),
    ]
    assert [Path(p).name for p in sign[11:]] == ["_ctypes.pyd", "python.exe"]
    assert verify[:2] == ["verify", "/pa"]
