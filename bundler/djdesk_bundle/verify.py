"""``djdesk-bundle verify``: recompute every checksum of a payload dir or archive."""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from . import contract
from .describe import file_sha256, parse_checksums, payload_files
from .errors import VerificationFailed


@dataclass
class VerifyReport:
    checked: int = 0
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.modified or self.missing or self.extra)

    def problems(self) -> list[str]:
        return (
            [f"modified: {p}" for p in self.modified]
            + [f"missing: {p}" for p in self.missing]
            + [f"extra: {p}" for p in self.extra]
        )


def _compare(expected: dict[str, str], actual: dict[str, str]) -> VerifyReport:
    report = VerifyReport(checked=len(expected))
    for rel, digest in sorted(expected.items()):
        if rel not in actual:
            report.missing.append(rel)
        elif actual[rel] != digest:
            report.modified.append(rel)
    report.extra = sorted(set(actual) - set(expected) - {contract.CHECKSUMS})
    return report


def verify_directory(payload: Path) -> VerifyReport:
    sums = payload / contract.CHECKSUMS
    if not sums.is_file():
        raise VerificationFailed(f"{payload}: no {contract.CHECKSUMS}; is this a payload?")
    expected = parse_checksums(sums.read_text(encoding="utf-8"))
    actual = {
        rel: file_sha256(payload / rel)
        for rel in payload_files(payload)
        if rel != contract.CHECKSUMS
    }
    return _compare(expected, actual)


def verify_archive(archive: Path) -> VerifyReport:
    prefix = contract.ARCHIVE_ROOT + "/"
    actual: dict[str, str] = {}
    links: dict[str, str] = {}
    sums_text = None
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if not member.name.startswith(prefix):
                    continue
                rel = member.name[len(prefix) :]
                if member.issym():
                    links[rel] = member.linkname
                elif member.isreg():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    data = handle.read()
                    if rel == contract.CHECKSUMS:
                        sums_text = data.decode("utf-8")
                    else:
                        actual[rel] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VerificationFailed(f"{archive}: unreadable archive ({exc})") from None
    if sums_text is None:
        raise VerificationFailed(f"{archive}: no {contract.CHECKSUMS} inside")
    # A symlink's checksum is its target's (as when verifying an unpacked payload).
    for rel, target in links.items():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if resolved in actual:
            actual[rel] = actual[resolved]
    return _compare(parse_checksums(sums_text), actual)


def verify(path: Path) -> VerifyReport:
    if path.is_dir():
        return verify_directory(path)
    if path.is_file():
        return verify_archive(path)
    raise VerificationFailed(f"{path}: no such payload directory or archive")
