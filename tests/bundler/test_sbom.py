"""The SBOM serves audits: SPDX ids, the interpreter's CPE and its C libraries, Electron
with Chromium and Node, and the shell's npm dependency graph (edges, not a flat list)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.pins import load_manifest
from djdesk_bundle.sbom.document import build_sbom, validate_sbom
from tests.bundler.conftest import LOCAL_PYTHON
from tests.conftest import REPO

NPM_LOCK = REPO / "electron" / "package-lock.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", {"license": {"id": "MIT"}}),
        ("apache-2.0", {"license": {"id": "Apache-2.0"}}),
        ("BSD-3-Clause", {"license": {"id": "BSD-3-Clause"}}),
        ("MIT OR Apache-2.0", {"expression": "MIT OR Apache-2.0"}),
        ("BSD License", {"license": {"name": "BSD License"}}),
    ],
)
def test_licenses_are_spdx_ids_where_they_are_ids(tmp_path: Path, text: str, expected) -> None:  # type: ignore[no-untyped-def]
    sbom = make_sbom(tmp_path, license_text=text)
    (component,) = [c for c in sbom["components"] if c["name"] == "demo-dist"]
    assert component["licenses"] == [expected]


def make_sbom(tmp_path: Path, license_text: str = "MIT", runnable: bool = True) -> dict:  # type: ignore[type-arg]
    """An SBOM for a small payload: one distribution, the host's interpreter (runnable or
    not), the repository's shell lock, and an Electron table that knows 45.4."""
    payload = tmp_path / "payload"
    info = payload / "site-packages" / "demo_dist-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: demo-dist\nVersion: 1.0\n"
        f"License-Expression: {license_text}\n"
    )
    (payload / "python" / "bin").mkdir(parents=True)
    if runnable and LOCAL_PYTHON.is_file():
        (payload / "python" / "bin" / "python3").symlink_to(LOCAL_PYTHON)
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        'release = "local"\npython-version = "3.11.2"\n\n[libraries]\nbzip2 = "1.0.8"\n'
        'openssl = "0.0.1"\n\n[targets.x86_64-unknown-linux-gnu]\n'
        f'url = "cpython.tar.gz"\nsha256 = "{"a" * 64}"\n'
    )
    table = tmp_path / "electron-versions.toml"
    table.write_text('[electron."45.4"]\nchromium = "999.0.1.2"\nnode = "24.99.0"\n')
    text = build_sbom(
        payload,
        "djdesk",
        "0.1.0",
        load_manifest(manifest).pin_for("x86_64-unknown-linux-gnu"),
        tmp_path / "requirements.txt",
        ["demo-dist"],
        NPM_LOCK,
        1_700_000_000,
        electron_versions=table,
    )
    validate_sbom(text)  # CycloneDX 1.6, offline
    return json.loads(text)  # type: ignore[no-any-return]


def by_purl(sbom: dict, prefix: str) -> dict:  # type: ignore[type-arg]
    (component,) = [c for c in sbom["components"] if c["purl"].startswith(prefix)]
    return component  # type: ignore[no-any-return]


def depends_on(sbom: dict, ref: str) -> list[str]:  # type: ignore[type-arg]
    return next(d.get("dependsOn", []) for d in sbom["dependencies"] if d["ref"] == ref)


@pytest.mark.skipif(not LOCAL_PYTHON.is_file(), reason="needs Debian's /usr/bin/python3.11")
def test_interpreter_has_a_cpe_and_its_libraries_from_running_it(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    cpython = by_purl(sbom, "pkg:generic/cpython@3.11.2")
    assert cpython["cpe"] == "cpe:2.3:a:python:python:3.11.2:*:*:*:*:*:*:*"
    reported = subprocess.run(
        [
            str(LOCAL_PYTHON),
            "-I",
            "-c",
            "import ssl, sqlite3; print(ssl.OPENSSL_VERSION.split()[1], sqlite3.sqlite_version)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    openssl = by_purl(sbom, "pkg:generic/openssl@")
    assert openssl["version"] == reported[0]  # the interpreter's own answer beats the manifest
    assert openssl["cpe"] == f"cpe:2.3:a:openssl:openssl:{reported[0]}:*:*:*:*:*:*:*"
    assert by_purl(sbom, "pkg:generic/sqlite@")["version"] == reported[1]
    assert by_purl(sbom, "pkg:generic/zlib@")["cpe"].startswith("cpe:2.3:a:zlib:zlib:")
    assert by_purl(sbom, "pkg:generic/bzip2@")["version"] == "1.0.8"  # only the manifest knows
    libraries = depends_on(sbom, cpython["bom-ref"])
    assert openssl["bom-ref"] in libraries and len(libraries) >= 4


def test_libraries_from_the_manifest_when_the_interpreter_cannot_run(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path, runnable=False)
    assert by_purl(sbom, "pkg:generic/openssl@")["version"] == "0.0.1"
    assert by_purl(sbom, "pkg:generic/bzip2@")["version"] == "1.0.8"
    assert not [c for c in sbom["components"] if c["purl"].startswith("pkg:generic/sqlite@")]


def test_electron_with_chromium_and_node_and_the_npm_graph(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    electron = by_purl(sbom, "pkg:npm/electron@45.4.1")
    assert electron["cpe"] == "cpe:2.3:a:electronjs:electron:45.4.1:*:*:*:*:*:*:*"
    chromium = by_purl(sbom, "pkg:generic/chromium@999.0.1.2")
    node = by_purl(sbom, "pkg:generic/node@24.99.0")
    assert chromium["cpe"].startswith("cpe:2.3:a:google:chrome:999.0.1.2:")
    assert set(depends_on(sbom, electron["bom-ref"])) == {chromium["bom-ref"], node["bom-ref"]}
    # The root holds the shell; the shell holds Electron and its direct production deps only.
    shell = by_purl(sbom, "pkg:npm/djdesk@0.1.0")
    assert shell["bom-ref"] in depends_on(sbom, "pkg:generic/djdesk@0.1.0")
    lock = json.loads(NPM_LOCK.read_text())
    direct = lock["packages"][""]["dependencies"]
    shell_deps = depends_on(sbom, shell["bom-ref"])
    assert len(shell_deps) == len(direct) + 1 and electron["bom-ref"] in shell_deps
    assert "pkg:npm/lazy-val@1.0.5" not in shell_deps  # electron-updater's, not the shell's
    # npm's own edges: @sigstore/verify needs @sigstore/bundle; electron-updater needs lazy-val.
    assert "pkg:npm/%40sigstore/bundle@4.0.0" in depends_on(
        sbom, "pkg:npm/%40sigstore/verify@3.1.0"
    )
    updater = by_purl(sbom, "pkg:npm/electron-updater@")
    assert any(ref.startswith("pkg:npm/lazy-val@") for ref in depends_on(sbom, updater["bom-ref"]))
    assert not [c for c in sbom["components"] if c["purl"].startswith("pkg:npm/electron-builder@")]


def test_unknown_electron_line_is_said_not_guessed(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    shutil.rmtree(tmp_path / "payload")
    from djdesk_bundle.sbom.shell import electron_components

    electron, inside = electron_components("45.4.1", tmp_path / "missing.toml")
    assert inside == []
    assert [p.name for p in electron.properties] == ["djdesk:chromium-node-versions"]
    assert sbom["specVersion"] == "1.6"


def test_installer_sbom_holds_the_payload_and_the_shell(tmp_path: Path) -> None:
    import hashlib

    from djdesk_bundle.cli import main

    payload_sbom = make_sbom(tmp_path)
    payload = tmp_path / "payload"
    (payload / "sbom.cdx.json").write_text(json.dumps(payload_sbom))
    installer = tmp_path / "DJDesk-0.1.0.AppImage"
    installer.write_bytes(b"\x7fELF not really an AppImage")
    output = tmp_path / "out" / "DJDesk-0.1.0.AppImage.cdx.json"
    argv = ["installer-sbom", "--payload", str(payload), "--installer", str(installer)]
    assert main([*argv, "--output", str(output)]) == 0
    sbom = json.loads(output.read_text())
    root = sbom["metadata"]["component"]
    assert root["name"] == "DJDesk-0.1.0.AppImage" and root["version"] == "0.1.0"
    assert root["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(installer.read_bytes()).hexdigest()}
    ]
    purls = {c.get("purl", "") for c in sbom["components"]}
    assert {"pkg:generic/djdesk@0.1.0", "pkg:npm/electron@45.4.1", "pkg:npm/djdesk@0.1.0"} <= purls
    assert {c["purl"] for c in payload_sbom["components"]} <= purls
    assert depends_on(sbom, root["bom-ref"]) == ["pkg:generic/djdesk@0.1.0"]
    assert main([*argv, "--output", str(tmp_path / "again.json")]) == 0
    assert (tmp_path / "again.json").read_bytes() == output.read_bytes()  # deterministic
    assert main(["installer-sbom", "--payload", str(tmp_path), "--installer", str(installer),
                 "--output", str(output)]) == 2  # fmt: skip


@pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("sh") is None,
    reason="the Electron stand-in is a #! shell script (Windows does not run those)",
)
def test_refresh_script_records_what_the_electron_binary_reports(tmp_path: Path) -> None:
    """A stand-in for the Electron binary answers `-p process.versions` like the real one."""
    from djdesk_bundle.sbom.shell import electron_versions
    from tests.conftest import load_script

    fake = tmp_path / "electron"
    fake.write_text(
        "#!/bin/sh\n"
        '[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 3\n'
        """echo '{"electron":"45.4.1","chrome":"999.0.1.2","node":"24.99.0","v8":"14.9"}'\n"""
    )
    fake.chmod(0o755)
    table = tmp_path / "electron-versions.toml"
    shutil.copyfile(REPO / "bundler" / "djdesk_bundle" / "data" / "electron-versions.toml", table)
    refresh = load_script("refresh_electron_versions")
    assert refresh.main(["--electron", str(fake), "--table", str(table)]) == 0
    assert electron_versions(table, "45.4.1") == {
        "chromium": "999.0.1.2",
        "node": "24.99.0",
        "v8": "14.9",
    }
    assert electron_versions(table, "40.0.3")["chromium"] == "144.0.7559.60"  # kept
    text = table.read_text()
    assert text.index('[electron."40.0"]') < text.index('[electron."45.4"]')  # sorted
