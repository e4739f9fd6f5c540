"""The interpreter pins: how CI's end-to-end tests get their interpreter
(DJDESK_TEST_INTERPRETER=pinned: the pin of this host's triple, its sha256 enforced), the
refresh from uv's list of python-build-standalone releases, and the age check."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from djdesk_bundle.errors import ChecksumMismatch
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest, pin_age_warning
from tests.bundler.conftest import HOST_TRIPLE, pinned_interpreter
from tests.bundler.mirror import serve_mirror
from tests.conftest import load_script


def test_the_pinned_interpreter_is_this_hosts_pin_and_its_hash_is_enforced(
    tmp_path: Path,
) -> None:
    pin = load_manifest(DEFAULT_MANIFEST).pin_for(HOST_TRIPLE)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / pin.filename).write_bytes(b"not the pinned archive")
    with serve_mirror(mirror) as (url, state), pytest.raises(ChecksumMismatch) as refused:
        pinned_interpreter(tmp_path / "out", mirror=url)
    assert state.requests, "it asked for the pinned file by name"
    assert pin.sha256 in str(refused.value)
    assert not list((tmp_path / "out").rglob("*.tar.gz"))  # nothing unverified is kept


def uv_entry(patch: int, build: str, triple: str, os_name: str, arch: str) -> dict:  # type: ignore[type-arg]
    """One entry of uv's download-metadata.json, as uv writes it."""
    name = f"cpython-3.14.{patch}%2B{build}-{triple}-install_only_stripped.tar.gz"
    return {
        "name": "cpython",
        "arch": {"family": arch, "variant": None},
        "os": os_name,
        "libc": "gnu" if os_name == "linux" else "none",
        "major": 3,
        "minor": 14,
        "patch": patch,
        "prerelease": "",
        "url": f"https://github.com/astral-sh/python-build-standalone/releases/download/{build}/{name}",
        "sha256": f"{patch:02d}{build}".ljust(64, "e"),
        "variant": None,
        "build": build,
    }


def write_metadata(path: Path, entries: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text(json.dumps({f"key-{i}": e for i, e in enumerate(entries)}))
    return path


def test_the_refresh_pins_the_newest_patch_of_the_line_for_every_triple(tmp_path: Path) -> None:
    manifest = tmp_path / "python-build-standalone.toml"
    manifest.write_text(
        'release = "20251031"\npython-version = "3.14.0"\n\n'
        f'[targets.x86_64-unknown-linux-gnu]\nurl = "u"\nsha256 = "{"a" * 64}"\n\n'
        f'[targets.aarch64-apple-darwin]\nurl = "u"\nsha256 = "{"b" * 64}"\n'
    )
    linux = ("x86_64-unknown-linux-gnu", "linux", "x86_64")
    mac = ("aarch64-apple-darwin", "darwin", "aarch64")
    entries = [
        uv_entry(6, "20260804", *linux),
        uv_entry(6, "20260804", *mac),
        uv_entry(7, "20260814", *linux),
        uv_entry(7, "20260814", *mac),
        uv_entry(8, "20260901", *linux),  # newer, but not for every pinned triple
        {**uv_entry(9, "20260901", *mac), "prerelease": "rc1"},
        {**uv_entry(9, "20260901", *linux), "variant": "freethreaded"},
    ]
    metadata = write_metadata(tmp_path / "download-metadata.json", entries)
    refresh = load_script("refresh_interpreter_pins")
    assert refresh.main(["--metadata", str(metadata), "--manifest", str(manifest)]) == 0
    pins = load_manifest(manifest)
    assert (pins.python_version, pins.release) == ("3.14.7", "20260814")
    linux_pin = pins.pin_for("x86_64-unknown-linux-gnu")
    assert linux_pin.sha256 == "0720260814".ljust(64, "e")
    assert linux_pin.filename == (
        "cpython-3.14.7+20260814-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    )
    text = manifest.read_text()
    assert text.index("aarch64-apple-darwin") < text.index("x86_64-unknown-linux-gnu")  # sorted
    first = text
    assert refresh.main(["--metadata", str(metadata), "--manifest", str(manifest)]) == 0
    assert manifest.read_text() == first  # a refresh with nothing new changes nothing


def test_the_refresh_refuses_a_list_without_a_pinned_triple(tmp_path: Path) -> None:
    manifest = tmp_path / "pins.toml"
    manifest.write_text(
        'release = "20251031"\npython-version = "3.14.0"\n\n'
        f'[targets.riscv64-unknown-linux-gnu]\nurl = "u"\nsha256 = "{"a" * 64}"\n'
    )
    metadata = write_metadata(
        tmp_path / "m.json",
        [uv_entry(7, "20260814", "x86_64-unknown-linux-gnu", "linux", "x86_64")],
    )
    with pytest.raises(SystemExit, match="riscv64-unknown-linux-gnu"):
        load_script("refresh_interpreter_pins").main(
            ["--metadata", str(metadata), "--manifest", str(manifest)]
        )
    assert "20251031" in manifest.read_text()  # untouched


def test_an_old_pin_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "pins.toml"
    manifest.write_text(
        'release = "20251031"\npython-version = "3.14.0"\n\n'
        f'[targets.x86_64-unknown-linux-gnu]\nurl = "u"\nsha256 = "{"a" * 64}"\n'
    )
    pins = load_manifest(manifest)
    assert pin_age_warning(pins, date(2026, 2, 27)) == ""  # 119 days
    warning = pin_age_warning(pins, date(2026, 12, 1))
    assert "is 396 days old, more than 120" in warning and "refresh_interpreter_pins" in warning
    refresh = load_script("refresh_interpreter_pins")
    assert refresh.main(["--check-age", "--manifest", str(manifest)]) == 0
    assert capsys.readouterr().err.startswith("warning: pins.toml: python-build-standalone")
    assert refresh.main(["--check-age", "--strict", "--manifest", str(manifest)]) == 1
    local = tmp_path / "local.toml"
    local.write_text(manifest.read_text().replace("20251031", "local"))
    assert pin_age_warning(load_manifest(local), date(2030, 1, 1)) == ""  # no date to age


def test_the_shipped_pin_is_the_refreshed_one() -> None:
    """CPython 3.14.7 from python-build-standalone 20260814 (uv's list at that release),
    stripped, with a library table (tests/bundler/test_sbom.py checks its contents)."""
    pins = load_manifest(DEFAULT_MANIFEST)
    assert (pins.python_version, pins.release) == ("3.14.7", "20260814")
    assert {pin.variant for pin in pins.pins.values()} == {"install_only_stripped"}
    assert pins.path.parent.name == "manifests"
