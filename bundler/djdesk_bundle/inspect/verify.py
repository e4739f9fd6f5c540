"""``djdesk-bundle verify``: recompute every checksum of a payload dir or archive.

Before any checksum, every entry is listed by type without following or opening it:
a payload holds regular files, directories and symlinks to files inside it, nothing
else. Anything else (a directory symlink, a link leaving the payload, a FIFO, a device,
a hard link, an archive entry outside ``django-bundle/``) is refused by name, so that
verify never blocks and never vouches for code outside the payload.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

from packaging.utils import canonicalize_name

from djdesk_bundle import contract
from djdesk_bundle.errors import VerificationFailed
from djdesk_bundle.fs.tree import kind, regular_file_sha256, walk
from djdesk_bundle.inspect.checksums import parse_checksums

SHOWN = 5  # unsafe entries named in the one-line error


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
            listed[canonicalize_name(component["name"])] = component.get("version", "")
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
    found: dict[str, str] = {}
    prefix = contract.SITE_PACKAGES_DIR + "/"
    for path in paths:
        if path.startswith(prefix):
            top = path[len(prefix) :].split("/", 1)[0]
            if top.endswith(".dist-info"):
                name, _, version = top.removesuffix(".dist-info").rpartition("-")
                found[canonicalize_name(name)] = version
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


def _refuse(where: object, unsafe: list[str]) -> None:
    if unsafe:
        more = f" and {len(unsafe) - SHOWN} more" if len(unsafe) > SHOWN else ""
        raise VerificationFailed(
            f"{where}: refused, not a plain payload: {'; '.join(unsafe[:SHOWN])}{more}"
        )


def _file_link_target(payload: Path, rel: str) -> Path | None:
    """The real file a payload symlink ends at, when it is a regular file inside."""
    real = Path(os.path.realpath(payload / rel))
    if not real.is_relative_to(os.path.realpath(payload)):
        return None
    try:
        return real if kind(os.lstat(real)) == "file" else None
    except OSError:
        return None


def scan_directory(payload: Path) -> dict[str, str]:
    """{path: sha256} of every file (a symlink: its target's); refuses anything else."""
    actual: dict[str, str] = {}
    unsafe: list[str] = []
    for rel, info in walk(payload):
        what = kind(info)
        if what == "file":
            actual[rel] = regular_file_sha256(payload / rel)
        elif what == "symlink":
            target = _file_link_target(payload, rel)
            if target is None:
                link = os.readlink(payload / rel)
                unsafe.append(f"{rel} is a symlink to {link!r}, not to a file inside")
            else:
                actual[rel] = regular_file_sha256(target)
        elif what != "directory":
            unsafe.append(f"{rel} is a {what}")
    _refuse(payload, unsafe)
    return actual


def verify_directory(payload: Path) -> VerifyReport:
    sums = payload / contract.CHECKSUMS
    if not sums.is_file() or sums.is_symlink():
        raise VerificationFailed(f"{payload}: no {contract.CHECKSUMS}; is this a payload?")
    found = scan_directory(payload)
    expected = parse_checksums(sums.read_text(encoding="utf-8"))
    actual = {rel: digest for rel, digest in found.items() if rel != contract.CHECKSUMS}
    report = _compare(expected, actual)
    sbom, info = payload / contract.SBOM, payload / contract.BUILD_INFO
    report.sbom = sbom_problems(
        sbom.read_text(encoding="utf-8") if contract.SBOM in found else None,
        installed_from_paths(sorted(found)),
        info.read_text(encoding="utf-8") if contract.BUILD_INFO in found else None,
    )
    return report


def archive_entry_problem(member: tarfile.TarInfo, seen: set[str]) -> str | None:
    """Why an archive entry cannot be part of a payload (None: it can)."""
    name = member.name
    if name in seen:
        return f"{name!r} appears twice"
    if name != contract.ARCHIVE_ROOT and not name.startswith(contract.ARCHIVE_ROOT + "/"):
        return f"{name!r} is outside {contract.ARCHIVE_ROOT}/"
    parts = name.split("/")
    if ".." in parts or "." in parts or "" in parts or "\\" in name:
        return f"{name!r} is not a plain path"
    if member.issym():
        return None  # checked once every symlink is known (_link_problems)
    if member.islnk():
        return f"{name!r} is a hard link"
    if not (member.isreg() or member.isdir()):
        return f"{name!r} is a {'FIFO' if member.isfifo() else 'device or special file'}"
    return None


def _link_problems(names: list[str], symlinks: dict[str, str]) -> list[str]:
    """No entry below a symlink; every symlink stays inside without crossing another."""
    problems = [
        f"{name!r} lies below a symlink"
        for name in names
        if any(str(parent) in symlinks for parent in PurePosixPath(name).parents)
    ]
    for name, target in symlinks.items():
        current = PurePosixPath(name).parent.parts
        steps = [p for p in PurePosixPath(target).parts if p != "."]
        path: list[str] = list(current)
        escapes = target.startswith(("/", "\\"))
        for index, part in enumerate(steps):
            if part == "..":
                path = path[:-1]
            else:
                path.append(part)
            crossed = index < len(steps) - 1 and "/".join(path) in symlinks
            if len(path) < 2 or crossed:
                escapes = True
        if escapes:
            problems.append(f"{name!r} is a symlink to {target!r}, outside the payload")
    return problems


def verify_archive(archive: Path) -> VerifyReport:
    prefix = contract.ARCHIVE_ROOT + "/"
    actual: dict[str, str] = {}
    links: dict[str, str] = {}
    sums_text = None
    texts: dict[str, str] = {}
    names: list[str] = []
    unsafe: list[str] = []
    symlinks: dict[str, str] = {}
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                problem = archive_entry_problem(member, seen)
                seen.add(member.name)
                if member.issym():
                    symlinks[member.name] = member.linkname
                if problem is not None:
                    unsafe.append(problem)
                    continue
                if member.name == contract.ARCHIVE_ROOT:
                    continue
                rel = member.name[len(prefix) :]
                names.append(rel)
                if member.issym():
                    links[rel] = member.linkname
                elif member.isreg():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    if rel in (contract.CHECKSUMS, contract.SBOM, contract.BUILD_INFO):
                        text = handle.read().decode("utf-8")
                        if rel == contract.CHECKSUMS:
                            sums_text = text
                        else:
                            texts[rel] = text
                            actual[rel] = hashlib.sha256(text.encode("utf-8")).hexdigest()
                    else:
                        # An archive member reads as a buffered file: streamed, never whole.
                        stream = cast(io.BufferedReader, handle)
                        actual[rel] = hashlib.file_digest(stream, "sha256").hexdigest()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise VerificationFailed(f"{archive}: unreadable archive ({exc})") from None
    # A symlink's checksum is its target's (as when verifying an unpacked payload).
    for rel in links:
        resolved, hops = rel, 0
        while resolved in links and hops < 40:
            target = links[resolved]
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(resolved), target))
            hops += 1
        if resolved in actual:
            actual[rel] = actual[resolved]
        else:
            unsafe.append(f"{prefix + rel!r} is a symlink that does not end at a file")
    _refuse(archive, unsafe + _link_problems(sorted(seen), symlinks))
    if sums_text is None:
        raise VerificationFailed(f"{archive}: no {contract.CHECKSUMS} inside")
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
