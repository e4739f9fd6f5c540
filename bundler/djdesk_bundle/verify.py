"""``djdesk-bundle verify``: recompute every checksum of a payload dir or archive."""

from __future__ import annotations

import hashlib
import json
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from . import contract
from .describe import parse_checksums, payload_files
from .digests import file_sha256
from .errors import VerificationFailed
from .sbom import normalize


@dataclass
class VerifyReport:
    checked: int = 0
    modified: list[str] = field(default_factory=list)
    sbom: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.modified or self.missing or self.extra or self.sbom)

    def problems(self) -> list[str]:
        return (
            [f"modified: {p}" for p in self.modified]
            + [f"missing: {p}" for p in self.missing]
            + [f"extra: {p}" for p in self.extra]
            + self.sbom
        )


def sbom_problems(
    sbom_text: str | None, installed: dict[str, str], build_info_text: str | None
) -> list[str]:
    """SBOM <-> payload: same distributions and versions, same interpreter hash."""
    if sbom_text is None:
        return [f"missing: {contract.SBOM}"]
    try:
        sbom = json.loads(sbom_text)
    except ValueError:
        return [f"{contract.SBOM}: not valid JSON"]
    listed: dict[str, str] = {}
    interpreter_hashes: list[str] = []
    for component in sbom.get("components", []):
        purl = component.get("purl", "")
        if purl.startswith("pkg:pypi/"):
            listed[normalize(component["name"])] = component.get("version", "")
        elif purl.startswith("pkg:generic/cpython@"):
            interpreter_hashes += [h["content"] for h in component.get("hashes", [])]
    problems = []
    for name, version in sorted(installed.items()):
        if name not in listed:
            problems.append(f"sbom: {name} {version} is installed but not in the SBOM")
        elif listed[name] != version:
            problems.append(
                f"sbom: {name} is {version} in {contract.SITE_PACKAGES_DIR} but "
                f"{listed[name]} in the SBOM"
            )
    for name in sorted(set(listed) - set(installed)):
        problems.append(f"sbom: {name} {listed[name]} is in the SBOM but not installed")
    if build_info_text is not None:
        expected = json.loads(build_info_text).get("interpreter", {}).get("sha256", "")
        if expected not in interpreter_hashes:
            problems.append(
                f"sbom: the interpreter hash does not match {contract.BUILD_INFO} ({expected})"
            )
    return problems


def installed_from_paths(paths: list[str]) -> dict[str, str]:
    """{normalized name: version} from the ``*.dist-info`` directory names in site-packages."""
    found = {}
    prefix = contract.SITE_PACKAGES_DIR + "/"
    for path in paths:
        if path.startswith(prefix):
            top = path[len(prefix) :].split("/", 1)[0]
            if top.endswith(".dist-info"):
                name, _, version = top.removesuffix(".dist-info").rpartition("-")
                found[normalize(name)] = version
    return found


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
    report = _compare(expected, actual)
    sbom, info = payload / contract.SBOM, payload / contract.BUILD_INFO
    report.sbom = sbom_problems(
        sbom.read_text(encoding="utf-8") if sbom.is_file() else None,
        installed_from_paths(payload_files(payload)),
        info.read_text(encoding="utf-8") if info.is_file() else None,
    )
    return report


def verify_archive(archive: Path) -> VerifyReport:
    prefix = contract.ARCHIVE_ROOT + "/"
    actual: dict[str, str] = {}
    links: dict[str, str] = {}
    sums_text = None
    texts: dict[str, str] = {}
    names: list[str] = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if not member.name.startswith(prefix):
                    continue
                rel = member.name[len(prefix) :]
                names.append(rel)
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
                    if rel in (contract.SBOM, contract.BUILD_INFO):
                        texts[rel] = data.decode("utf-8")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VerificationFailed(f"{archive}: unreadable archive ({exc})") from None
    if sums_text is None:
        raise VerificationFailed(f"{archive}: no {contract.CHECKSUMS} inside")
    # A symlink's checksum is its target's (as when verifying an unpacked payload).
    for rel, target in links.items():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if resolved in actual:
            actual[rel] = actual[resolved]
    report = _compare(parse_checksums(sums_text), actual)
    report.sbom = sbom_problems(
        texts.get(contract.SBOM), installed_from_paths(names), texts.get(contract.BUILD_INFO)
    )
    return report


def verify(path: Path) -> VerifyReport:
    if path.is_dir():
        return verify_directory(path)
    if path.is_file():
        return verify_archive(path)
    raise VerificationFailed(f"{path}: no such payload directory or archive")
