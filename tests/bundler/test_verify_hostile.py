"""``verify`` lists every entry by type and refuses whatever a payload never holds."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from djdesk_bundle.build.pack import write_archive
from djdesk_bundle.build.uptodate import previous_build, remember_build
from djdesk_bundle.errors import VerificationFailed
from djdesk_bundle.inspect.verify import verify
from tests.bundler.conftest import bundle_exe
from tests.bundler.test_pack_publish_verify import make_payload
from tests.conftest import REPO
from tests.processes import WINDOWS

# Made on disk only where the platform makes them without a privilege; the archive checks
# below (tar entries of every kind) run everywhere.
posix_symlinks = pytest.mark.skipif(
    WINDOWS, reason="a symlink on disk needs SeCreateSymbolicLinkPrivilege on Windows"
)
posix_fifo = pytest.mark.skipif(WINDOWS, reason="Windows has no FIFOs in the file system")


@posix_symlinks
def test_a_directory_symlink_to_outside_is_refused(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "__init__.py").write_text("import os; os.system('echo owned')")
    os.symlink(elsewhere, payload / "app" / "whitenoise")
    with pytest.raises(VerificationFailed, match="app/whitenoise is a symlink to"):
        verify(payload)


@posix_symlinks
def test_a_directory_symlink_inside_is_refused_too(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    os.symlink("../static", payload / "app" / "static")
    with pytest.raises(VerificationFailed, match="not to a file inside"):
        verify(payload)


@posix_symlinks
def test_a_file_symlink_inside_is_fine(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")  # holds python/bin/python3 -> python3.11
    assert verify(payload).ok


@posix_fifo
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    os.mkfifo(payload / "app" / "pipe")
    # The real CLI, with a time limit: an open() of the FIFO would block forever.
    result = subprocess.run(
        [bundle_exe(), "verify", str(payload)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "app/pipe is a FIFO" in result.stderr
    assert "Traceback" not in result.stderr


@posix_fifo
def test_the_up_to_date_check_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "out")
    archive = tmp_path / "dist" / "p.tar.gz"
    digest = write_archive(payload, archive, 1)
    remember_build(tmp_path / "cache", payload, "inputs", archive, digest)
    assert previous_build(tmp_path / "cache", payload, archive, "inputs") == digest
    os.mkfifo(payload / "app" / "pipe")
    answer: list[str | None] = []
    check = threading.Thread(
        target=lambda: answer.append(
            previous_build(tmp_path / "cache", payload, archive, "inputs")
        ),
        daemon=True,
    )
    check.start()
    check.join(timeout=120)
    assert not check.is_alive(), "the up-to-date check blocked on the FIFO"
    assert answer == [None]  # not up to date: the next build replaces the payload


def hostile_archive(tmp_path: Path, extra: tarfile.TarInfo, data: bytes = b"") -> Path:
    payload = make_payload(tmp_path / "p")
    archive = tmp_path / "p.tar.gz"
    write_archive(payload, archive, 1)
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar]  # type: ignore[union-attr]
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as tar:
        for member, content in [*members, (extra, data)]:
            tar.addfile(member, io.BytesIO(content) if content is not None else None)
    return hostile


def entry(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = "", data: bytes = b""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    return info


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (entry("evil.sh", data=b"x"), "outside django-bundle/"),
        (entry("./django-bundle/app/evil.py", data=b"x"), "outside django-bundle/"),
        (entry("/django-bundle/app/evil.py", data=b"x"), "outside django-bundle/"),
        (entry("django-bundle/app/../../evil", data=b"x"), "not a plain path"),
        (entry("django-bundle/app/hard", tarfile.LNKTYPE, "django-bundle/VERSION"), "hard link"),
        (entry("django-bundle/app/pipe", tarfile.FIFOTYPE), "FIFO"),
        (entry("django-bundle/app/tty", tarfile.CHRTYPE), "device"),
        (
            entry("django-bundle/app/out", tarfile.SYMTYPE, "../../../etc/passwd"),
            "outside the payload",
        ),
        (entry("django-bundle/app/abs", tarfile.SYMTYPE, "/etc/passwd"), "outside the payload"),
        (entry("django-bundle/app/dir", tarfile.SYMTYPE, "../static"), "does not end at a file"),
        (entry("django-bundle/VERSION", data=b"v"), "appears twice"),
    ],
)
def test_hostile_archive_entries_are_refused(tmp_path: Path, extra, message: str) -> None:
    data = b"x" * extra.size
    archive = hostile_archive(tmp_path, extra, data)
    with pytest.raises(VerificationFailed, match=message):
        verify(archive)


def test_an_entry_below_a_symlink_is_refused(tmp_path: Path) -> None:
    archive = hostile_archive(tmp_path, entry("django-bundle/python/bin/python3/x", data=b""))
    with pytest.raises(VerificationFailed, match="lies below a symlink"):
        verify(archive)


def test_the_clean_archive_still_verifies(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    write_archive(payload, tmp_path / "p.tar.gz", 1)
    report = verify(tmp_path / "p.tar.gz")
    assert report.ok and report.checked == len((payload / "SHA256SUMS").read_text().splitlines())


# Hard links (issue #27): a payload file whose other name is outside the payload could be
# changed through that name after verify vouched for it.


def _first_file(payload: Path) -> Path:
    return next(p for p in sorted((payload / "app").rglob("*")) if p.is_file())


def test_a_hard_link_to_a_file_outside_the_payload_is_refused(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    shipped = _first_file(payload)
    os.link(shipped, tmp_path / "outside-name")
    relative = shipped.relative_to(payload).as_posix()
    with pytest.raises(VerificationFailed, match=f"{relative} is a hard link to a file outside"):
        verify(payload)


def test_hard_links_within_the_payload_and_to_the_previous_payload_are_fine(
    tmp_path: Path,
) -> None:
    payload = make_payload(tmp_path / "p")
    shipped = _first_file(payload)
    discarded = tmp_path / "p.discard-0123456789ab"  # a build's previous payload, going away
    discarded.mkdir()
    os.link(shipped, discarded / "same-file")
    assert verify(payload).ok
    inside = payload / "python" / "bin"
    pair = inside / "python3.11"
    os.link(pair, inside / "python-second-name")
    assert not verify(payload).ok  # an extra file, not a refusal


@pytest.mark.parametrize(
    ("sbom", "build_info"),
    [
        ("[1, 2]", None),
        ("[" * 200_000 + "]" * 200_000, None),
        ('{"components": {"name": "x"}}', None),
        ('{"components": ["django"]}', None),
        ('{"components": [{"purl": "pkg:generic/cpython@3", "hashes": 5}]}', "[]"),
        ('{"components": []}', '{"interpreter": "not an object"}'),
    ],
    ids=["list", "deep", "object", "strings", "hashes-int", "build-info-wrong-type"],
)
def test_a_malformed_sbom_is_reported_not_raised(
    tmp_path: Path, sbom: str, build_info: str | None
) -> None:
    payload = make_payload(tmp_path / "p")
    (payload / "sbom.cdx.json").write_text(sbom)
    if build_info is not None:
        (payload / "build-info.json").write_text(build_info)
    report = verify(payload)
    assert not report.ok and report.sbom, report
