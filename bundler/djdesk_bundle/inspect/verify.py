"""``djdesk-bundle verify``: recompute every checksum of a payload dir or archive.

Before any checksum, every entry is listed by type without following or opening it:
a payload holds regular files, directories and symlinks to files inside it, nothing
else. Anything else (a directory symlink, a link leaving the payload, a FIFO, a device,
a hard link, an archive entry outside ``django-bundle/``) is refused by name, so that
verify never blocks and never vouches for code outside the payload.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from djdesk_bundle import contract
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.errors import SbomInvalid, VerificationFailed
from djdesk_bundle.fs.archive_policy import (
    ArchivePolicy,
    Members,
    final_file,
    link_problems,
    member_path,
    member_problem,
    payload_policy,
)
from djdesk_bundle.fs.hashing import handle_sha256
from djdesk_bundle.fs.tree import kind, regular_file_sha256, walk
from djdesk_bundle.inspect.checksums import parse_checksums
from djdesk_bundle.sbom.read import Sbom, parse_sbom, read_sbom

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
    read: Callable[[], Sbom] | None, installed: dict[str, str], build_info_text: str | None
) -> list[str]:
    """SBOM <-> payload: same distributions and versions, same interpreter hash (``read``
    reads the payload's SBOM, None when it has none)."""
    if read is None:
        return [f"missing: {contract.SBOM}"]
    try:
        components = read().components
    except SbomInvalid as exc:
        return [str(exc)]
    listed: dict[str, str] = {}
    interpreter_hashes: list[str] = []
    for component in components:
        purl = str(component.get("purl", ""))
        if purl.startswith("pkg:pypi/"):
            listed[canonicalize_name(str(component.get("name")))] = str(
                component.get("version", "")
            )
        elif purl.startswith("pkg:generic/cpython@"):
            hashes = component.get("hashes", [])
            interpreter_hashes += (
                [str(h.get("content")) for h in hashes if isinstance(h, dict)]
                if isinstance(hashes, list)
                else []
            )
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
        expected = _interpreter_sha256(build_info_text)
        if expected not in interpreter_hashes:
            problems.append(
                f"sbom: the interpreter hash does not match {contract.BUILD_INFO} ({expected})"
            )
    return problems


def _interpreter_sha256(build_info_text: str) -> str:
    try:
        info = json.loads(build_info_text)
    except (ValueError, RecursionError):
        return f"{contract.BUILD_INFO} is not valid JSON"
    interpreter = info.get("interpreter") if isinstance(info, dict) else None
    return str(interpreter.get("sha256", "")) if isinstance(interpreter, dict) else ""


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


def _own_copies(payload: Path) -> list[Path]:
    """The build's own siblings of a payload that share its files' inodes until they are
    gone: the previous payload being swapped out or deleted, and a staging dir that linked
    unchanged trees from it (one a killed build left: the next build removes it;
    build/publish.py)."""
    return sorted(
        p
        for p in payload.parent.glob(f"{payload.name}.*")
        if p.name.endswith(".old") or ".discard-" in p.name or ".staging-" in p.name
    )


def _hard_link_problems(payload: Path, linked: dict[tuple[int, int, int], list[str]]) -> list[str]:
    """A regular file whose other names are outside the payload is refused: whoever holds
    them can change the payload's bytes after verify vouched for them. Names inside the
    payload (an interpreter's python3 and python3.11) are fine, and so are the previous
    payload's and a staging dir's (a build hard-links unchanged files from the one into
    the other, then deletes the previous payload)."""
    outside = {inode: paths for inode, paths in linked.items() if len(paths) < inode[2]}
    for sibling in _own_copies(payload) if outside else []:
        for _, info in walk(sibling):
            key = (info.st_dev, info.st_ino, info.st_nlink)
            if key in outside:
                outside[key].append("")  # a name in the build's own previous payload
    return [
        f"{paths[0]} is a hard link to a file outside the payload "
        f"({inode[2] - len(paths)} other name(s) outside)"
        for inode, paths in sorted(outside.items(), key=lambda item: item[1][0])
        if len(paths) < inode[2]
    ]


def scan_directory(payload: Path, digests: Digests | None = None) -> dict[str, str]:
    """{path: sha256} of every file (a symlink: its target's); refuses anything else.
    Only a build's own up-to-date check passes the ``digests`` it knows."""
    actual: dict[str, str] = {}
    unsafe: list[str] = []
    linked: dict[tuple[int, int, int], list[str]] = {}
    for rel, info in walk(payload):
        what = kind(info)
        if what == "file":
            actual[rel] = regular_file_sha256(payload / rel, digests)
            if info.st_nlink > 1:
                linked.setdefault((info.st_dev, info.st_ino, info.st_nlink), []).append(rel)
        elif what == "symlink":
            target = _file_link_target(payload, rel)
            if target is None:
                link = os.readlink(payload / rel)
                unsafe.append(f"{rel} is a symlink to {link!r}, not to a file inside")
            else:
                actual[rel] = regular_file_sha256(target, digests)
        elif what != "directory":
            unsafe.append(f"{rel} is a {what}")
    _refuse(payload, unsafe + _hard_link_problems(payload, linked))
    return actual


def verify_directory(payload: Path, digests: Digests | None = None) -> VerifyReport:
    sums = payload / contract.CHECKSUMS
    if not sums.is_file() or sums.is_symlink():
        raise VerificationFailed(f"{payload}: no {contract.CHECKSUMS}; is this a payload?")
    found = scan_directory(payload, digests)
    expected = parse_checksums(sums.read_text(encoding="utf-8"))
    actual = {rel: digest for rel, digest in found.items() if rel != contract.CHECKSUMS}
    report = _compare(expected, actual)
    sbom, info = payload / contract.SBOM, payload / contract.BUILD_INFO
    report.sbom = sbom_problems(
        (lambda: read_sbom(sbom, contract.SBOM)) if contract.SBOM in found else None,
        installed_from_paths(sorted(found)),
        info.read_text(encoding="utf-8") if contract.BUILD_INFO in found else None,
    )
    return report


def _read_payload_members(
    tar: tarfile.TarFile, archive: Path, policy: ArchivePolicy, unsafe: list[str]
) -> Iterator[tuple[PurePosixPath, tarfile.TarInfo]]:
    """The members the archive policy accepts, one at a time; its problems into ``unsafe``
    (all of them, for the report), its limits raised at once (nothing more is read)."""
    members: Members = {}
    total = 0
    for member in tar:
        path = member_path(member)
        problem = member_problem(member, policy)
        if problem is None and path in members:
            problem = f"{member.name!r} appears twice"
        total += member.size if member.isreg() else 0
        if len(members) >= policy.limits.max_entries or total > policy.limits.max_bytes:
            raise VerificationFailed(
                f"{archive}: more than {policy.limits.max_entries} entries or "
                f"{policy.limits.max_bytes} bytes: not a payload"
            )
        if problem is not None:
            unsafe.append(problem)
            continue
        members[path] = member
        yield path, member
    unsafe += link_problems(members, policy)


def _member_digest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[str, bytes | None]:
    """sha256 of a file member, streamed; the bytes too of the small files verify reads."""
    handle = tar.extractfile(member)
    assert handle is not None
    if member.name.split("/", 1)[-1] in (contract.CHECKSUMS, contract.SBOM, contract.BUILD_INFO):
        data = handle.read()
        return hashlib.sha256(data).hexdigest(), data
    return handle_sha256(handle), None  # streamed, never whole


def verify_archive(archive: Path) -> VerifyReport:
    """Every member through the archive policy (``fs/archive_policy.py``), as extract and
    diff read archives; then the checksums and the SBOM."""
    policy = payload_policy()
    actual: dict[str, str] = {}
    texts: dict[str, str] = {}
    unsafe: list[str] = []
    accepted: Members = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for path, member in _read_payload_members(tar, archive, policy, unsafe):
                accepted[path] = member
                if member.isreg():
                    rel = PurePosixPath(*path.parts[1:]).as_posix()
                    actual[rel], data = _member_digest(tar, member)
                    if data is not None:
                        texts[rel] = data.decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise VerificationFailed(f"{archive}: unreadable archive ({exc})") from None
    _refuse(archive, unsafe)
    # A symlink's checksum is its target's (as when verifying an unpacked payload).
    for path, member in accepted.items():
        if member.issym():
            target = final_file(path, accepted, policy)
            rel, final = (PurePosixPath(*p.parts[1:]).as_posix() for p in (path, target))
            actual[rel] = actual[final]
    sums_text = texts.pop(contract.CHECKSUMS, None)
    actual.pop(contract.CHECKSUMS, None)
    if sums_text is None:
        raise VerificationFailed(f"{archive}: no {contract.CHECKSUMS} inside")
    report = _compare(parse_checksums(sums_text), actual)
    names = [PurePosixPath(*p.parts[1:]).as_posix() for p in accepted if len(p.parts) > 1]
    sbom_text = texts.get(contract.SBOM)
    report.sbom = sbom_problems(
        (lambda: parse_sbom(sbom_text, contract.SBOM)) if sbom_text is not None else None,
        installed_from_paths(names),
        texts.get(contract.BUILD_INFO),
    )
    return report


def verify(path: Path) -> VerifyReport:
    if path.is_dir():
        return verify_directory(path)
    if path.is_file():
        return verify_archive(path)
    raise VerificationFailed(f"{path}: no such payload directory or archive")
