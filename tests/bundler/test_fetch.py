"""Fetch against a real HTTP server on 127.0.0.1: resume, 404, mismatch, offline, cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from djdesk_bundle.build.fetch import cached_path, fetch_interpreter
from djdesk_bundle.errors import ChecksumMismatch, FetchError, OfflineCacheMiss
from djdesk_bundle.pins import InterpreterPin
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
