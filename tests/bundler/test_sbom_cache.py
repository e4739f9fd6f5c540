"""A stored SBOM is used again only for the same inputs, and only as validated text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.sbom.cache import SbomInputs, sbom_key, store_sbom, stored_sbom

PIN = InterpreterPin(
    "x86_64-unknown-linux-gnu", "cpython.tar.gz", "ab" * 32, "install_only", "3.11.2", "local"
)
HOST = "x86_64-unknown-linux-gnu"  # the toolchain's host triple (the probe runs here)


@pytest.fixture
def inputs(tmp_path: Path) -> SbomInputs:
    payload = tmp_path / "payload"
    (payload / "python" / "bin").mkdir(parents=True)
    (payload / "python" / "bin" / "python3").write_text("interpreter")
    info = payload / "site-packages" / "django-5.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Name: Django\nVersion: 5.2\n")
    (payload / "site-packages" / "django").mkdir()
    (payload / "site-packages" / "django" / "__init__.pyc").write_bytes(b"code")
    (payload / "app").mkdir()
    (payload / "app" / "views.py").write_text("first")
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n")
    return SbomInputs(payload, "notes", "1.0", PIN, lock, ("django",), None, 1, None, HOST)


def test_the_key_follows_what_the_sbom_describes(inputs: SbomInputs) -> None:
    key = sbom_key(inputs)
    # What the SBOM does not describe: the app's code, a distribution's modules.
    (inputs.payload / "app" / "views.py").write_text("an app-only change")
    (inputs.payload / "site-packages" / "django" / "__init__.pyc").write_bytes(b"other")
    assert sbom_key(inputs) == key
    metadata = inputs.payload / "site-packages" / "django-5.2.dist-info" / "METADATA"
    changes = [
        lambda: metadata.write_text("Name: Django\nVersion: 5.2.1\n"),
        lambda: (inputs.payload / "python" / "bin" / "python3").write_text("another build"),
        lambda: inputs.lock_path.write_text("version = 1\n# relocked\n"),
    ]
    for change in changes:
        change()
        assert sbom_key(inputs) != key
        key = sbom_key(inputs)
    for other in (
        SbomInputs(**{**inputs.__dict__, "app_version": "1.1"}),
        SbomInputs(**{**inputs.__dict__, "source_date_epoch": 2}),
        SbomInputs(**{**inputs.__dict__, "app_dependencies": ("django", "nh3")}),
        SbomInputs(**{**inputs.__dict__, "host_triple": "aarch64-apple-darwin"}),
    ):
        assert sbom_key(other) != key


def test_only_validated_text_is_used_again(tmp_path: Path) -> None:
    store, validated = tmp_path / "sboms", tmp_path / "validated"
    text = json.dumps({"bomFormat": "CycloneDX"}) + "\n"
    store_sbom(store, "k", text)
    assert stored_sbom(store, validated, "k") is None  # never validated
    validated.mkdir()
    (validated / hashlib.sha256(text.encode()).hexdigest()).touch()
    assert stored_sbom(store, validated, "k") == text
    assert stored_sbom(store, validated, "other key") is None
    (store / "k.cdx.json").write_text(text.replace("CycloneDX", "Edited"))
    assert stored_sbom(store, validated, "k") is None  # an edited entry is made again


def test_the_key_follows_the_pins_and_package_manifests_the_sbom_reads(
    inputs: SbomInputs, tmp_path: Path
) -> None:
    """The native-library table and the npm packages' package.json (suppliers) are
    inputs too: an edit of either must not serve the SBOM made before it."""
    import dataclasses
    import shutil

    from djdesk_bundle.sbom.cache import LIBRARY_TABLE

    table = tmp_path / "libraries.toml"
    shutil.copyfile(LIBRARY_TABLE, table)
    shell = tmp_path / "shell"
    (shell / "node_modules" / "get-port").mkdir(parents=True)
    lock = shell / "package-lock.json"
    lock.write_text(json.dumps({"packages": {"": {}, "node_modules/get-port": {}}}))
    (shell / "package.json").write_text('{"author": "DJDesk"}')
    manifest = shell / "node_modules" / "get-port" / "package.json"
    manifest.write_text('{"author": "Sindre"}')
    inputs = dataclasses.replace(inputs, library_table=table, package_lock=lock)
    key = sbom_key(inputs)
    for edit in (
        lambda: table.write_text(table.read_text() + "\n# another release\n"),
        lambda: manifest.write_text('{"author": "someone else"}'),
        lambda: (shell / "package.json").write_text('{"author": "another publisher"}'),
    ):
        edit()
        assert sbom_key(inputs) != key
        key = sbom_key(inputs)
