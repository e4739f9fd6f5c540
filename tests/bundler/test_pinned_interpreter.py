"""How CI's end-to-end tests get their interpreter (DJDESK_TEST_INTERPRETER=pinned): the
pin of this host's triple from the bundler's own manifest, its sha256 enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.errors import ChecksumMismatch
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from tests.bundler.conftest import HOST_TRIPLE, pinned_interpreter
from tests.bundler.mirror import serve_mirror


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
