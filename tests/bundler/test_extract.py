"""Safe extraction: every kind of hostile entry is refused before anything is written."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from djdesk_bundle.errors import UnsafeArchive
from djdesk_bundle.extract import extract_interpreter, prune


def make_tar(path: Path, entries: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            data = b"x" * info.size if info.isreg() else None
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def file_entry(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


def link_entry(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def device_entry(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (file_entry("/etc/evil"), "absolute path"),
        (file_entry("python/../../evil"), "'..'"),
        (link_entry("python/bin/escape", "../../../etc/passwd"), "links outside the tree"),
        (link_entry("python/bin/abs", "/etc/passwd"), "absolute path"),
        (link_entry("python/hard", "../outside", tarfile.LNKTYPE), "links outside the tree"),
        (device_entry("python/dev"), "device"),
    ],
)
def test_hostile_entries_are_refused(tmp_path: Path, entry, message: str) -> None:
    archive = make_tar(tmp_path / "bad.tar.gz", [file_entry("python/bin/python3"), entry])
    destination = tmp_path / "out"
    with pytest.raises(UnsafeArchive, match=message):
        extract_interpreter(archive, destination)
    assert not (destination / "python").exists()  # checked before anything was written
    assert not (tmp_path / "evil").exists()


def test_inner_links_are_fine_and_prune_works(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "ok.tar.gz",
        [
            file_entry("python/bin/python3.11"),
            link_entry("python/bin/python3", "python3.11"),
            file_entry("python/lib/python3.11/os.py"),
            file_entry("python/lib/python3.11/test/test_os.py"),
            file_entry("python/lib/python3.11/email/tests/t.py"),
            file_entry("python/include/python.h"),
        ],
    )
    root = extract_interpreter(archive, tmp_path / "out")
    assert (root / "bin" / "python3").is_symlink()
    report = prune(root, ("lib/python*/test", "lib/python*/**/tests", "include", "nothing/*"))
    assert report.paths == 3
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "bin/python3",
        "bin/python3.11",
        "lib/python3.11/os.py",
    ]


def test_not_an_install_only_archive(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "x.tar.gz", [file_entry("other/file")])
    with pytest.raises(UnsafeArchive, match="no top-level python/"):
        extract_interpreter(archive, tmp_path / "out")
    (tmp_path / "garbage.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(UnsafeArchive, match="not a readable tar"):
        extract_interpreter(tmp_path / "garbage.tar.gz", tmp_path / "out2")
