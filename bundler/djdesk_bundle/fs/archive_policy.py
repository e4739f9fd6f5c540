"""The one policy for reading a tar archive: which members, how many, how large, which links.

Every reader of an archive goes through it before it reads a byte of content or writes
anything: ``extract`` (the interpreter archive, rooted at ``python/``), ``verify`` and
``diff`` (payload archives, rooted at ``django-bundle/``). A member is refused when its
name is absolute, climbs with ``..``, or lies outside the root; when it is a device, a
FIFO or an unknown type; when it appears twice; when it lies below a symlink; when a
link leaves the root, passes through another symlink or does not end at a file of the
archive; and the whole archive when it has more than ``max_entries`` entries or its
files expand to more than ``max_bytes``. Payload archives are "plain": names exactly as
``pack`` writes them (no ``./``, no empty parts) and no hard links.

Checks return the problem as text (``None``: fine) so that ``verify`` can list them all;
``checked_members`` raises on the first one, for the readers that stop there.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from djdesk_bundle import contract
from djdesk_bundle.errors import UnsafeArchive

# The largest python-build-standalone install_only archive expands to ~250 MB in ~10 000
# entries, a payload to a few hundred MB; anything far beyond is a decompression bomb.
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_ENTRIES = 200_000

Members = dict[PurePosixPath, tarfile.TarInfo]


@dataclass(frozen=True)
class ArchiveLimits:
    """Refuse an archive that expands beyond these (``extract-max-bytes``/``-entries``)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES


@dataclass(frozen=True)
class ArchivePolicy:
    root: str  # every member lies at or below this top-level directory
    plain: bool  # names exactly as pack writes them, no hard links (payload archives)
    limits: ArchiveLimits = ArchiveLimits()


def payload_policy(limits: ArchiveLimits | None = None) -> ArchivePolicy:
    return ArchivePolicy(contract.ARCHIVE_ROOT, plain=True, limits=limits or ArchiveLimits())


def interpreter_policy(limits: ArchiveLimits | None = None) -> ArchivePolicy:
    return ArchivePolicy(contract.PYTHON_DIR, plain=False, limits=limits or ArchiveLimits())


def _is_absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def _name_problem(name: str, policy: ArchivePolicy) -> str | None:
    root = policy.root
    if _is_absolute(name):
        return f"{name!r} has an absolute path, outside {root}/"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return f"{name!r} is not a plain path: it climbs out of the tree with '..'"
    if policy.plain:
        if name != root and not name.startswith(f"{root}/"):
            return f"{name!r} is outside {root}/"
        if "." in name.split("/") or "" in name.split("/") or "\\" in name:
            return f"{name!r} is not a plain path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or parts[0] != root:
        return f"{name!r} is outside {root}/"
    return None


def member_problem(member: tarfile.TarInfo, policy: ArchivePolicy) -> str | None:
    """Why this member alone cannot be read (its name, its type, an absolute link)."""
    name = member.name
    problem = _name_problem(name, policy)
    if problem is not None:
        return problem
    if member.isfifo():
        return f"{name!r} is a FIFO"
    if member.ischr() or member.isblk():
        return f"{name!r} is a device or special file"
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        return f"{name!r} has an unsupported type {member.type!r}"
    if member.islnk() and policy.plain:
        return f"{name!r} is a hard link"
    if (member.issym() or member.islnk()) and _is_absolute(member.linkname):
        return f"{name!r} links to the absolute path {member.linkname!r}, outside the payload"
    return None


def member_path(member: tarfile.TarInfo) -> PurePosixPath:
    return PurePosixPath(member.name.replace("\\", "/"))


def _raise(archive: Path, problem: str) -> UnsafeArchive:
    return UnsafeArchive(f"{archive.name}: entry {problem}")


def checked_members(
    tar: Iterable[tarfile.TarInfo], archive: Path, policy: ArchivePolicy
) -> Members:
    """Every member by normalised path, in archive order, each checked as it is read (a
    huge or endless archive is refused without reading it all), then the links; raises
    ``UnsafeArchive`` on the first problem, before anything is written."""
    members: Members = {}
    total = 0
    limits = policy.limits
    for member in tar:
        if len(members) >= limits.max_entries:
            raise UnsafeArchive(
                f"{archive.name}: more than {limits.max_entries} entries "
                "(raise extract-max-entries if this archive is genuine)"
            )
        problem = member_problem(member, policy)
        if problem is not None:
            raise _raise(archive, problem)
        path = member_path(member)
        if path in members:
            raise _raise(archive, f"{member.name!r} appears twice")
        total += member.size if member.isreg() else 0
        if total > limits.max_bytes:
            raise UnsafeArchive(
                f"{archive.name}: expands to more than {limits.max_bytes} bytes "
                "(raise extract-max-bytes if this archive is genuine)"
            )
        members[path] = member
    problems = link_problems(members, policy)
    if problems:
        raise _raise(archive, problems[0])
    return members


def link_target(path: PurePosixPath, members: Members, policy: ArchivePolicy) -> PurePosixPath:
    """Where a link points, walked one component at a time through the archive's own
    entries: it must stay inside the root without passing through a symlink."""
    member = members[path]
    where = f"{member.name!r} -> {member.linkname!r}"
    # A hard link names an archive path; a symlink is relative to its own directory.
    current = [] if member.islnk() else list(path.parent.parts)
    steps = [p for p in PurePosixPath(member.linkname.replace("\\", "/")).parts if p != "."]
    for index, part in enumerate(steps):
        if part == "..":
            if not current:
                raise LinkEscapes(f"{where} links outside the tree, outside the payload")
            current.pop()
            continue
        current.append(part)
        crossed = members.get(PurePosixPath(*current))
        if index < len(steps) - 1 and crossed is not None and crossed.issym():
            raise LinkEscapes(f"{where} passes through the symlink {crossed.name!r}")
    target = PurePosixPath(*current) if current else PurePosixPath()
    if len(target.parts) < 2 or target.parts[0] != policy.root:
        raise LinkEscapes(f"{where} links outside {policy.root}/, outside the payload")
    return target


class LinkEscapes(Exception):
    """A link that leaves the root or crosses a symlink (a problem, not yet an error)."""


def final_file(path: PurePosixPath, members: Members, policy: ArchivePolicy) -> PurePosixPath:
    """The file a (chain of) link(s) ends at; the chain was checked by link_problems."""
    seen = {path}
    target = link_target(path, members, policy)
    while target in members and members[target].issym() and target not in seen:
        seen.add(target)
        target = link_target(target, members, policy)
    return target


def link_problems(members: Members, policy: ArchivePolicy) -> list[str]:
    """No member below a symlink; every link ends at a file inside the root (a hard link
    at one that comes before it)."""
    problems = []
    for path, member in members.items():
        for parent in path.parents:
            candidate = members.get(parent)
            if candidate is not None and candidate.issym():
                above = candidate
                break
        else:
            above = None
        if above is not None:
            problems.append(
                f"{member.name!r} lies below a symlink: it would be written through "
                f"the symlink {above.name!r}"
            )
    order = {path: index for index, path in enumerate(members)}
    for path, member in members.items():
        if not (member.issym() or member.islnk()):
            continue
        try:
            target = final_file(path, members, policy)
        except LinkEscapes as escape:
            problems.append(str(escape))
            continue
        final = members.get(target)
        if final is None or not (final.isreg() or final.islnk()):
            problems.append(
                f"{member.name!r} -> {member.linkname!r} does not end at a file of the archive"
            )
        elif member.islnk() and order[target] > order[path]:
            problems.append(f"hard link {member.name!r} comes before its target")
    return problems
