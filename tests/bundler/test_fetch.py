"""Fetch against a real HTTP server on 127.0.0.1: resume, 404, mismatch, offline, cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from djdesk_bundle.build.fetch import cached_path, fetch_interpreter, fetch_stage
from djdesk_bundle.cli import main
from djdesk_bundle.errors import ChecksumMismatch, FetchError, OfflineCacheMiss
from djdesk_bundle.options import Options
from djdesk_bundle.pins import InterpreterPin, load_manifest
from djdesk_bundle.ui import Reporter
from tests.bundler.conftest import needs_local_python
from tests.bundler.mirror import serve_mirror

NAME = "cpython-3.11.2+local-x86_64-unknown-linux-gnu-install_only.tar.gz"


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, InterpreterPin]:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    data = os.urandom(3 * 1024 * 1024 + 123)  # several chunks
    (mirror / NAME).write_bytes(data)
    pin = InterpreterPin(
        "x86_64-unknown-linux-gnu",
        NAME,
        hashlib.sha256(data).hexdigest(),
        "install_only",
        "3.11.2",
        "local",
    )
    return mirror, pin


def test_download_into_cache_and_hit(tmp_path: Path, archive, reporter) -> None:
    mirror, pin = archive
    with serve_mirror(mirror) as (url, state):
        path = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
        assert path == cached_path(tmp_path / "cache", pin)
        assert path.read_bytes() == (mirror / NAME).read_bytes()
        again = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
        assert again == path
        assert len(state.requests) == 1  # the second call was a (re-verified) cache hit


def test_truncated_download_is_resumed(tmp_path: Path, archive, reporter) -> None:
    mirror, pin = archive
    with serve_mirror(mirror) as (url, state):
        state.truncate_first = 1024 * 1024 + 7
        path = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256
    assert [r["range"] for r in state.requests] == ["", f"bytes={1024 * 1024 + 7}-"]


def test_404_is_not_retried(tmp_path: Path, archive, reporter) -> None:
    mirror, pin = archive
    (mirror / NAME).unlink()
    with serve_mirror(mirror) as (url, state), pytest.raises(FetchError, match="HTTP 404"):
        fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
    assert len(state.requests) == 1


def test_checksum_mismatch_moves_file_aside(tmp_path: Path, archive, reporter) -> None:
    mirror, pin = archive
    bad = InterpreterPin(
        pin.triple, pin.url, "0" * 64, pin.variant, pin.python_version, pin.release
    )
    with serve_mirror(mirror) as (url, _), pytest.raises(ChecksumMismatch) as error:
        fetch_interpreter(bad, tmp_path / "cache", reporter, mirror=url)
    message = str(error.value)
    assert f"expected {'0' * 64}" in message and f"actual   {pin.sha256}" in message
    cache_dir = cached_path(tmp_path / "cache", bad).parent
    assert [p.name for p in cache_dir.iterdir()] == [f"{NAME}.bad-{pin.sha256[:12]}"]


def test_corrupted_cache_entry_is_caught(tmp_path: Path, archive, reporter) -> None:
    mirror, pin = archive
    path = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=mirror.as_uri())
    path.write_bytes(b"tampered")
    with pytest.raises(ChecksumMismatch):
        fetch_interpreter(pin, tmp_path / "cache", reporter, offline=True)
    assert not path.exists()


def test_offline_with_empty_cache(tmp_path: Path, archive, reporter) -> None:
    _, pin = archive
    with pytest.raises(OfflineCacheMiss) as error:
        fetch_interpreter(pin, tmp_path / "cache", reporter, offline=True)
    assert NAME in str(error.value)
    assert "djdesk-bundle fetch --target x86_64-unknown-linux-gnu" in str(error.value)


def test_file_mirror_missing_file(tmp_path: Path, archive, reporter) -> None:
    _, pin = archive
    with pytest.raises(FetchError, match="not found"):
        fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=(tmp_path / "x").as_uri())


def test_complete_leftover_part_is_used(tmp_path: Path, archive, reporter) -> None:
    """A run killed between the last byte and the rename leaves the whole file as .part:
    the server answers the resume with 416, and the .part is checked and used."""
    mirror, pin = archive
    part = cached_path(tmp_path / "cache", pin).with_name(NAME + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes((mirror / NAME).read_bytes())
    with serve_mirror(mirror) as (url, state):
        path = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256
    assert [r["range"] for r in state.requests] == [f"bytes={part_size(mirror)}-"]
    assert not part.exists()


def test_leftover_part_that_cannot_be_resumed_is_discarded(
    tmp_path: Path, archive, reporter
) -> None:
    mirror, pin = archive
    part = cached_path(tmp_path / "cache", pin).with_name(NAME + ".part")
    part.parent.mkdir(parents=True)
    junk = b"junk" * (part_size(mirror) // 4 + 10)  # longer than the file
    part.write_bytes(junk)
    with serve_mirror(mirror) as (url, state):
        path = fetch_interpreter(pin, tmp_path / "cache", reporter, mirror=url)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256
    assert [r["range"] for r in state.requests] == [f"bytes={len(junk)}-", ""]


def part_size(mirror: Path) -> int:
    return (mirror / NAME).stat().st_size


def test_the_offline_hint_repeats_the_options_in_use(tmp_path: Path, archive, reporter) -> None:
    _, pin = archive
    manifest = tmp_path / "pins.toml"
    options = Options(
        project_dir=tmp_path,
        interpreter_manifest=str(manifest),
        python_mirror="https://mirror.example/python",
        cache_dir=str(tmp_path / "my cache"),
        offline=True,
        target=pin.triple,
    )
    with pytest.raises(OfflineCacheMiss) as error:
        fetch_stage(options, pin, reporter)
    message = str(error.value)
    assert f"--manifest {manifest}" in message
    assert "--python-mirror https://mirror.example/python" in message
    assert f"--cache-dir '{tmp_path / 'my cache'}'" in message
    assert f"--project {tmp_path}" in message and "fetch --to DIR" in message


@needs_local_python
def test_fetch_to_fills_a_mirror_folder_for_another_machine(
    tmp_path: Path, local_interpreter: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the connected machine: the local interpreter archive served over HTTP as the
    upstream, `fetch --to DIR` (outside any project); on the other: a file:// fetch."""
    manifest = local_interpreter / "manifest.toml"
    pin = next(iter(load_manifest(manifest).pins.values()))
    folder = tmp_path / "carried over"
    flags = ["--manifest", str(manifest), "--cache-dir", str(tmp_path / "cache")]
    flags += ["--project", str(tmp_path), "--target", pin.triple]
    with serve_mirror(local_interpreter) as (url, state):
        assert main(["fetch", "--to", str(folder), "--python-mirror", url, *flags]) == 0
        assert main(["fetch", "--to", str(folder), "--python-mirror", url, *flags]) == 0
    assert len(state.requests) == 1  # the second run found the copy already there
    copy = folder / pin.filename
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == pin.sha256
    assert f"--python-mirror file://{folder}" in capsys.readouterr().err
    elsewhere = fetch_interpreter(
        pin, tmp_path / "other cache", Reporter(verbosity=-1), mirror=folder.as_uri()
    )
    assert elsewhere.read_bytes() == copy.read_bytes()


def test_fetch_to_refuses_a_tampered_copy(tmp_path: Path, archive, reporter) -> None:
    from djdesk_bundle.build.fetch import fill_mirror

    mirror, pin = archive
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / NAME).write_bytes(b"not the archive")
    copies = fill_mirror([pin], folder, tmp_path / "cache", reporter, mirror=mirror.as_uri())
    assert hashlib.sha256(copies[0].read_bytes()).hexdigest() == pin.sha256


SIX = "six==1.16.0 --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n"


@pytest.mark.parametrize("offline", [False, True], ids=["index-unreachable", "offline"])
def test_no_network_and_an_empty_uv_cache_is_one_line_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: bool
) -> None:
    from djdesk_bundle.build.install import LockedRequirements, install_requirements
    from djdesk_bundle.errors import InstallError
    from djdesk_bundle.tools.uv import find_uv
    from tests.conftest import free_port

    # An index on a port nothing listens on: uv fails as without a network, and fast.
    monkeypatch.setenv("UV_INDEX_URL", f"http://127.0.0.1:{free_port()}/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty uv cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    locked = LockedRequirements("requirements.txt", tmp_path / "requirements.lock.txt", SIX)
    triple = "x86_64-unknown-linux-gnu"
    with pytest.raises(InstallError) as error:
        install_requirements(
            find_uv(), locked, tmp_path / "site", triple, "3.11", tmp_path, offline=offline
        )
    message = str(error.value)
    assert "\n" not in message, message
    assert f"djdesk-bundle fetch --target {triple}" in message and "--offline" in message
    if offline:
        assert message.startswith("offline and six (for x86_64-unknown-linux-gnu)")
    else:
        assert "uv could not download the locked wheels" in message
        assert "Connection refused" in message
